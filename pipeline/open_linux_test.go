package pipeline

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/walker"
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
	f, err := openLean(testRoot(t, dir, false), "f", p)
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

// TestOpenLeanSymlink: a file that became a symlink since the walk, or
// lies under a directory that did, is refused as no longer a regular file
// by both openers, unless the walk follows symlinks; a missing file is the
// system's error, naming it.
func TestOpenLeanSymlink(t *testing.T) {
	dir := t.TempDir()
	other := t.TempDir()
	target := filepath.Join(other, "target")
	os.WriteFile(target, []byte("other bytes"), 0o644)
	if err := os.Symlink(target, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(other, filepath.Join(dir, "dirlink")); err != nil {
		t.Fatal(err)
	}
	for name, open := range map[string]func(*walker.Root, string, string) (File, error){"lean": openLean, "mappable": openMappable} {
		for _, rel := range []string{"link", "dirlink/target"} {
			full := filepath.Join(dir, rel)
			if f, err := open(testRoot(t, dir, false), rel, full); !errors.Is(err, errSymlinkNow) {
				if f != nil {
					f.Close()
				}
				t.Errorf("%s: %s opened: %v", name, rel, err)
			}
			f, err := open(testRoot(t, dir, true), rel, full)
			if err != nil {
				t.Fatalf("%s, following %s: %v", name, rel, err)
			}
			b, err := io.ReadAll(f)
			f.Close()
			if string(b) != "other bytes" || err != nil {
				t.Errorf("%s, following %s: read %q, %v", name, rel, b, err)
			}
		}
		missing := filepath.Join(dir, "missing")
		if _, err := open(testRoot(t, dir, false), "missing", missing); !errors.Is(err, fs.ErrNotExist) || !containsAll(err.Error(), missing) {
			t.Errorf("%s: missing file: %v", name, err)
		}
	}
}

// testRoot is dir held open for the openers, closed when t ends.
func testRoot(t *testing.T, dir string, follow bool) *walker.Root {
	t.Helper()
	r, err := walker.OpenRoot(dir, follow)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
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
				f, err := openLean(testRoot(t, src, false), "f", p)
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

// TestRunSmallFileChangedSinceWalk: a small file is read the short way,
// with the walk's stat standing for the one taken after opening. A file
// changed between the walk and the read is read again the long way, so
// the outcome is what it was before the short way: a size change fails
// the run saying so, a file rewritten (or touched) before it is opened is
// stored as it is then, with that file's checksum, time and mode; a file
// that became a symlink or vanished fails the run naming it.
func TestRunSmallFileChangedSinceWalk(t *testing.T) {
	old := []byte("1234")
	for _, tc := range []struct {
		name, want string // want: the error; "" for a run that succeeds
		stored     []byte
		change     func(t *testing.T, p string)
	}{
		{"unchanged", "", old, func(*testing.T, string) {}},
		{"grown", "size changed from 4 to 8 bytes since the walk", nil, func(t *testing.T, p string) {
			must(t, appendTo(p, "more"))
		}},
		{"rewritten, time put back", "", []byte("4321"), func(t *testing.T, p string) {
			fi, err := os.Stat(p)
			must(t, err)
			must(t, os.WriteFile(p, []byte("4321"), 0o640))
			must(t, os.Chtimes(p, fi.ModTime(), fi.ModTime()))
		}},
		{"touched", "", old, func(t *testing.T, p string) {
			must(t, os.Chtimes(p, time.Unix(1e9, 0), time.Unix(1e9, 0)))
		}},
		{"now a symlink", "no longer a regular file (it or a directory above it is now a symlink)", nil, func(t *testing.T, p string) {
			other := filepath.Join(t.TempDir(), "other")
			must(t, os.WriteFile(other, []byte("5678"), 0o640))
			must(t, os.Remove(p))
			must(t, os.Symlink(other, p))
		}},
		{"under a symlink now", "no longer a regular file (it or a directory above it is now a symlink)", nil, func(t *testing.T, p string) {
			// Its directory moved away, and a symlink in its place leads
			// to a file of the same name and size outside the tree.
			other := filepath.Join(t.TempDir(), "d")
			must(t, os.Mkdir(other, 0o755))
			must(t, os.WriteFile(filepath.Join(other, "f"), []byte("5678"), 0o640))
			must(t, os.Rename(filepath.Dir(p), filepath.Dir(p)+".moved"))
			must(t, os.Symlink(other, filepath.Dir(p)))
		}},
		{"vanished", "no such file", nil, func(t *testing.T, p string) { must(t, os.Remove(p)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := writeTree(t, map[string][]byte{"d/f": old})
			ws, fw := fakes(1)
			cfg := baseConfig(src, ws)
			// Select runs in the walk after its stat of the file.
			cfg.Select = func(e walker.Entry) bool {
				tc.change(t, filepath.Join(src, e.Rel))
				return true
			}
			res, err := Run(t.Context(), cfg)
			if tc.want != "" {
				if err == nil || !containsAll(err.Error(), filepath.Join(src, "d/f"), tc.want) {
					t.Fatalf("err = %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkStored(t, map[string][]byte{"d/f": tc.stored}, fw, res, 1000)
			fi, err := os.Stat(filepath.Join(src, "d/f"))
			must(t, err)
			ix, err := archive.ParseIndex([]byte(fw[0].root.Info), 1)
			must(t, err)
			if e := checkSideIndex(t, fw, ix, 1000)["d/f"]; e.MtimeNs != fi.ModTime().UnixNano() {
				t.Errorf("stored time %d, the file's %d", e.MtimeNs, fi.ModTime().UnixNano())
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
