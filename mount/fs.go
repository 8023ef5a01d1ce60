package mount

import (
	"context"
	"hash/fnv"
	"log"
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

// span returns the range of files in [lo, hi) whose paths start with prefix.
func (t *tree) span(lo, hi int, prefix string) (int, int, error) {
	fs := t.r.src.files
	a, err := fs.search(lo, hi, prefix)
	if err != nil {
		return 0, 0, err
	}
	b := hi
	if end := prefixEnd(prefix); end != "" {
		b, err = fs.search(a, hi, end)
	}
	return a, b, err
}

// failed logs why the listing could not be read and answers EIO.
func (t *tree) failed(err error) syscall.Errno {
	t.log.Printf("%v", err)
	return syscall.EIO
}

func (d *dirNode) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	full := d.prefix + name
	a, b, err := d.t.span(d.lo, d.hi, full)
	if err != nil {
		return nil, d.t.failed(err)
	}
	if a < b {
		e, err := d.t.r.src.files.at(a)
		if err != nil {
			return nil, d.t.failed(err)
		}
		if e.path == full {
			n := &fileNode{t: d.t, i: a}
			fileAttr(e, &out.Attr)
			return d.NewInode(ctx, n, fs.StableAttr{Mode: fuse.S_IFREG, Ino: uint64(a) + 2}), 0
		}
	}
	if a, b, err = d.t.span(a, b, full+"/"); err != nil {
		return nil, d.t.failed(err)
	}
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
	var list []fuse.DirEntry
	for k := d.lo; k < d.hi; {
		e, err := d.t.r.src.files.at(k)
		if err != nil {
			return nil, d.t.failed(err)
		}
		rest := e.path[len(d.prefix):]
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
		if _, k, err = d.t.span(k, d.hi, sub); err != nil {
			return nil, d.t.failed(err)
		}
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

func fileAttr(e *entry, a *fuse.Attr) {
	a.Mode = fuse.S_IFREG | e.mode
	a.Size = uint64(e.size)
	a.Blocks = (a.Size + 511) / 512
	a.Nlink = 1
	a.SetTimes(nil, &e.mtime, &e.mtime)
}

func (n *fileNode) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	e, err := n.t.r.src.files.at(n.i)
	if err != nil {
		return n.t.failed(err)
	}
	fileAttr(e, &out.Attr)
	return 0
}

func (n *fileNode) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	if flags&(syscall.O_WRONLY|syscall.O_RDWR|syscall.O_TRUNC|syscall.O_APPEND) != 0 {
		return nil, 0, syscall.EROFS
	}
	e, err := n.t.r.src.files.at(n.i)
	if err != nil {
		return nil, 0, n.t.failed(err)
	}
	// The content never changes: the kernel may keep its cached pages.
	return newTracker(e), fuse.FOPEN_KEEP_CACHE, 0
}

func (n *fileNode) Read(ctx context.Context, f fs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	e, err := n.t.r.src.files.at(n.i)
	if err != nil {
		return nil, n.t.failed(err)
	}
	got, err := n.t.r.read(n.i, e, dest, off)
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
