package walker

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/hdf5vault/hdf5vault/archive"
)

// Entry is one regular file to archive.
type Entry struct {
	Rel  string // slash-separated path relative to the root: the index key
	Path string // the path to open
	Size int64  // size at walk time; the reader checks it did not change
	// MayCollide is set when a sibling's dataset name can equal this file's
	// ("x" compressed is "x.blosc2", the raw name of a file called
	// "x.blosc2"; "x____part0" likewise). Only such files need the writer's
	// name check, so the check's memory stays small on huge trees.
	MayCollide bool
	// Info is what the walk's lstat said of the file (its stat, for a
	// followed symlink): the reader compares it with the file after reading.
	Info fs.FileInfo
}

// Skip is a path left out of the archive and why.
type Skip struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Stats is what a walk found besides the files it emitted.
type Stats struct {
	Files      int64
	Bytes      int64
	Symlinks   []string // symlinks not followed (relative paths)
	Followed   int      // symlinks followed (FollowSymlinks)
	Special    []Skip   // fifos, sockets, devices, dangling or looping links
	Unreadable []Skip   // only with SkipUnreadable: directories or names that could not be archived
	Excluded   int64    // files and directories Options.Keep left out
}

// Options configure a walk. The zero value walks without following symlinks
// and fails on the first unreadable directory.
type Options struct {
	FollowSymlinks bool
	SkipUnreadable bool
	// Exclude leaves out a directory entry (the archive's own output when it
	// lies inside the tree). dir is the directory's path as walked.
	Exclude func(dir, name string) bool
	// Keep, when set, leaves out what it returns false for: a file, or a
	// directory with everything below it (dir is true). rel is the path
	// relative to the root. Such entries are counted in Stats.Excluded.
	Keep func(rel string, dir bool) bool
	// ReadDir lists a directory; nil means the Root's listing (os.ReadDir
	// when symlinks are followed). Tests inject failures here.
	ReadDir func(dir string) ([]os.DirEntry, error)
	// Warn reports a skipped special file as it is found; may be nil.
	Warn func(s Skip)
	// Note reports something about a file that is archived anyway (a
	// modification time outside what the index records); may be nil.
	Note func(rel, msg string)
}

// Walk calls emit for every regular file under root, directory by directory in
// sorted order. emit may be nil (a counting scan). The first error from emit,
// from the context, or from an unreadable directory (unless SkipUnreadable)
// ends the walk; the error names the path.
func Walk(ctx context.Context, root string, o Options, emit func(Entry) error) (*Stats, error) {
	info, err := os.Stat(root) // the root itself is followed: the user named it
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", root, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("source %s: not a directory", root)
	}
	r, err := OpenRoot(root, o.FollowSymlinks)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", root, err)
	}
	defer r.Close()
	w := &walk{ctx: ctx, o: o, emit: emit, st: &Stats{}, root: r}
	err = w.dir(root, "", []fileID{idOf(info)})
	return w.st, err
}

type walk struct {
	ctx  context.Context
	o    Options
	emit func(Entry) error
	st   *Stats
	root *Root // lists directories below the root without symlinks (root_linux.go)
}

// fileID identifies a directory for loop protection when following links.
type fileID struct{ dev, ino uint64 }

func idOf(fi fs.FileInfo) fileID {
	if s, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fileID{uint64(s.Dev), uint64(s.Ino)}
	}
	return fileID{}
}

// child is one directory entry after classification.
type child struct {
	name string
	path string
	rel  string
	info fs.FileInfo // resolved (followed) info for links
	dir  bool
}

func (w *walk) dir(path, rel string, ancestors []fileID) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	var ents []os.DirEntry
	var err error
	if w.o.ReadDir != nil {
		ents, err = w.o.ReadDir(path)
	} else {
		ents, err = w.root.readDir(rel, path)
	}
	if err != nil {
		return w.unreadable(rel, path, fmt.Errorf("cannot list directory: %w", err))
	}
	var files, dirs []child
	for _, d := range ents {
		c, ok, err := w.classify(path, rel, d, ancestors)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if c.dir {
			dirs = append(dirs, c)
		} else {
			files = append(files, c)
		}
	}
	collide := collisions(files, dirs)
	for _, c := range files {
		twin, mayCollide := collide[c.name]
		if twin != "" {
			return fmt.Errorf("%s: its dataset name can equal the group of directory %s; rename one of them", c.rel, twin)
		}
		w.st.Files++
		w.st.Bytes += c.info.Size()
		if w.emit != nil {
			if err := w.emit(Entry{Rel: c.rel, Path: c.path, Size: c.info.Size(), MayCollide: mayCollide, Info: c.info}); err != nil {
				return err
			}
		}
	}
	for _, c := range dirs {
		if err := w.dir(c.path, c.rel, append(ancestors, idOf(c.info))); err != nil {
			return err
		}
	}
	return nil
}

