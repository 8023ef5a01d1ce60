package archiveset

// Selective reads: a set restricted to the files a selection names.

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/selection"
)

// NotFoundError names the literal paths and includes of a selection that
// match no archived file.
type NotFoundError struct{ Missing []string }

// NotFound is a *NotFoundError for what sel's Select matched nothing of,
// or nil.
func NotFound(sel *selection.Selection) error {
	if miss := sel.Unmatched(); len(miss) > 0 {
		return &NotFoundError{Missing: miss}
	}
	return nil
}

func (e *NotFoundError) Error() string {
	const show = 10
	list := strings.Join(e.Missing[:min(show, len(e.Missing))], ", ")
	if n := len(e.Missing); n > show {
		list += fmt.Sprintf(" and %d more", n-show)
	}
	return fmt.Sprintf("not in the archive set: %s (ls lists what is; nothing was written)", list)
}

// Select restricts the set to the files sel selects: Walk, Len and
// LayoutError, and unpack and check through them, see only those. It reads
// the selection once to count it (with a side index only the blocks that
// can hold selected paths); sel.Unmatched then lists the literal paths and
// includes that matched nothing (see NotFound).
func (s *Set) Select(ctx context.Context, sel *selection.Selection) error {
	if sel.Empty() {
		return nil
	}
	ranges := sel.Ranges()
	if s.lazy {
		return s.selectLazy(ctx, sel, ranges)
	}
	var n int64
	err := s.walkRanges(ctx, ranges, func(f *File) error {
		if sel.Mark(f.Path) {
			n++
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.sel, s.ranges, s.selected = sel, ranges, n
	return nil
}

// selectLazy is Select for a lazily opened set: it finds the selected files
// by path, then checks the layout of those alone, in parallel.
func (s *Set) selectLazy(ctx context.Context, sel *selection.Selection, ranges []selection.Range) error {
	picked := []int{} // not nil: layout checks every file for nil
	err := s.eachInRanges(ctx, ranges, func(i int) error {
		if sel.Mark(s.Files[i].Path) {
			picked = append(picked, i)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.layout(ctx, picked); err != nil {
		return err
	}
	s.sel, s.ranges, s.selected = sel, ranges, int64(len(picked))
	return nil
}

func (s *Set) walkSelected(ctx context.Context, fn func(*File) error) error {
	return s.walkRanges(ctx, s.ranges, func(f *File) error {
		if !s.sel.Match(f.Path) {
			return nil
		}
		return fn(f)
	})
}

// walkRanges hands fn every file whose path lies in one of the sorted,
// disjoint ranges (every file when rs is nil), in path order.
func (s *Set) walkRanges(ctx context.Context, rs []selection.Range, fn func(*File) error) error {
	switch {
	case rs == nil:
		return s.walkAll(ctx, fn)
	case s.Side == nil:
		return s.eachInRanges(ctx, rs, func(i int) error { return fn(s.file(i)) })
	}
	w := sideRangeWalk{s: s, block: -1, order: archive.PathOrder{Side: true}}
	for _, r := range rs {
		if err := w.walk(ctx, r, fn); err != nil {
			return err
		}
	}
	return nil
}

// eachInRanges hands fn the index in Files of every file whose path lies
// in one of the sorted, disjoint ranges (every file when rs is nil), in
// path order, for sets read through their JSON index.
func (s *Set) eachInRanges(ctx context.Context, rs []selection.Range, fn func(i int) error) error {
	if rs == nil {
		rs = []selection.Range{{}}
	}
	for _, r := range rs {
		i := sort.Search(len(s.Files), func(i int) bool { return s.Files[i].Path >= r.Lo })
		for ; i < len(s.Files) && r.Contains(s.Files[i].Path); i++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(i); err != nil {
				return err
			}
		}
	}
	return nil
}

// sideRangeWalk reads the side index's blocks in order, each at most once
// however many ranges fall into it.
type sideRangeWalk struct {
	s     *Set
	block int // the block in es; -1 before the first
	es    []archive.Entry
	order archive.PathOrder // over the entries walked
}

func (w *sideRangeWalk) walk(ctx context.Context, r selection.Range, fn func(*File) error) error {
	x := w.s.Side
	for b := max(w.block, x.BlockOf(r.Lo), 0); b < x.Blocks(); b++ {
		if b != w.block {
			if err := ctx.Err(); err != nil {
				return err
			}
			var err error
			if w.es, err = x.Block(b, w.es[:0]); err != nil {
				return w.s.sideErr(err)
			}
			w.block = b
		}
		k := sort.Search(len(w.es), func(k int) bool { return w.es[k].Path >= r.Lo })
		for ; k < len(w.es); k++ {
			e := &w.es[k]
			if !r.Contains(e.Path) {
				return nil // sorted: the rest lies after the range
			}
			if err := w.order.Next(e.Path); err != nil {
				return w.s.sideErr(err)
			}
			if err := fn(fileOf(e)); err != nil {
				return err
			}
		}
	}
	return nil
}
