package walker

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

func mkfile(t *testing.T, root, rel string, size int) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, make([]byte, size), 0o644); err != nil {
		t.Fatal(err)
	}
}

func collect(t *testing.T, root string, o Options) ([]Entry, *Stats, error) {
	t.Helper()
	var got []Entry
	st, err := Walk(context.Background(), root, o, func(e Entry) error {
		got = append(got, e)
		return nil
	})
	return got, st, err
}

func rels(es []Entry) []string {
	var r []string
	for _, e := range es {
		r = append(r, e.Rel)
	}
	return r
}

func TestWalkOrderAndPaths(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"b.txt", "a/z.tif", "a/b/c.tif", ".hidden/x", "Zelle ü 1.txt", "empty"} {
		mkfile(t, root, f, len(f))
	}
	got, st, err := collect(t, root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Files of a directory first (sorted), then its subdirectories.
	want := []string{"Zelle ü 1.txt", "b.txt", "empty", ".hidden/x", "a/z.tif", "a/b/c.tif"}
	if !reflect.DeepEqual(rels(got), want) {
		t.Fatalf("got %q, want %q", rels(got), want)
	}
	for _, e := range got {
		want := filepath.Join(root, filepath.FromSlash(e.Rel))
		if e.Path != want || e.Size != int64(len(e.Rel)) { // mkfile made each file len(rel) bytes
			t.Errorf("%s: path %s size %d", e.Rel, e.Path, e.Size)
		}
	}
	if st.Files != 6 {
		t.Errorf("files = %d", st.Files)
	}
}

func TestWalkSymlinksNotFollowed(t *testing.T) {
	root := t.TempDir()
	mkfile(t, root, "real/data.bin", 10)
	os.Symlink("real/data.bin", filepath.Join(root, "link.bin"))
	os.Symlink("real", filepath.Join(root, "linkdir"))
	got, st, err := collect(t, root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rels(got), []string{"real/data.bin"}) {
		t.Fatalf("got %q", rels(got))
	}
	if !reflect.DeepEqual(st.Symlinks, []string{"link.bin", "linkdir"}) {
		t.Fatalf("symlinks %q", st.Symlinks)
	}
}

func TestWalkFollowSymlinksWithLoop(t *testing.T) {
	root := t.TempDir()
	mkfile(t, root, "real/data.bin", 10)
	os.Symlink("data.bin", filepath.Join(root, "real", "same.bin"))
	os.Symlink("..", filepath.Join(root, "real", "up"))    // loop to the root
	os.Symlink("missing", filepath.Join(root, "dangling")) // broken
	got, st, err := collect(t, root, Options{FollowSymlinks: true})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rels(got), []string{"real/data.bin", "real/same.bin"}) {
		t.Fatalf("got %q", rels(got))
	}
	if len(st.Special) != 2 || !strings.Contains(st.Special[0].Reason+st.Special[1].Reason, "loop") {
		t.Fatalf("special %+v", st.Special)
	}
}

func TestWalkSkipsSpecialFiles(t *testing.T) {
	root := t.TempDir()
	mkfile(t, root, "ok", 1)
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	var warned []Skip
	got, st, err := collect(t, root, Options{Warn: func(s Skip) { warned = append(warned, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rels(got), []string{"ok"}) || len(st.Special) != 1 || st.Special[0].Path != "fifo" ||
		!strings.Contains(st.Special[0].Reason, "fifo") || len(warned) != 1 {
		t.Fatalf("got %q special %+v warned %+v", rels(got), st.Special, warned)
	}
}

// unreadableDir simulates EACCES (tests run as root, where chmod 000 does not fail).
func unreadableDir(bad string) func(string) ([]os.DirEntry, error) {
	return func(d string) ([]os.DirEntry, error) {
		if filepath.Base(d) == bad {
			return nil, &os.PathError{Op: "open", Path: d, Err: os.ErrPermission}
		}
		return os.ReadDir(d)
	}
}

func TestWalkUnreadableDir(t *testing.T) {
	root := t.TempDir()
	mkfile(t, root, "a/x", 1)
	mkfile(t, root, "secret/y", 1)
	_, _, err := collect(t, root, Options{ReadDir: unreadableDir("secret")})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(root, "secret")) || !errors.Is(err, os.ErrPermission) {
		t.Fatalf("err = %v, want it to name the directory", err)
	}
	got, st, err := collect(t, root, Options{ReadDir: unreadableDir("secret"), SkipUnreadable: true})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rels(got), []string{"a/x"}) || len(st.Unreadable) != 1 || st.Unreadable[0].Path != "secret" {
		t.Fatalf("got %q unreadable %+v", rels(got), st.Unreadable)
	}
}

// TestWalkChmod000AsNonRoot uses a real unreadable directory where it fails.
func TestWalkChmod000AsNonRoot(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: permissions do not stop reads (covered by TestWalkUnreadableDir)")
	}
	root := t.TempDir()
	mkfile(t, root, "secret/y", 1)
	os.Chmod(filepath.Join(root, "secret"), 0)
	defer os.Chmod(filepath.Join(root, "secret"), 0o755)
	if _, _, err := collect(t, root, Options{}); !errors.Is(err, os.ErrPermission) {
		t.Fatalf("err = %v", err)
	}
}

