package archiveset

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/setwriter"
	"github.com/hdf5vault/hdf5vault/tempfile"
)

// UnpackOptions configure an unpack.
type UnpackOptions struct {
	Workers int // parallel readers
	// KeepGoing restores every intact file of a damaged set; the damaged
	// ones are listed in UnpackStats.Damaged instead of ending the run.
	KeepGoing bool
	// SkipExisting resumes an interrupted unpack: a file already in DEST
	// with the archive's size and content is skipped, a different one is
	// left alone and listed in UnpackStats.Differ. (Temporary files of
	// unpacks no longer running are removed by every unpack.)
	SkipExisting bool
}

// UnpackStats describes a finished unpack.
type UnpackStats struct {
	Dir     string // DEST/<stem>
	Files   int    // restored by this run
	Bytes   int64
	Parts   int      // parts of the restored files
	Stored  int64    // their payload bytes
	Skipped int      // already in DEST with the archive's content (SkipExisting)
	Damaged []string // not restored, damaged in the archive (KeepGoing): file and cause
	Differ  []string // left alone, DEST holds something else under the name (SkipExisting)
}

// Err is the outcome as an error: damage (archive.ErrDamaged, exit 3) when a
// file was not restored because it is damaged or DEST differs; nil otherwise.
func (st *UnpackStats) Err() error {
	if n, m := len(st.Damaged), len(st.Differ); n+m > 0 {
		return archive.Damaged(fmt.Errorf("%d file(s) damaged in the archive, %d different in %s: not restored", n, m, st.Dir))
	}
	return nil
}

// Unpack restores every file into dest/<stem>/ with workers parallel
// readers (UnpackWith without options).
func (s *Set) Unpack(ctx context.Context, dest string, workers int) (UnpackStats, error) {
	return s.UnpackWith(ctx, dest, UnpackOptions{Workers: workers})
}

// UnpackWith restores the set into dest/<stem>/. It refuses a bad layout
// or a chunk whose header, block table or stream sizes are damaged (with
// KeepGoing: the damaged files only) and any existing file (with
// SkipExisting: compares it instead) before writing anything. Each file is
// written under a temporary name, checked against the recorded size and
// checksum, given its recorded mode and mtime, and only then given its
// real name, never replacing a file; on error or cancellation the
// temporary files are removed.
func (s *Set) UnpackWith(ctx context.Context, dest string, o UnpackOptions) (UnpackStats, error) {
	st := UnpackStats{Dir: filepath.Join(dest, s.Stem)}
	if err := s.LayoutError(); err != nil && (!o.KeepGoing || !errors.Is(err, archive.ErrDamaged)) {
		return st, err
	}
	if err := s.CheckSpans(ctx); err != nil {
		return st, err
	}
	bad, err := s.checkChunks(ctx, o.Workers)
	if err != nil {
		return st, err
	}
	if len(bad) > 0 && !o.KeepGoing {
		return st, chunkError(bad)
	}
	// Files of an unpack killed earlier, whose pid is gone.
	if err := tempfile.RemoveStaleTree(st.Dir, setwriter.Pending, notify); err != nil {
		return st, err
	}
	existing, err := s.existingTargets(ctx, st.Dir)
	if err != nil {
		return st, err
	}
	if len(existing) > 0 && !o.SkipExisting {
		return st, fmt.Errorf("%s already exists: refusing to overwrite (--skip-existing resumes an unpack)",
			filepath.Join(st.Dir, filepath.FromSlash(slices.Min(slices.Collect(maps.Keys(existing))))))
	}
	root, err := makeTarget(dest, st.Dir)
	if err != nil {
		return st, err
	}
	defer root.Close()
	if err := s.makeDirs(ctx, root, st.Dir); err != nil {
		return st, err
	}
	dirs, err := newDirRoots(root)
	if err != nil {
		return st, err
	}
	defer dirs.close()
	u := &unpacker{s: s, root: root, dirs: dirs, dir: st.Dir, token: tempfile.Token(), exists: existing, found: findingsOf(ctx)}
	err = s.parallelFiles(ctx, o.Workers, func(ctx context.Context, r *fileReader, f *File) error {
		err := bad[f.Path]
		if err == nil {
			err = u.restore(ctx, r, f)
		}
		if err != nil && o.KeepGoing && errors.Is(err, archive.ErrDamaged) && ctx.Err() == nil {
			u.note(&u.damaged, err.Error())
			u.found(Finding{Kind: FindingDamaged, Path: f.Path, Err: err})
			return nil
		}
		return err
	})
	st.Files, st.Bytes, st.Skipped = int(u.files.Load()), u.bytes.Load(), int(u.skipped.Load())
	st.Parts, st.Stored = int(u.parts.Load()), u.stored.Load()
	sort.Strings(u.damaged)
	sort.Strings(u.differ)
	st.Damaged, st.Differ = u.damaged, u.differ
	return st, err
}

