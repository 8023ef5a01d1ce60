package h5sink

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
)

var modes = map[string]Options{
	"pwrite":          {},
	"h5dwrite":        {H5Dwrite: true},
	"flush-each":      {FlushEach: true},
	"format18":        {tuning: tuning{format18: true}},
	"pwrite+bigcache": {tuning: bigCache},
}

func TestRoundTrip(t *testing.T) {
	for mode, o := range modes {
		t.Run(mode, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "set_1.h5")
			ss := samples()
			root := sampleRoot(3, 1)
			offs := writeSamples(t, path, o, ss, root)
			r, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if got := withInfo(t, r); got != root {
				t.Errorf("root attrs = %+v, want %+v", got, root)
			}
			for _, s := range ss {
				checkSample(t, r, s, offs[s.name])
			}
			r.viaLibrary = true // the same bytes through H5Dread
			for _, s := range ss {
				checkSample(t, r, s, offs[s.name])
			}
		})
	}
}

func checkSample(t *testing.T, r *Reader, s sample, putOffset int64) {
	t.Helper()
	info, err := r.Stat(s.name)
	if err != nil {
		t.Fatal(err)
	}
	want := s.attrs
	if want.NumChunks <= 1 {
		want.Chunk, want.NumChunks = 0, 0 // not stored for an unsplit file
	}
	if info.Size != int64(len(s.payload)) || info.Attrs != (archive.DatasetAttrs{}) {
		t.Errorf("%s: stat = %+v, want size %d and no attributes (Stat does not read them)", s.name, info, len(s.payload))
	}
	if attrs, err := r.Attrs(s.name); err != nil || attrs != want {
		t.Errorf("%s: attrs = %+v, %v; want %+v", s.name, attrs, err, want)
	}
	if info.Offset != putOffset {
		t.Errorf("%s: stat offset %d, Put returned %d", s.name, info.Offset, putOffset)
	}
	if len(s.payload) == 0 && info.Offset != -1 {
		t.Errorf("%s: empty payload has offset %d, want -1", s.name, info.Offset)
	}
	prefix := []byte("prefix")
	got, err := r.ReadPayload(s.name, prefix)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[:len(prefix)], prefix) || !bytes.Equal(got[len(prefix):], s.payload) {
		t.Errorf("%s: payload differs (got %d bytes, want %d)", s.name, len(got)-len(prefix), len(s.payload))
	}
}

func TestSingleFileOmitsSetAttrs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "one.h5")
	writeSamples(t, path, Options{}, samples()[:1], sampleRoot(1, 0))
	d := h5pyDump(t, path)
	for _, k := range []string{archive.AttrFileNumber, archive.AttrNumFiles} {
		if _, ok := d.Root[k]; ok {
			t.Errorf("single-file archive stores %s", k)
		}
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Root().NumFiles != 1 || r.Root().FileNumber != 0 {
		t.Errorf("root = %+v, want NumFiles 1, FileNumber 0", r.Root())
	}
}

func TestStatErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.h5")
	writeSamples(t, path, Options{}, samples(), sampleRoot(1, 0))
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, name := range []string{"nope", "Images/A01", "Images/A01/missing.tif", "tiny.txt\x00x"} {
		if _, err := r.Stat(name); err == nil {
			t.Errorf("Stat(%q) succeeded", name)
		} else if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), strconv.Quote(name)) {
			t.Errorf("Stat(%q) error does not name the file and dataset: %v", name, err)
		}
		if _, err := r.ReadPayload(name, nil); err == nil {
			t.Errorf("ReadPayload(%q) succeeded", name)
		}
	}
	r.Close()
	if _, err := r.ReadPayload("tiny.txt", nil); err == nil {
		t.Error("ReadPayload after Close succeeded")
	}
}

func TestCreateRefusesExisting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.h5")
	if err := os.WriteFile(path, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Create(path, Options{}); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Create over an existing file: err = %v, want ErrExist", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "keep me" {
		t.Error("Create touched the existing file")
	}
}

