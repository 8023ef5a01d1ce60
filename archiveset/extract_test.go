package archiveset

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hdf5vault/hdf5vault/archive"
)

// listTree maps every non-directory below dir to its content ("->target" for links).
func listTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.Type()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			out[filepath.ToSlash(rel)] = "->" + target
			return nil
		}
		b, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestUnpackRestoresContentModeAndMtime(t *testing.T) {
	dir := t.TempDir()
	files := sampleFiles()
	fset := buildSet(t, dir, "acq", files, buildOpts{members: 2, chunkSize: 100_000, extras: true})
	s := openFake(t, fset)
	dest := filepath.Join(dir, "out")
	st, err := s.Unpack(context.Background(), dest, 3)
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != len(files) || st.Dir != filepath.Join(dest, "acq") {
		t.Errorf("stats %+v", st)
	}
	got := listTree(t, st.Dir)
	if len(got) != len(files) {
		t.Errorf("unpacked %d entries, want %d: %v", len(got), len(files), keys(got))
	}
	for _, tf := range files {
		p := filepath.Join(st.Dir, filepath.FromSlash(tf.path))
		if got[tf.path] != string(tf.data) {
			t.Errorf("%s: content differs", tf.path)
		}
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != fs.FileMode(tf.mode) {
			t.Errorf("%s: mode %o, want %o", tf.path, info.Mode().Perm(), tf.mode)
		}
		if !info.ModTime().Equal(time.Unix(0, tf.mtime)) {
			t.Errorf("%s: mtime %v, want %v", tf.path, info.ModTime(), time.Unix(0, tf.mtime))
		}
	}
}

func keys(m map[string]string) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	return k
}

func TestUnpackRefusesExistingFileBeforeWriting(t *testing.T) {
	dir := t.TempDir()
	fset := buildSet(t, dir, "acq", sampleFiles(), buildOpts{})
	s := openFake(t, fset)
	target := filepath.Join(dir, "out", "acq")
	if err := os.MkdirAll(filepath.Join(target, "deep/a/b"), 0o755); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(target, "deep/a/b/Zelle ü (1).txt")
	if err := os.WriteFile(victim, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := s.Unpack(context.Background(), filepath.Join(dir, "out"), 2)
	wantErr(t, err, "Zelle ü (1).txt", "refusing to overwrite")
	got := listTree(t, target)
	if len(got) != 1 || got["deep/a/b/Zelle ü (1).txt"] != "mine" {
		t.Errorf("target after refusal: %v", got)
	}
}

func TestUnpackRefusesSymlinkedDirectory(t *testing.T) {
	dir := t.TempDir()
	fset := buildSet(t, dir, "acq", sampleFiles(), buildOpts{})
	s := openFake(t, fset)
	outside := filepath.Join(dir, "outside")
	target := filepath.Join(dir, "out", "acq")
	for _, d := range []string{outside, target} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Someone planted Images -> outside: files must not land there.
	if err := os.Symlink(outside, filepath.Join(target, "Images")); err != nil {
		t.Fatal(err)
	}
	_, err := s.Unpack(context.Background(), filepath.Join(dir, "out"), 2)
	wantErr(t, err, "Images", "symbolic link")
	if got := listTree(t, outside); len(got) != 0 {
		t.Errorf("files written through the link: %v", got)
	}

	// The stem directory itself being a link is refused as well.
	dest2 := filepath.Join(dir, "out2")
	if err := os.MkdirAll(dest2, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dest2, "acq")); err != nil {
		t.Fatal(err)
	}
	_, err = s.Unpack(context.Background(), dest2, 2)
	wantErr(t, err, "symbolic link")
	if got := listTree(t, outside); len(got) != 0 {
		t.Errorf("files written through the link: %v", got)
	}
}

func TestUnpackChecksumMismatchLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	fset := buildSet(t, dir, "acq", sampleFiles(), buildOpts{chunkSize: 100_000, extras: true, mutate: func(ix *archive.Index) {
		for i := range ix.Files[0].Parts {
			ix.Files[0].Parts[i].Checksum = archive.ChecksumAlgo + ":" + strings.Repeat("ab", 16)
		}
	}})
	s := openFake(t, fset)
	_, err := s.Unpack(context.Background(), filepath.Join(dir, "out"), 1)
	wantErr(t, err, "Images/A01/f1.tif", "stored checksum")
	got := listTree(t, filepath.Join(dir, "out", "acq"))
	if _, ok := got["Images/A01/f1.tif"]; ok {
		t.Error("a file failing its checksum got its real name")
	}
	for p := range got {
		if archive.IsTempName(filepath.Base(p)) {
			t.Errorf("temporary file left behind: %s", p)
		}
	}
}

func TestUnpackCancelledLeavesNoTempFiles(t *testing.T) {
	dir := t.TempDir()
	fset := buildSet(t, dir, "acq", sampleFiles(), buildOpts{chunkSize: 100_000})
	s := openFake(t, fset)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Unpack(ctx, filepath.Join(dir, "out"), 2)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err != nil {
		return // cancelled before anything was created
	}
	for p := range listTree(t, filepath.Join(dir, "out")) {
		t.Errorf("left behind after cancellation: %s", p)
	}
}

func TestWriteFileChecksContent(t *testing.T) {
	dir := t.TempDir()
	files := sampleFiles()
	fset := buildSet(t, dir, "acq", files, buildOpts{members: 2, chunkSize: 100_000, extras: true})
	s := openFake(t, fset)
	var b bytes.Buffer
	f, err := s.Lookup(files[0].path)
	if err != nil || f == nil {
		t.Fatalf("Lookup: %v, %v", f, err)
	}
	if err := s.WriteFile(context.Background(), f, &b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), files[0].data) {
		t.Error("WriteFile content differs")
	}
	if f, err := s.Lookup("no/such/file"); f != nil || err != nil {
		t.Error("Lookup found a file that is not archived")
	}
}