type unpacker struct {
	s       *Set
	root    *os.Root
	dirs    *dirRoots // root's directories, each opened once
	dir     string
	token   string
	seq     atomic.Int64    // makes each temporary name unique
	exists  map[string]bool // archive paths found in DEST before the run (SkipExisting)
	mu      sync.Mutex      // guards damaged and differ
	damaged []string        // why files were not restored (KeepGoing)
	differ  []string        // how DEST differs (SkipExisting)
	found   func(Finding)
	files   atomic.Int64
	bytes   atomic.Int64
	parts   atomic.Int64
	stored  atomic.Int64
	skipped atomic.Int64
}

// note appends a line to one of u's lists.
func (u *unpacker) note(list *[]string, line string) {
	u.mu.Lock()
	*list = append(*list, line)
	u.mu.Unlock()
}

// restore restores f, or compares it with what DEST already holds.
func (u *unpacker) restore(ctx context.Context, r *fileReader, f *File) error {
	if !u.exists[f.Path] {
		return u.file(ctx, r, f)
	}
	diff, err := u.compare(ctx, r, f)
	switch {
	case err != nil:
		return err
	case diff != "":
		u.note(&u.differ, diff)
		u.found(Finding{Kind: FindingDiffers, Path: f.Path, Err: errors.New(diff)})
	default:
		u.skipped.Add(1)
	}
	return nil
}

// file restores f through a temporary name, in its directory.
func (u *unpacker) file(ctx context.Context, r *fileReader, f *File) (err error) {
	final := filepath.FromSlash(f.Path)
	full := filepath.Join(u.dir, final)
	dir, name := filepath.Split(final)
	tmp := filepath.Base(archive.UnpackTempName(final, u.token, u.seq.Add(1)))
	d, release, err := u.dirs.get(filepath.Clean(dir))
	if err != nil {
		return fmt.Errorf("%s: %w", full, err)
	}
	defer release()
	out, err := create(d, tmp, full, f)
	if err != nil {
		return fmt.Errorf("%s: %w", full, err)
	}
	defer func() {
		if err != nil {
			out.abort()
		}
	}()
	if err = r.copyTo(ctx, f, out); err != nil {
		return err
	}
	if err = out.finish(); err != nil {
		return fmt.Errorf("%s: %w", full, err)
	}
	if err = publish(d, tmp, name, full); err != nil {
		return err
	}
	u.files.Add(1)
	u.bytes.Add(f.Size)
	u.parts.Add(int64(len(f.Parts)))
	u.stored.Add(f.Stored)
	return nil
}

// perm is the permission bits f is restored with: a setuid bit from an
// archive is not restored.
func perm(f *File) fs.FileMode {
	return fs.FileMode(*f.Mode & 0o777)
}

// linkPublish gives the finished temporary file in d its real name (full,
// for messages) without ever replacing an existing file: link(2) fails if
// the name exists; where there are no hard links, it checks, then renames.
func linkPublish(d *os.Root, tmp, name, full string) error {
	err := d.Link(tmp, name)
	if err == nil {
		return d.Remove(tmp)
	}
	if errors.Is(err, fs.ErrExist) {
		return appeared(full)
	}
	// No hard links here (some file systems): check, then rename.
	if _, lerr := d.Lstat(name); lerr == nil {
		return appeared(full)
	}
	if err := d.Rename(tmp, name); err != nil {
		return fmt.Errorf("%s: %w", full, err)
	}
	return nil
}

func appeared(full string) error {
	return fmt.Errorf("%s appeared during unpack: refusing to overwrite", full)
}
