package mount

import (
	"context"
	"hash/fnv"
	"log"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// tree answers lookups and listings from the sorted paths: the files under
// a directory are one contiguous range of them, so no node exists before
// the kernel asks for it and a set of 10^6 files costs no inode up front.
type tree struct {
	r     *reader
	log   *log.Logger
	mtime time.Time // of directories: the newest member file's
}

// dirNode is a directory: the files whose paths start with prefix
// ("" for the root, else "a/b/"), entries [lo, hi).
type dirNode struct {
	fs.Inode
	t      *tree
	prefix string
	lo, hi int
}

// fileNode is file i of the set.
type fileNode struct {
	fs.Inode
	t *tree
	i int
}

var (
	_ fs.NodeLookuper  = (*dirNode)(nil)
	_ fs.NodeReaddirer = (*dirNode)(nil)
	_ fs.NodeGetattrer = (*dirNode)(nil)
	_ fs.NodeGetattrer = (*fileNode)(nil)
	_ fs.NodeOpener    = (*fileNode)(nil)
	_ fs.NodeReader    = (*fileNode)(nil)
)

func (t *tree) entries() []entry { return t.r.src.entries }

// span returns the range of entries whose paths start with prefix.
func (t *tree) span(lo, hi int, prefix string) (int, int) {
	es := t.entries()
	a := lo + sort.Search(hi-lo, func(k int) bool { return es[lo+k].path >= prefix })
	b := a + sort.Search(hi-a, func(k int) bool { return !strings.HasPrefix(es[a+k].path, prefix) })
	return a, b
}

func (d *dirNode) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	full := d.prefix + name
	es := d.t.entries()
	a, b := d.t.span(d.lo, d.hi, full)
	if a < b && es[a].path == full {
		n := &fileNode{t: d.t, i: a}
		n.attr(&out.Attr)
		return d.NewInode(ctx, n, fs.StableAttr{Mode: fuse.S_IFREG, Ino: uint64(a) + 2}), 0
	}
	a, b = d.t.span(a, b, full+"/")
	if a == b {
		return nil, syscall.ENOENT
	}
	n := &dirNode{t: d.t, prefix: full + "/", lo: a, hi: b}
	n.attr(&out.Attr)
	return d.NewInode(ctx, n, fs.StableAttr{Mode: fuse.S_IFDIR, Ino: dirIno(n.prefix)}), 0
}

// dirIno numbers a directory by its path, clear of the files' numbers.
func dirIno(prefix string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(prefix))
	return h.Sum64() | 1<<63
}

func (d *dirNode) Readdir(ctx context.Context) (fs.DirStream, syscall.Errno) {
	es := d.t.entries()
	var list []fuse.DirEntry
	for k := d.lo; k < d.hi; {
		rest := es[k].path[len(d.prefix):]
		name, _, isDir := strings.Cut(rest, "/")
		if name == "" { // "a//b" or a trailing slash: no name to show
			k++
			continue
		}
		if !isDir {
			list = append(list, fuse.DirEntry{Name: name, Mode: fuse.S_IFREG, Ino: uint64(k) + 2})
			k++
			continue
		}
		sub := d.prefix + name + "/"
		list = append(list, fuse.DirEntry{Name: name, Mode: fuse.S_IFDIR, Ino: dirIno(sub)})
		_, k = d.t.span(k, d.hi, sub)
	}
	return fs.NewListDirStream(list), 0
}

func (d *dirNode) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	d.attr(&out.Attr)
	return 0
}

func (d *dirNode) attr(a *fuse.Attr) {
	a.Mode = fuse.S_IFDIR | 0o555
	a.Nlink = 2
	a.SetTimes(nil, &d.t.mtime, &d.t.mtime)
}

func (n *fileNode) attr(a *fuse.Attr) {
	e := &n.t.entries()[n.i]
	a.Mode = fuse.S_IFREG | e.mode
	a.Size = uint64(e.size)
	a.Blocks = (a.Size + 511) / 512
	a.Nlink = 1
	a.SetTimes(nil, &e.mtime, &e.mtime)
}

func (n *fileNode) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	n.attr(&out.Attr)
	return 0
}

func (n *fileNode) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	if flags&(syscall.O_WRONLY|syscall.O_RDWR|syscall.O_TRUNC|syscall.O_APPEND) != 0 {
		return nil, 0, syscall.EROFS
	}
	// The content never changes: the kernel may keep its cached pages.
	return newTracker(&n.t.entries()[n.i]), fuse.FOPEN_KEEP_CACHE, 0
}

func (n *fileNode) Read(ctx context.Context, f fs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	e := &n.t.entries()[n.i]
	got, err := n.t.r.read(n.i, dest, off)
	if err != nil {
		n.t.log.Printf("%s: %v", e.path, err)
		return nil, syscall.EIO
	}
	if tr, ok := f.(*tracker); ok {
		if done, match := tr.feed(dest[:got], off, e.size, e.checksum); done && !match {
			why := "the bytes read do not match the stored checksum: damaged archive"
			n.t.r.bad.Store(n.i, why)
			n.t.log.Printf("%s: %s", e.path, why)
			return nil, syscall.EIO
		}
	}
	return fuse.ReadResultData(dest[:got]), 0
}