// classify decides what a directory entry is; ok is false when it is left out.
func (w *walk) classify(dir, rel string, d os.DirEntry, ancestors []fileID) (c child, ok bool, err error) {
	name := d.Name()
	c = child{name: name, path: filepath.Join(dir, name), rel: joinRel(rel, name)}
	if strings.HasSuffix(c.path, "/"+c.rel) || c.path == c.rel {
		// One allocation for both: create keeps every entry until the
		// index is written (a million paths).
		c.rel = c.path[len(c.path)-len(c.rel):]
	}
	if w.o.Exclude != nil && w.o.Exclude(dir, name) {
		return c, false, nil
	}
	// Before the name and type checks: what the user left out cannot fail the walk.
	if d.Type()&fs.ModeSymlink == 0 && !w.keep(c.rel, d.IsDir()) {
		return c, false, nil
	}
	// The index is JSON: a name that is not UTF-8 cannot be recorded in it.
	// A backslash is an ordinary byte of a POSIX name and is archived as such.
	if !utf8.ValidString(name) {
		return c, false, w.unreadable(fmt.Sprintf("%q", c.rel), c.path,
			errors.New("name is not valid UTF-8; it cannot be an archive path"))
	}
	info, err := d.Info() // lstat
	if errors.Is(err, fs.ErrNotExist) {
		return c, false, nil // removed since the listing: it is not part of the tree any more
	}
	if err != nil {
		return c, false, w.unreadable(c.rel, c.path, err)
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		if !w.o.FollowSymlinks {
			w.st.Symlinks = append(w.st.Symlinks, c.rel)
			return c, false, nil
		}
		target, err := os.Stat(c.path)
		if err != nil {
			w.special(c.rel, "dangling symlink: "+err.Error())
			return c, false, nil
		}
		if target.IsDir() && inAncestors(idOf(target), ancestors) {
			w.special(c.rel, "symlink loop: points to a directory above it")
			return c, false, nil
		}
		if !w.keep(c.rel, target.IsDir()) {
			return c, false, nil
		}
		w.st.Followed++
		info = target
	}
	c.info = info
	switch {
	case info.IsDir():
		c.dir = true
		return c, true, nil
	case info.Mode().IsRegular():
		if ns, clamped := archive.MtimeNs(info.ModTime()); clamped && w.o.Note != nil {
			w.o.Note(c.rel, fmt.Sprintf("modification time %s is outside what the archive records; stored as %s",
				info.ModTime().UTC().Format(time.RFC3339), time.Unix(0, ns).UTC().Format(time.RFC3339Nano)))
		}
		return c, true, nil
	}
	w.special(c.rel, "not a regular file ("+kind(info.Mode())+")")
	return c, false, nil
}

// keep asks Options.Keep about an entry, counting what it leaves out.
func (w *walk) keep(rel string, dir bool) bool {
	if w.o.Keep == nil || w.o.Keep(rel, dir) {
		return true
	}
	w.st.Excluded++
	return false
}

func (w *walk) special(rel, reason string) {
	s := Skip{Path: rel, Reason: reason}
	w.st.Special = append(w.st.Special, s)
	if w.o.Warn != nil {
		w.o.Warn(s)
	}
}

// unreadable lists the path with SkipUnreadable, else fails the walk.
func (w *walk) unreadable(rel, path string, err error) error {
	if w.o.SkipUnreadable && rel != "" {
		w.st.Unreadable = append(w.st.Unreadable, Skip{Path: rel, Reason: err.Error()})
		return nil
	}
	return &FileError{Rel: rel, Path: path, Err: err}
}

// FileError is a failure to read one file or directory of the tree: the
// walk's, or the reader's that reads the file after it. Rel lets a
// summary name the file as the archive would; the message names Path.
type FileError struct {
	Rel  string // relative to the root ("" for the root itself)
	Path string
	Err  error
}

func (e *FileError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

func joinRel(rel, name string) string {
	if rel == "" {
		return name
	}
	return rel + "/" + name
}

func inAncestors(id fileID, ancestors []fileID) bool {
	for _, a := range ancestors {
		if a == id {
			return true
		}
	}
	return false
}

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "fifo"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	}
	return m.Type().String()
}
