package archiveset

// The destination: checked before anything is written, then created with
// directories of our own, never through a symlink.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
)

// existingTargets lists, before anything is written, the files of the set
// that already exist at their destination path (by archive path), and
// refuses a symlink or non-directory among the directories.
func (s *Set) existingTargets(ctx context.Context, dir string) (map[string]bool, error) {
	if err := checkDir(dir); err != nil || !exists(dir) {
		return nil, err
	}
	t := &targetCheck{dir: dir, exists: map[string]bool{".": true}}
	found := map[string]bool{}
	err := s.Walk(ctx, func(f *File) error {
		rel := f.Path
		if !t.dirExists(path.Dir(rel)) {
			return nil // a parent is missing: nothing below it exists
		}
		full := filepath.Join(dir, filepath.FromSlash(rel))
		if _, err := os.Lstat(full); err == nil {
			found[rel] = true
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return found, t.err
}

type targetCheck struct {
	dir    string
	exists map[string]bool
	err    error // the first symlink or non-directory met
}

// dirExists reports whether directory rel exists below the target,
// checking every component on the way once.
func (t *targetCheck) dirExists(rel string) bool {
	if ok, seen := t.exists[rel]; seen {
		return ok
	}
	ok := t.dirExists(path.Dir(rel))
	if ok {
		full := filepath.Join(t.dir, filepath.FromSlash(rel))
		if err := checkDir(full); err != nil && t.err == nil {
			t.err = err
		}
		ok = exists(full)
	}
	t.exists[rel] = ok
	return ok
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// checkDir accepts a missing path or a real directory.
func checkDir(p string) error {
	st, err := os.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case st.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link: refusing to unpack through it", p)
	case !st.IsDir():
		return fmt.Errorf("%s exists and is not a directory", p)
	}
	return nil
}

// makeTarget creates dest (the user's own path) and dest/<stem>, and opens
// the latter as the root below which everything is written.
func makeTarget(dest, dir string) (*os.Root, error) {
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return nil, err
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	if err := checkDir(dir); err != nil {
		return nil, err
	}
	return os.OpenRoot(dir)
}

// makeDirs creates every directory of the set below the root, parents
// first, refusing an existing symlink or non-directory.
func (s *Set) makeDirs(ctx context.Context, root *os.Root, dir string) error {
	dirs := map[string]bool{}
	err := s.Walk(ctx, func(f *File) error {
		for d := path.Dir(f.Path); d != "." && !dirs[d]; d = path.Dir(d) {
			dirs[d] = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	list := make([]string, 0, len(dirs))
	for d := range dirs {
		list = append(list, d)
	}
	sort.Strings(list) // a parent sorts before its children
	for _, d := range list {
		name := filepath.FromSlash(d)
		err := root.Mkdir(name, 0o755)
		if err == nil {
			continue
		}
		if !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("creating %s: %w", filepath.Join(dir, name), err)
		}
		st, err := root.Lstat(name)
		if err != nil {
			return err
		}
		if !st.IsDir() || st.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%s exists and is not a directory", filepath.Join(dir, name))
		}
	}
	return nil
}

// compare checks a file already in DEST against the archive: "" if it has
// the archived size and content (the stored checksum, or the archived bytes
// when the archive records no checksum), else how it differs.
func (u *unpacker) compare(ctx context.Context, r *fileReader, f *File) (string, error) {
	full := filepath.Join(u.dir, filepath.FromSlash(f.Path))
	st, err := u.root.Lstat(filepath.FromSlash(f.Path))
	switch {
	case err != nil:
		return "", err
	case !st.Mode().IsRegular():
		return fmt.Sprintf("%s: exists and is not a regular file", full), nil
	case st.Size() != f.Size:
		return fmt.Sprintf("%s: %d bytes in DEST, %d in the archive", full, st.Size(), f.Size), nil
	}
	disk, err := digestDisk(full, f.Checksum != nil)
	if err != nil {
		return "", err
	}
	if f.Checksum != nil {
		if !bytes.Equal(disk.sum, f.Checksum) {
			return fmt.Sprintf("%s: checksum %x in DEST, %x stored in the archive", full, disk.sum, f.Checksum), nil
		}
		return "", nil
	}
	arch, err := r.digest(ctx, f, true)
	if err != nil {
		return "", err
	}
	if !bytes.Equal(disk.md5, arch.md5) {
		return fmt.Sprintf("%s: content in DEST differs from the archive (MD5 %x, %x)", full, disk.md5, arch.md5), nil
	}
	return "", nil
}
