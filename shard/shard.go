package shard

import (
	"context"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"

	"github.com/zeebo/xxh3"

	"github.com/hdf5vault/hdf5vault/walker"
)

// Listing is the source tree as every shard sees it: files in path order.
type Listing struct {
	Paths  []string
	Sizes  []int64
	Digest string // XXH3-128 of the paths and sizes: equal listings, equal digests
	Bytes  int64
}

// List walks src as create does and returns its listing.
func List(ctx context.Context, src string, o walker.Options) (*Listing, error) {
	l := &Listing{}
	o.Warn, o.Note = nil, nil // the shard's real walk reports them
	if _, err := walker.Walk(ctx, src, o, func(e walker.Entry) error {
		l.Paths = append(l.Paths, e.Rel)
		l.Sizes = append(l.Sizes, e.Size)
		return nil
	}); err != nil {
		return nil, err
	}
	idx := make([]int, len(l.Paths))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return strings.Compare(l.Paths[a], l.Paths[b]) })
	paths, sizes := make([]string, len(idx)), make([]int64, len(idx))
	h := xxh3.New()
	for i, j := range idx {
		paths[i], sizes[i] = l.Paths[j], l.Sizes[j]
		h.WriteString(paths[i])
		h.WriteString("\x00" + strconv.FormatInt(sizes[i], 10) + "\n")
		l.Bytes += sizes[i]
	}
	l.Paths, l.Sizes = paths, sizes
	sum := h.Sum128().Bytes()
	l.Digest = "xxh3-128:" + hex.EncodeToString(sum[:])
	return l, nil
}

// Assign gives each file of l (by index) one of n shards: largest first
// (ties by path), each to the shard with the fewest bytes so far (ties to
// the lowest number). Every shard computes the same answer.
func Assign(l *Listing, n int) []int {
	order := make([]int, len(l.Paths))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if l.Sizes[a] != l.Sizes[b] {
			if l.Sizes[a] > l.Sizes[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(l.Paths[a], l.Paths[b])
	})
	load := make([]int64, n)
	out := make([]int, len(l.Paths))
	for _, i := range order {
		best := 0
		for k := 1; k < n; k++ {
			if load[k] < load[best] {
				best = k
			}
		}
		out[i] = best
		load[best] += max(l.Sizes[i], 1) // empty files count, or they all pile on one shard
	}
	return out
}

// Select returns the set of paths shard k gets.
func Select(l *Listing, n, k int) map[string]bool {
	sel := map[string]bool{}
	for i, s := range Assign(l, n) {
		if s == k {
			sel[l.Paths[i]] = true
		}
	}
	return sel
}