func TestWalkBadNames(t *testing.T) {
	root := t.TempDir()
	mkfile(t, root, "ok", 1)
	mkfile(t, root, "bad\xffname", 1)
	mkfile(t, root, `back\slash`, 1)
	if _, _, err := collect(t, root, Options{}); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Fatalf("err = %v", err)
	}
	got, st, err := collect(t, root, Options{SkipUnreadable: true})
	if err != nil {
		t.Fatal(err)
	}
	// A backslash is an ordinary byte of a POSIX name: archived.
	if !reflect.DeepEqual(rels(got), []string{`back\slash`, "ok"}) || len(st.Unreadable) != 1 {
		t.Fatalf("got %q unreadable %+v", rels(got), st.Unreadable)
	}
}

func TestWalkExclude(t *testing.T) {
	root := t.TempDir()
	mkfile(t, root, "data", 1)
	mkfile(t, root, "out/arch_0.h5", 1)
	got, _, err := collect(t, root, Options{Exclude: func(dir, name string) bool {
		return dir == filepath.Join(root, "out") && name == "arch_0.h5"
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rels(got), []string{"data"}) {
		t.Fatalf("got %q", rels(got))
	}
}

func TestWalkMayCollide(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"x", "x.blosc2", "y", "y____part0", "plain", "d/x"} {
		mkfile(t, root, f, 1)
	}
	got, _, err := collect(t, root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	flagged := map[string]bool{}
	for _, e := range got {
		flagged[e.Rel] = e.MayCollide
	}
	want := map[string]bool{"x": true, "x.blosc2": true, "y": true, "y____part0": true, "plain": false, "d/x": false}
	if !reflect.DeepEqual(flagged, want) {
		t.Fatalf("flags %v, want %v", flagged, want)
	}
	// A file whose compressed dataset name equals a sibling directory's group.
	mkfile(t, root, "g/n", 1)
	mkfile(t, root, "g/n.blosc2/inner", 1)
	if _, _, err := collect(t, root, Options{}); err == nil || !strings.Contains(err.Error(), "g/n.blosc2") {
		t.Fatalf("err = %v", err)
	}
}

func TestWalkCancel(t *testing.T) {
	root := t.TempDir()
	mkfile(t, root, "a", 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Walk(ctx, root, Options{}, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestWalkRootNotDir(t *testing.T) {
	root := t.TempDir()
	mkfile(t, root, "f", 1)
	if _, err := Walk(context.Background(), filepath.Join(root, "f"), Options{}, nil); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("err = %v", err)
	}
}

// Keep leaves files and whole directories out: a pruned directory is never
// listed (an unreadable one does not fail the walk) and a name that could
// not be archived does not fail it either once it is left out.
func TestKeepPrunes(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"a/keep.tif", "a/drop.tmp", "skip/deep/x", "top.txt", "bad\xff"} {
		mkfile(t, root, f, 1)
	}
	o := Options{
		Keep: func(rel string, dir bool) bool {
			return !(dir && rel == "skip") && !strings.HasSuffix(rel, ".tmp") && !strings.HasPrefix(rel, "bad")
		},
		ReadDir: func(dir string) ([]os.DirEntry, error) {
			if filepath.Base(dir) == "skip" {
				return nil, syscall.EACCES
			}
			return os.ReadDir(dir)
		},
	}
	got, st, err := collect(t, root, o)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"top.txt", "a/keep.tif"}; !reflect.DeepEqual(rels(got), want) {
		t.Errorf("got %q, want %q", rels(got), want)
	}
	if st.Excluded != 3 || st.Files != 2 {
		t.Errorf("excluded %d, files %d; want 3 and 2", st.Excluded, st.Files)
	}
}

// TestWalkDirNowSymlink: a directory replaced by a symlink after its parent
// was listed (here, while the parent's files are emitted) is not listed
// through the symlink: the walk fails naming it, or with SkipUnreadable
// lists it as unreadable; nothing from outside the tree is emitted.
// Following symlinks, the user asked for the target.
func TestWalkDirNowSymlink(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		want []string
	}{
		{"fails", Options{}, nil},
		{"skips", Options{SkipUnreadable: true}, []string{"a/f"}},
		{"follows", Options{FollowSymlinks: true}, []string{"a/f", "a/sub/outside"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, other := t.TempDir(), t.TempDir()
			mkfile(t, root, "a/f", 1)
			mkfile(t, root, "a/sub/inside", 1)
			mkfile(t, other, "outside", 1)
			sub := filepath.Join(root, "a", "sub")
			var got []string
			st, err := Walk(context.Background(), root, tc.o, func(e Entry) error {
				if e.Rel == "a/f" {
					if err := os.Rename(sub, sub+".moved"); err != nil {
						return err
					}
					if err := os.Symlink(other, sub); err != nil {
						return err
					}
				}
				got = append(got, e.Rel)
				return nil
			})
			if tc.want == nil {
				if err == nil || !strings.Contains(err.Error(), sub+": cannot list directory: now a symlink") || !errors.Is(err, ErrSymlinkNow) {
					t.Fatalf("err = %v, want one naming %s", err, sub)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("emitted %q, want %q", got, tc.want)
			}
			if tc.o.SkipUnreadable && (len(st.Unreadable) != 1 || st.Unreadable[0].Path != "a/sub") {
				t.Errorf("unreadable: %+v", st.Unreadable)
			}
		})
	}
}
