package archiveset

import (
	"os"
	"sync"
)

// maxDirRoots bounds the directories dirRoots keeps open (one descriptor
// each): files come in index order, grouped by directory, so a worker
// needs one at a time and idle ones can go.
const maxDirRoots = 64

// dirRoots holds open roots of the unpack target's directories. os.Root
// walks every component of a path for each call, and restoring a file
// takes five calls (create, chtimes, link, remove, and the directory's
// check): looked up once here, each is one call on a name in its
// directory.
type dirRoots struct {
	top *os.Root
	mu  sync.Mutex
	m   map[string]*dirRoot
}

type dirRoot struct {
	*os.Root
	refs   int
	cached bool
}

func newDirRoots(top *os.Root) *dirRoots {
	return &dirRoots{top: top, m: map[string]*dirRoot{}}
}

// get returns the root of dir (relative to the top, "." for the top) and
// the function that hands it back.
func (d *dirRoots) get(dir string) (*os.Root, func(), error) {
	if dir == "." || dir == "" {
		return d.top, func() {}, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	e := d.m[dir]
	if e == nil {
		if len(d.m) >= maxDirRoots {
			d.dropIdle()
		}
		r, err := d.top.OpenRoot(dir)
		if err != nil {
			return nil, nil, err
		}
		e = &dirRoot{Root: r, cached: len(d.m) < maxDirRoots}
		if e.cached {
			d.m[dir] = e
		}
	}
	e.refs++
	return e.Root, func() { d.release(e) }, nil
}

func (d *dirRoots) release(e *dirRoot) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e.refs--
	if !e.cached && e.refs == 0 {
		e.Close()
	}
}

// dropIdle closes the roots no worker holds.
func (d *dirRoots) dropIdle() {
	for k, e := range d.m {
		if e.refs == 0 {
			e.Close()
			delete(d.m, k)
		}
	}
}

// close closes every cached root; no worker may hold one.
func (d *dirRoots) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dropIdle()
}
