package mount

import (
	"container/list"
	"sort"
	"sync"
	"time"

	"github.com/hdf5vault/hdf5vault/archiveset"
)

// listing is the set's files in path order, numbered from 0. Lookups and
// directory listings search it; nothing requires it to be in memory.
type listing interface {
	len() int
	// at returns file i; the entry never changes and may be kept.
	at(i int) (*entry, error)
	// search returns the first i in [lo, hi) whose path is >= key, or hi.
	search(lo, hi int, key string) (int, error)
}

// sliceListing holds every entry: sets read through their JSON index,
// which is in memory already.
type sliceListing []entry

func (l sliceListing) len() int                 { return len(l) }
func (l sliceListing) at(i int) (*entry, error) { return &l[i], nil }
func (l sliceListing) search(lo, hi int, key string) (int, error) {
	return lo + sort.Search(hi-lo, func(k int) bool { return l[lo+k].path >= key }), nil
}

// sideListing pages through the side index: the block table (first path
// and count of every block) is in memory, and blocks are decoded on demand
// into a small cache, so a mount of 10^6 files starts at once and holds
// what the kernel is looking at, not the whole listing.
type sideListing struct {
	set    *archiveset.Set
	entry  func(*archiveset.File) entry
	starts []int // starts[b] is the number of block b's first entry; one more at the end

	mu     sync.Mutex
	blocks map[int]*list.Element // block -> element of lru holding a *cachedBlock
	lru    list.List             // most recently used first
}

type cachedBlock struct {
	b  int
	es []entry
}

// sideCacheBlocks bounds the decoded blocks kept: 256 blocks of up to 256
// entries each, some megabytes, enough for the directories a tool walks.
const sideCacheBlocks = 256

func newSideListing(set *archiveset.Set, conv func(*archiveset.File) entry) *sideListing {
	n := set.Side.Blocks()
	l := &sideListing{set: set, entry: conv, starts: make([]int, n+1), blocks: make(map[int]*list.Element)}
	for b := range n {
		l.starts[b+1] = l.starts[b] + set.Side.BlockLen(b)
	}
	return l
}

func (l *sideListing) len() int { return l.starts[len(l.starts)-1] }

func (l *sideListing) at(i int) (*entry, error) {
	b := sort.SearchInts(l.starts, i+1) - 1
	es, err := l.block(b)
	if err != nil {
		return nil, err
	}
	return &es[i-l.starts[b]], nil
}

func (l *sideListing) search(lo, hi int, key string) (int, error) {
	// Only the last block starting at or below key can hold the answer;
	// past its end, the answer is the next block's first entry.
	i := 0
	if b := l.set.Side.BlockOf(key); b >= 0 {
		es, err := l.block(b)
		if err != nil {
			return 0, err
		}
		i = l.starts[b] + sort.Search(len(es), func(k int) bool { return es[k].path >= key })
	}
	return max(lo, min(hi, i)), nil
}

// block returns block b's entries, decoding it when it is not cached.
func (l *sideListing) block(b int) ([]entry, error) {
	l.mu.Lock()
	if el, ok := l.blocks[b]; ok {
		l.lru.MoveToFront(el)
		l.mu.Unlock()
		return el.Value.(*cachedBlock).es, nil
	}
	l.mu.Unlock()
	fs, err := l.set.SideBlock(b)
	if err != nil {
		return nil, err
	}
	es := make([]entry, len(fs))
	for k := range fs {
		es[k] = l.entry(&fs[k])
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, ok := l.blocks[b]; ok { // decoded meanwhile by another reader
		return el.Value.(*cachedBlock).es, nil
	}
	l.blocks[b] = l.lru.PushFront(&cachedBlock{b: b, es: es})
	if l.lru.Len() > sideCacheBlocks {
		old := l.lru.Remove(l.lru.Back()).(*cachedBlock)
		delete(l.blocks, old.b)
	}
	return es, nil
}

// prefixEnd returns the least string above every string starting with
// prefix, or "" when there is none (prefix is all 0xff bytes).
func prefixEnd(prefix string) string {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}

// mtimeOf is when file e was written: its own mtime, else its first
// member's.
func mtimeOf(f *archiveset.File, members []time.Time) time.Time {
	if f.MtimeNs != nil {
		return time.Unix(0, *f.MtimeNs)
	}
	if len(f.Parts) > 0 {
		return members[f.Parts[0].ArchiveNumber]
	}
	return time.Time{}
}