func TestAbortRemoves(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.h5")
	w, err := Create(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Put("a/b.bin", []byte("data"), archive.DatasetAttrs{Compression: "None"}); err != nil {
		t.Fatal(err)
	}
	// A failing Put (same name twice) leaves the writer abortable.
	if _, err := w.Put("a/b.bin", []byte("data"), archive.DatasetAttrs{Compression: "None"}); err == nil {
		t.Error("second Put of the same dataset succeeded")
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("file still there after Abort: %v", err)
	}
	if _, err := w.Put("c", nil, archive.DatasetAttrs{Compression: "None"}); err == nil {
		t.Error("Put after Abort succeeded")
	}
	if err := w.Abort(); err != nil {
		t.Errorf("second Abort: %v", err)
	}
}

func TestPutRejectsBadNames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.h5")
	w, err := Create(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	for _, name := range []string{"", "/abs", "a//b", "a/../b", "a/"} {
		if _, err := w.Put(name, []byte("x"), archive.DatasetAttrs{Compression: "None"}); err == nil {
			t.Errorf("Put(%q) succeeded", name)
		}
	}
}

// TestTruncated: a cut-off archive is refused with an error naming the file,
// at Open (libhdf5 checks the end-of-file address) or, if the file shrinks
// after Open, when the payload is read — never a short payload.
func TestTruncated(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.h5")
	ss := samples()
	offs := writeSamples(t, path, Options{}, ss, sampleRoot(1, 0))
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.h5")
	data, _ := os.ReadFile(path)
	if err := os.WriteFile(cut, data[:st.Size()-1000], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(cut); err == nil || !strings.Contains(err.Error(), cut) {
		t.Errorf("Open of a truncated file: err = %v, want an error naming it", err)
	}

	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	big := offs["big.bin"]
	if err := os.Truncate(path, big+10); err != nil {
		t.Fatal(err)
	}
	_, err = r.ReadPayload("big.bin", nil)
	if err == nil || !strings.Contains(err.Error(), "truncated") || !strings.Contains(err.Error(), path) {
		t.Errorf("reading a payload cut short: err = %v, want a truncation error naming the file", err)
	}
	// The file size checked before reading: a reader opened on the short file.
	r.size = big + 10
	_, err = r.ReadPayload("big.bin", nil)
	if err == nil || !strings.Contains(err.Error(), "beyond the end of the file") {
		t.Errorf("payload beyond the recorded end: err = %v", err)
	}
}

func TestOpenGarbage(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"empty.h5":   nil,
		"random.h5":  randBytes(11, 10000),
		"sigonly.h5": append([]byte("\x89HDF\r\n\x1a\n"), randBytes(12, 5000)...),
	} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, data, 0o644)
		if r, err := Open(path); err == nil {
			r.Close()
			t.Errorf("%s: Open succeeded", name)
		} else if !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error does not name the file: %v", name, err)
		}
	}
	if _, err := Open(filepath.Join(dir, "missing.h5")); err == nil {
		t.Error("Open of a missing file succeeded")
	}
}

// TestBigIndex: the index attribute can be tens of MB (10^6 files).
func TestBigIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big_index.h5")
	var b strings.Builder
	b.WriteString("{")
	for i := 0; b.Len() < 30<<20; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\n\"Images/plate%04d/f%07d.tif\": [{\"chunk\": null, \"archive_number\": 0, \"dataset\": \"Images/plate%04d/f%07d.tif.blosc2\", \"compression\": \"blosc2\"}]", i/1000, i, i/1000, i)
	}
	b.WriteString("\n}")
	root := sampleRoot(1, 0)
	root.Info = b.String()
	writeSamples(t, path, Options{}, samples()[:1], root)
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := withInfo(t, r).Info; got != root.Info {
		t.Fatalf("index of %d bytes read back as %d bytes, different", len(root.Info), len(got))
	}
	needH5py(t)
	out, err := exec.Command(python, "-c", `import sys, h5py, json, hashlib
with h5py.File(sys.argv[1], "r") as f:
    s = f.attrs["__HDF5Vault_info__"]
    print(len(json.loads(s)), hashlib.sha256(s.encode()).hexdigest())`, path).Output()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var sum string
	fmt.Sscan(string(out), &n, &sum)
	want := sha256.Sum256([]byte(root.Info))
	if sum != hex.EncodeToString(want[:]) || n != strings.Count(root.Info, "archive_number") {
		t.Errorf("h5py reads %d files, sha256 %s; want %d, %x", n, sum, strings.Count(root.Info, "archive_number"), want)
	}
}
