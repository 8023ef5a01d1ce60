package archiveset

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/tempfile"
)

// UnpackStats describes a finished unpack.
type UnpackStats struct {
	Dir   string // DEST/<stem>
	Files int
	Bytes int64
}

// Unpack restores every file into dest/<stem>/ with workers parallel
// readers. It refuses a bad layout and any existing file before writing
// anything. Each file is written under a temporary name, checked against
// the recorded size and checksum, given its recorded mode and mtime, and
// only then linked to its real name; on error or cancellation the
// temporary files are removed.
func (s *Set) Unpack(ctx context.Context, dest string, workers int) (UnpackStats, error) {
	st := UnpackStats{Dir: filepath.Join(dest, s.Stem)}
	if err := s.LayoutError(); err != nil {
		return st, err
	}
	if err := s.CheckSpans(ctx); err != nil {
		return st, err
	}
	// Files of an unpack killed earlier, whose pid is gone.
	if err := tempfile.RemoveStaleTree(st.Dir, notify); err != nil {
		return st, err
	}
	if err := s.checkTarget(ctx, st.Dir); err != nil {
		return st, err
	}
	root, err := makeTarget(dest, st.Dir)
	if err != nil {
		return st, err
	}
	defer root.Close()
	if err := s.makeDirs(ctx, root, st.Dir); err != nil {
		return st, err
	}
	u := &unpacker{s: s, root: root, dir: st.Dir, token: tempfile.Token()}
	err = s.parallelFiles(ctx, workers, u.file)
	st.Files, st.Bytes = int(u.files.Load()), u.bytes.Load()
	return st, err
}

type unpacker struct {
	s     *Set
	root  *os.Root
	dir   string
	token string
	files atomic.Int64
	bytes atomic.Int64
}

// file restores f through a temporary name.
func (u *unpacker) file(ctx context.Context, r *fileReader, f *File) (err error) {
	final := filepath.FromSlash(f.Path)
	tmp := archive.TempName(final, u.token)
	out, err := u.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o666)
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(u.dir, final), err)
	}
	defer func() {
		if err != nil {
			out.Close()
			u.root.Remove(tmp)
		}
	}()
	if err = r.copyTo(ctx, f, out); err != nil {
		return err
	}
	if err := u.finish(out, f, tmp); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(u.dir, final), err)
	}
	if err := u.publish(tmp, final); err != nil {
		return err
	}
	u.files.Add(1)
	u.bytes.Add(f.Size)
	return nil
}

// finish sets the recorded mode and mtime and closes the file.
func (u *unpacker) finish(out *os.File, f *File, tmp string) error {
	if f.Mode != nil {
		// Permission bits only: a setuid bit from an archive is not restored.
		if err := out.Chmod(fs.FileMode(*f.Mode & 0o777)); err != nil {
			return err
		}
	}
	if err := out.Close(); err != nil {
		return err
	}
	if f.MtimeNs != nil {
		return u.root.Chtimes(tmp, time.Time{}, time.Unix(0, *f.MtimeNs))
	}
	return nil
}

// publish gives the finished temporary file its real name without ever
// replacing an existing file: link(2) fails if the name exists.
func (u *unpacker) publish(tmp, final string) error {
	err := u.root.Link(tmp, final)
	if err == nil {
		return u.root.Remove(tmp)
	}
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s appeared during unpack: refusing to overwrite", filepath.Join(u.dir, final))
	}
	// No hard links here (some file systems): check, then rename.
	if _, lerr := u.root.Lstat(final); lerr == nil {
		return fmt.Errorf("%s appeared during unpack: refusing to overwrite", filepath.Join(u.dir, final))
	}
	if err := u.root.Rename(tmp, final); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(u.dir, final), err)
	}
	return nil
}
