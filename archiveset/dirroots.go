package archiveset

import (
	"os"
	"sync"
)

// maxDirRoots bounds the directories dirRoots keeps open (two descriptors
// each): files come in index order, grouped by directory, so a worker
// needs one at a time and idle ones can go.
const maxDirRoots = 64

// dirRoots holds open roots of the unpack target's directories. os.Root
// walks every component of a path for each call, and restoring a file
// takes several calls on names in its directory: looked up once here,
// each is one call on a name in its directory.
type dirRoots struct {
	top *dirRoot
	mu  sync.Mutex
	m   map[string]*dirRoot
}

// dirRoot is one directory of the target: its root, and the directory
// itself opened through it, whose descriptor the restore's system calls
// take with a single-component name (so they stay confined to it).
type dirRoot struct {
	*os.Root
	dir    *os.File
	fd     int
	acl    bool // the directory has a default ACL, or whether it has one is not known
	refs   int
	cached bool
}

func newDirRoots(top *os.Root) (*dirRoots, error) {
	t, err := openDirRoot(top, nil)
	if err != nil {
		return nil, err
	}
	return &dirRoots{top: t, m: map[string]*dirRoot{}}, nil
}

// openDirRoot opens the directory of r (whose owner closes r unless
// owned is r itself) for its descriptor.
func openDirRoot(r, owned *os.Root) (*dirRoot, error) {
	dir, err := r.Open(".")
	if err != nil {
		if owned != nil {
			owned.Close()
		}
		return nil, err
	}
	return &dirRoot{Root: r, dir: dir, fd: int(dir.Fd()), acl: defaultACL(dir)}, nil
}

// get returns dir's root (relative to the top, "." for the top) and the
// function that hands it back.
func (d *dirRoots) get(dir string) (*dirRoot, func(), error) {
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
		if e, err = openDirRoot(r, r); err != nil {
			return nil, nil, err
		}
		e.cached = len(d.m) < maxDirRoots
		if e.cached {
			d.m[dir] = e
		}
	}
	e.refs++
	return e, func() { d.release(e) }, nil
}

func (d *dirRoots) release(e *dirRoot) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e.refs--
	if !e.cached && e.refs == 0 {
		e.close()
	}
}

func (e *dirRoot) close() {
	e.dir.Close()
	e.Root.Close()
}

// dropIdle closes the roots no worker holds.
func (d *dirRoots) dropIdle() {
	for k, e := range d.m {
		if e.refs == 0 {
			e.close()
			delete(d.m, k)
		}
	}
}

// close closes every cached root and the top's directory (not the top's
// root: its opener closes it); no worker may hold one.
func (d *dirRoots) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dropIdle()
	d.top.dir.Close()
}
