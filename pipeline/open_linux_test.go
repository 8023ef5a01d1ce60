package pipeline

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestOpenLeanStatLikeOS: the lean file's stat is what os.File.Stat says
// (the mode bits the index records, size, time, and the stamp sameStamp
// compares), and it reads the bytes, then io.EOF.
func TestOpenLeanStatLikeOS(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("hello"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o640|fs.ModeSetgid|fs.ModeSticky); err != nil {
		t.Fatal(err)
	}
	f, err := openLean(p, false)
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if got.Mode() != want.Mode() || got.Size() != want.Size() || !got.ModTime().Equal(want.ModTime()) ||
		got.Name() != want.Name() || got.IsDir() {
		t.Errorf("stat %v %d %v %q, os says %v %d %v %q", got.Mode(), got.Size(), got.ModTime(), got.Name(),
			want.Mode(), want.Size(), want.ModTime(), want.Name())
	}
	if err := sameStamp(want, got); err != nil {
		t.Errorf("sameStamp(os, lean): %v", err)
	}
	b, err := io.ReadAll(f)
	if err != nil || string(b) != "hello" {
		t.Errorf("read %q, %v", b, err)
	}
	if n, err := f.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("read after the end: %d, %v", n, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("second close: %v", err)
	}
	if m := (&statInfo{st: syscall.Stat_t{Mode: syscall.S_IFDIR | 0o755}}).Mode(); m != fs.ModeDir|0o755 {
		t.Errorf("a directory's mode: %v", m)
	}
}

// TestOpenLeanSymlink: a file that became a symlink since the walk is
// refused as no longer a regular file, by both openers, unless the walk
// follows symlinks; a missing file is the system's error, naming it.
func TestOpenLeanSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	link := filepath.Join(dir, "link")
	os.WriteFile(target, []byte("other bytes"), 0o644)
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	for name, open := range map[string]func(string, bool) (File, error){"lean": openLean, "mappable": openMappable} {
		if f, err := open(link, false); !errors.Is(err, errSymlinkNow) {
			if f != nil {
				f.Close()
			}
			t.Errorf("%s: a symlink opened: %v", name, err)
		}
		f, err := open(link, true)
		if err != nil {
			t.Fatalf("%s, following: %v", name, err)
		}
		b, err := io.ReadAll(f)
		f.Close()
		if string(b) != "other bytes" || err != nil {
			t.Errorf("%s, following: read %q, %v", name, b, err)
		}
		missing := filepath.Join(dir, "missing")
		if _, err := open(missing, false); !errors.Is(err, fs.ErrNotExist) || !containsAll(err.Error(), missing) {
			t.Errorf("%s: missing file: %v", name, err)
		}
	}
}

// TestRunLeanFileChecks: the checks readFile makes hold for files the
// lean opener opened: growth, shrinking and an edit whose time was put
// back are each found.
func TestRunLeanFileChecks(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		change     func(p string) error
	}{
		{"grows", "grew while being read", func(p string) error { return appendTo(p, "more") }},
		{"shrinks", "shrank while being read", func(p string) error { return os.Truncate(p, 2) }},
		{"edited", "changed while being read", func(p string) error {
			fi, err := os.Stat(p)
			if err == nil {
				err = os.WriteFile(p, []byte("4321"), 0o644)
			}
			if err == nil {
				err = os.Chtimes(p, fi.ModTime(), fi.ModTime())
			}
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := writeTree(t, map[string][]byte{"f": []byte("1234")})
			ws, _ := fakes(1)
			cfg := baseConfig(src, ws)
			cfg.Open = func(p string) (File, error) {
				f, err := openLean(p, false)
				if err != nil {
					return nil, err
				}
				return &changeOnRead{File: f, change: func() error { return tc.change(p) }}, nil
			}
			_, err := Run(t.Context(), cfg)
			if err == nil || !containsAll(err.Error(), filepath.Join(src, "f"), tc.want) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

// changeOnRead changes its file right after the first read.
type changeOnRead struct {
	File
	change func() error
	done   bool
}

func (c *changeOnRead) Read(p []byte) (int, error) {
	n, err := c.File.Read(p)
	if !c.done {
		c.done = true
		if err := c.change(); err != nil {
			return n, err
		}
	}
	return n, err
}

func appendTo(p, s string) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(s)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
