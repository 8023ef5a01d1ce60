package archiveset

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
)

// writeTree writes files below dir as a source tree.
func writeTree(t *testing.T, dir string, files []testFile) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func rowsByPath(rows []CheckRow) map[string]CheckRow {
	m := map[string]CheckRow{}
	for _, r := range rows {
		m[r.Path] = r
	}
	return m
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	files := sampleFiles()
	fset := buildSet(t, dir, "acq", files, buildOpts{members: 2, chunkSize: 100_000, extras: true})
	s := openFake(t, fset)
	tree := filepath.Join(dir, "tree")
	writeTree(t, tree, files)

	rep, err := s.Check(context.Background(), tree, CheckOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Rows {
		sum := md5.Sum(filesByPath(files)[r.Path])
		if !r.Passed || r.MD5Orig != hex.EncodeToString(sum[:]) || r.MD5Arch != r.MD5Orig {
			t.Errorf("clean tree: %+v", r)
		}
	}

	// One byte changed, one file removed, one file added.
	changed := filepath.Join(tree, "Images/A01/f1.tif")
	b := bytes.Clone(files[0].data)
	b[123_456] ^= 1
	os.WriteFile(changed, b, 0o644)
	os.Remove(filepath.Join(tree, "raw.bin"))
	os.WriteFile(filepath.Join(tree, "deep/extra.txt"), []byte("x"), 0o644)
	rep, err = s.Check(context.Background(), tree, CheckOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	m := rowsByPath(rep.Rows)
	if len(rep.Rows) != len(files)+1 {
		t.Errorf("%d rows, want %d", len(rep.Rows), len(files)+1)
	}
	for path, want := range map[string]string{
		"Images/A01/f1.tif": "MD5",
		"raw.bin":           "missing on disk",
		"deep/extra.txt":    "not in the archive",
	} {
		r := m[path]
		if r.Passed || !strings.Contains(r.Problem, path) || !strings.Contains(r.Problem, want) {
			t.Errorf("%s: passed=%v problem %q, want it to name the file and %q", path, r.Passed, r.Problem, want)
		}
	}
	if r := m["Images/A01/f1.tif"]; r.Chunks != 3 || r.SizeOrig != 250_000 || r.SizeArch != 250_000 {
		t.Errorf("changed file row %+v", r)
	}
	if r := m["empty.dat"]; !r.Passed {
		t.Errorf("untouched file failed: %+v", r)
	}
}

func TestCheckComparesStoredChecksum(t *testing.T) {
	// Disk and archive agree, but the archive's stored checksum does not: the
	// archive is damaged (e.g. the index was edited), and check must say so.
	dir := t.TempDir()
	files := sampleFiles()
	fset := buildSet(t, dir, "acq", files, buildOpts{extras: true, mutate: func(ix *archive.Index) {
		ix.Files[2].Parts[0].Checksum = archive.ChecksumAlgo + ":" + strings.Repeat("00", 16)
	}})
	s := openFake(t, fset)
	tree := filepath.Join(dir, "tree")
	writeTree(t, tree, files)
	rep, err := s.Check(context.Background(), tree, CheckOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r := rowsByPath(rep.Rows)["raw.bin"]; r.Passed || !strings.Contains(r.Problem, "stored checksum") {
		t.Errorf("raw.bin: %+v", r)
	}
}

func filesByPath(files []testFile) map[string][]byte {
	m := map[string][]byte{}
	for _, f := range files {
		m[f.path] = f.data
	}
	return m
}

func TestVerifyNamesDamagedFiles(t *testing.T) {
	dir := t.TempDir()
	files := sampleFiles()
	fset := buildSet(t, dir, "acq", files, buildOpts{chunkSize: 100_000, extras: true})
	// Flip a byte inside a raw payload (caught by the checksum) and the last
	// byte of a compressed part (caught by the checksum or the decoder).
	d := fset.readers[fset.paths[0]].data
	d["raw.bin"][3] ^= 0x40
	p := d["Images/A01/f1.tif____part1.blosc2"]
	p[len(p)-1] ^= 0xff
	s := openFake(t, fset)
	res, err := s.Verify(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Damaged) != 2 || !strings.Contains(strings.Join(res.Damaged, "\n"), "raw.bin") ||
		!strings.Contains(strings.Join(res.Damaged, "\n"), "Images/A01/f1.tif") {
		t.Errorf("damaged: %q", res.Damaged)
	}
	if res.Files != len(files) || res.WithSum != len(files) || !res.HasChecksum {
		t.Errorf("result %+v", res)
	}
}

func TestVerifyWithoutChecksums(t *testing.T) {
	dir := t.TempDir()
	fset := buildSet(t, dir, "acq", sampleFiles(), buildOpts{chunkSize: 100_000})
	fset.readers[fset.paths[0]].data["raw.bin"][0] ^= 1 // undetectable without checksums
	s := openFake(t, fset)
	res, err := s.Verify(context.Background(), 2)
	if err != nil || res.HasChecksum || len(res.Damaged) != 0 || res.Bytes != 250_000+28+26 {
		t.Errorf("verify without checksums: %+v, %v", res, err)
	}
}

func TestWriteSummaryLayout(t *testing.T) {
	rows := []CheckRow{
		{Path: "a/Zelle ü.txt", SizeOrig: 5, SizeArch: 5, MD5Orig: "m1", MD5Arch: "m1", Chunks: 2, Passed: true},
		{Path: "extra", SizeOrig: 1, MD5Orig: NA, MD5Arch: NA},
	}
	var b bytes.Buffer
	if err := WriteSummary(&b, rows); err != nil {
		t.Fatal(err)
	}
	// pandas escapes "/" and non-ASCII; the keys must still decode to the paths.
	if !strings.Contains(b.String(), `"a\/Zelle \u00fc.txt"`) {
		t.Errorf("not pandas-escaped: %s", b.String())
	}
	var got map[string]map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, b.String())
	}
	want := map[string]map[string]any{
		"size_orig": {"a/Zelle ü.txt": 5.0, "extra": 1.0},
		"size_arch": {"a/Zelle ü.txt": 5.0, "extra": 0.0},
		"md5_orig":  {"a/Zelle ü.txt": "m1", "extra": "N/A"},
		"md5_arch":  {"a/Zelle ü.txt": "m1", "extra": "N/A"},
		"chunks":    {"a/Zelle ü.txt": 2.0, "extra": 0.0},
		"passed":    {"a/Zelle ü.txt": true, "extra": false},
	}
	for col, vals := range want {
		for k, v := range vals {
			if got[col][k] != v {
				t.Errorf("%s[%s] = %v, want %v", col, k, got[col][k], v)
			}
		}
	}
	if len(got) != 6 {
		t.Errorf("%d columns, want 6", len(got))
	}
}

// TestCheckSymlinks: a symlink is compared only when followed, as create
// archives it only with --follow-symlinks; otherwise it is listed as not checked.
func TestCheckSymlinks(t *testing.T) {
	dir := t.TempDir()
	files := sampleFiles()
	s := openFake(t, buildSet(t, dir, "acq", files, buildOpts{}))
	tree := filepath.Join(dir, "tree")
	writeTree(t, tree, files)
	real := filepath.Join(dir, "real.bin")
	if err := os.Rename(filepath.Join(tree, "raw.bin"), real); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, filepath.Join(tree, "raw.bin")); err != nil {
		t.Fatal(err)
	}
	rep, err := s.Check(context.Background(), tree, CheckOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r := rowsByPath(rep.Rows)["raw.bin"]; r.Passed || !strings.Contains(r.Problem, "missing on disk") || len(rep.NotChecked) != 1 {
		t.Errorf("unfollowed link: %+v, not checked %v", r, rep.NotChecked)
	}
	rep, err = s.Check(context.Background(), tree, CheckOptions{Workers: 1, FollowSymlinks: true})
	if err != nil {
		t.Fatal(err)
	}
	if r := rowsByPath(rep.Rows)["raw.bin"]; !r.Passed {
		t.Errorf("followed link: %+v", r)
	}
}
