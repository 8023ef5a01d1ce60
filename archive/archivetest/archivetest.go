// Package archivetest is the conformance suite every container (HDF5, zip)
// passes: what archive.Writer and archive.Reader promise, checked the same
// way for each, with one set of sample data. A container's own tests keep
// only what is its alone (independent readers, layouts, its own damage).
package archivetest

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
)

// NewWriter creates a new archive file at path; Open opens one for reading.
type (
	NewWriter func(path string) (archive.Writer, error)
	Open      func(path string) (archive.Reader, error)
)

// Sample is one dataset of a test archive.
type Sample struct {
	Name    string
	Payload []byte
	Attrs   archive.DatasetAttrs
}

// RandBytes is n reproducible pseudo-random bytes.
func RandBytes(seed int64, n int) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

// sampleFile is an archived file of the samples: its parts' payloads.
type sampleFile struct {
	path       string
	parts      [][]byte
	compressed bool
}

// longName is a name segment of 255 bytes, the most a file system allows.
var longName = strings.Repeat("n", 251) + ".tif"

func sampleFiles() []sampleFile {
	return []sampleFile{
		{"Images/A01/field1_C01.tif", [][]byte{RandBytes(1, 70_001), RandBytes(2, 70_001), RandBytes(6, 12_345)}, true},
		{"Images/A02/Zelle ü 1.txt", [][]byte{[]byte("Grüße aus der Zelle\n")}, false},
		{"Images/A02/field 2 (copy).tif", [][]byte{RandBytes(3, 4096)}, true},
		{"empty.dat", [][]byte{nil}, false},
		{"odd/name.blosc2", [][]byte{RandBytes(4, 999)}, true},
		{"deep/a/b/c/d/leaf.csv", [][]byte{bytes.Repeat([]byte("1,2,3\n"), 1000)}, false},
		{"big.bin", [][]byte{RandBytes(5, 1<<20+17)}, false},
		{"tiny.txt", [][]byte{{0x80, 0xff, 0x00}}, false},
		{`win\dir\back\slash.tif`, [][]byte{[]byte("backslash")}, false},
		{"odd bytes/tab\tnew\nline $*?[]'\"%.txt", [][]byte{[]byte("odd")}, false},
		{".hidden/-dash", [][]byte{[]byte("dot")}, false},
		{"long/" + longName, [][]byte{RandBytes(7, 300)}, true},
	}
}

// Samples are the datasets of the test archive: nested groups, a file split
// in three parts, an empty payload, a payload over 1 MiB, non-ASCII names,
// a backslash, control characters and shell punctuation, a 255-byte name,
// and a name that already ends in .blosc2.
func Samples() []Sample {
	var ss []Sample
	for _, f := range sampleFiles() {
		n := len(f.parts)
		for k, b := range f.parts {
			a := archive.DatasetAttrs{Compression: archive.MethodNone}
			if f.compressed {
				a.Compression = archive.MethodBlosc2
			}
			if n > 1 {
				a.Chunk, a.NumChunks = k, n
			}
			ss = append(ss, Sample{Name: archive.DatasetName(f.path, k, n, f.compressed), Payload: b, Attrs: a})
		}
	}
	return ss
}

// Index is the JSON index of the samples, all in archive file fileNumber.
func Index(fileNumber int) string {
	var ix archive.Index
	for _, f := range sampleFiles() {
		af := archive.File{Path: f.path}
		n := len(f.parts)
		for k := range f.parts {
			p := archive.Part{ArchiveNumber: fileNumber, Dataset: archive.DatasetName(f.path, k, n, f.compressed)}
			if n > 1 {
				p.Chunk = archive.Ptr(k)
			}
			if f.compressed {
				p.Compression = archive.Blosc2Method()
			}
			af.Parts = append(af.Parts, p)
		}
		ix.Files = append(ix.Files, af)
	}
	b, err := ix.Marshal()
	if err != nil {
		panic(err) // the samples' paths are valid
	}
	return string(b)
}

// Root is the root attributes of archive file fileNumber of numFiles, with
// the samples' index.
func Root(numFiles, fileNumber int) archive.RootAttrs {
	return archive.RootAttrs{
		Description: archive.Description, Version: archive.Version, ChunkSize: 200_000,
		FileNumber: fileNumber, NumFiles: numFiles, Info: Index(fileNumber),
	}
}

// Write stores ss with w and finishes it with root; it returns the offsets
// Put gave, by dataset.
func Write(t testing.TB, w archive.Writer, ss []Sample, root archive.RootAttrs) map[string]int64 {
	t.Helper()
	offs := make(map[string]int64)
	for _, s := range ss {
		off, err := w.Put(s.Name, s.Payload, s.Attrs)
		if err != nil {
			w.Abort()
			t.Fatal(err)
		}
		offs[s.Name] = off
	}
	if err := w.Finish(root); err != nil {
		w.Abort()
		t.Fatal(err)
	}
	return offs
}

// WithInfo is r's root attributes with the JSON index read in.
func WithInfo(t testing.TB, r archive.Reader) archive.RootAttrs {
	t.Helper()
	root := r.Root()
	info, err := r.Info()
	if err != nil {
		t.Fatal(err)
	}
	root.Info = info
	return root
}

// Attrs reads a dataset's attributes as the container keeps them: from the
// dataset (a reader with an Attrs method: Stat does not read them) or from
// the index (Stat's).
func Attrs(r archive.Reader, dataset string) (archive.DatasetAttrs, error) {
	if a, ok := r.(interface {
		Attrs(string) (archive.DatasetAttrs, error)
	}); ok {
		return a.Attrs(dataset)
	}
	info, err := r.Stat(dataset)
	return info.Attrs, err
}

// Run runs the conformance suite on a container.
func Run(t *testing.T, newWriter NewWriter, open Open) {
	c := suite{newWriter, open}
	t.Run("RoundTrip", c.roundTrip)
	t.Run("SingleFile", c.singleFile)
	t.Run("PayloadAt", c.payloadAt)
	t.Run("Missing", c.missing)
	t.Run("BadNames", c.badNames)
	t.Run("CreateRefusesExisting", c.createRefusesExisting)
	t.Run("Abort", c.abort)
	t.Run("Truncated", c.truncated)
	t.Run("Garbage", c.garbage)
	t.Run("ConcurrentReads", c.concurrentReads)
}

type suite struct {
	newWriter NewWriter
	open      Open
}

// written is an archive of the samples, as file 1 of 3, open for reading.
func (c suite) written(t *testing.T) (path string, r archive.Reader, offs map[string]int64) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "set_1.arc")
	w, err := c.newWriter(path)
	if err != nil {
		t.Fatal(err)
	}
	offs = Write(t, w, Samples(), Root(3, 1))
	r, err = c.open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return path, r, offs
}

// roundTrip: every name, payload, size, offset and attribute comes back as
// it was written, and so do the root attributes and the index.
func (c suite) roundTrip(t *testing.T) {
	path, r, offs := c.written(t)
	if got, want := WithInfo(t, r), Root(3, 1); got != want {
		t.Errorf("root attrs = %+v, want %+v", got, want)
	}
	st, err := os.Stat(path)
	if err != nil || r.Size() != st.Size() {
		t.Errorf("Size() = %d, the file has %d bytes (%v)", r.Size(), st.Size(), err)
	}
	for _, s := range Samples() {
		info, err := r.Stat(s.Name)
		if err != nil {
			t.Errorf("Stat(%q): %v", s.Name, err)
			continue
		}
		if info.Size != int64(len(s.Payload)) || info.Offset != offs[s.Name] {
			t.Errorf("%q: stat = %+v, want size %d at the offset Put gave, %d", s.Name, info, len(s.Payload), offs[s.Name])
		}
		if len(s.Payload) == 0 && info.Offset != -1 {
			t.Errorf("%q: an empty payload has offset %d, want -1", s.Name, info.Offset)
		}
		if a, err := Attrs(r, s.Name); err != nil || a != s.Attrs {
			t.Errorf("%q: attrs = %+v, %v; want %+v", s.Name, a, err, s.Attrs)
		}
		got, err := r.ReadPayload(s.Name, []byte("prefix"))
		if err != nil || !bytes.HasPrefix(got, []byte("prefix")) || !bytes.Equal(got[6:], s.Payload) {
			t.Errorf("%q: ReadPayload: %v (kept dst's bytes: %v, payload equal: %v)", s.Name, err,
				bytes.HasPrefix(got, []byte("prefix")), len(got) >= 6 && bytes.Equal(got[6:], s.Payload))
		}
	}
}

// singleFile: a set of one file reads back as file 0 of 1.
func (c suite) singleFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "one.arc")
	w, err := c.newWriter(path)
	if err != nil {
		t.Fatal(err)
	}
	root := Root(1, 0)
	Write(t, w, Samples()[:1], root)
	r, err := c.open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := WithInfo(t, r); got != root {
		t.Errorf("root = %+v, want %+v", got, root)
	}
}

// payloadAt: the offsets Put returns lead to the payloads, and a range
// beyond the end of the file is a truncation, never a short read.
func (c suite) payloadAt(t *testing.T) {
	_, r, offs := c.written(t)
	for _, s := range Samples() {
		if len(s.Payload) == 0 {
			continue
		}
		got, err := r.PayloadAt(offs[s.Name], int64(len(s.Payload)), []byte("x"))
		if err != nil || !bytes.Equal(got, append([]byte("x"), s.Payload...)) {
			t.Errorf("%q: PayloadAt(%d, %d): %v, equal %v", s.Name, offs[s.Name], len(s.Payload), err, len(got) > 0 && bytes.Equal(got[1:], s.Payload))
		}
	}
	size := r.Size()
	for _, rg := range [][2]int64{{size - 10, 11}, {size + 1, 1}, {-1, 5}, {0, -1}, {1, 1<<63 - 1}} {
		got, err := r.PayloadAt(rg[0], rg[1], []byte("x"))
		if !errors.Is(err, archive.ErrTruncated) || string(got) != "x" {
			t.Errorf("PayloadAt(%d, %d) of a %d-byte file: %q, %v; want dst unchanged and ErrTruncated", rg[0], rg[1], size, got, err)
		}
	}
}

// missing: a dataset that is not there is an error naming the file and
// the dataset, for Stat and ReadPayload.
func (c suite) missing(t *testing.T) {
	path, r, _ := c.written(t)
	for _, name := range []string{"nope", "Images/A01", "Images/A01/missing.tif", "tiny.txt\x00x", archive.AttrInfo} {
		if _, err := r.Stat(name); err == nil {
			t.Errorf("Stat(%q) succeeded", name)
		} else if !strings.Contains(err.Error(), path) {
			t.Errorf("Stat(%q): the error does not name the file: %v", name, err)
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

var none = archive.DatasetAttrs{Compression: archive.MethodNone}

// started is a new archive being written, holding one dataset, a/b.bin.
func (c suite) started(t *testing.T) (string, archive.Writer) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.arc")
	w, err := c.newWriter(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Put("a/b.bin", []byte("data"), none); err != nil {
		w.Abort()
		t.Fatal(err)
	}
	return path, w
}

// badNames: names no reader could take back are refused, and so is a
// second dataset of the same name; the writer stays usable.
func (c suite) badNames(t *testing.T) {
	_, w := c.started(t)
	defer w.Abort()
	for _, name := range []string{"", "/abs", "a//b", "a/../b", "a/", "./a", "a\x00b", "a/b.bin", strings.Repeat("n", 300)} {
		if _, err := w.Put(name, []byte("x"), none); err == nil {
			t.Errorf("Put(%q) succeeded", name)
		}
	}
	if _, err := w.Put("c", []byte("x"), none); err != nil {
		t.Errorf("Put after refused names: %v", err)
	}
}

// createRefusesExisting: a writer never replaces a file.
func (c suite) createRefusesExisting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.arc")
	if err := os.WriteFile(path, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	if w, err := c.newWriter(path); !errors.Is(err, fs.ErrExist) {
		if err == nil {
			w.Abort()
		}
		t.Fatalf("creating over an existing file: err = %v, want ErrExist", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "keep me" {
		t.Error("the existing file was touched")
	}
}

// abort: Abort removes the file, after a failed Put too, and the writer
// takes nothing afterwards.
func (c suite) abort(t *testing.T) {
	path, w := c.started(t)
	if _, err := w.Put("a/b.bin", []byte("data"), none); err == nil {
		t.Error("second Put of the same dataset succeeded")
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("file still there after Abort: %v", err)
	}
	if _, err := w.Put("c", nil, none); err == nil {
		t.Error("Put after Abort succeeded")
	}
	if err := w.Finish(Root(1, 0)); err == nil {
		t.Error("Finish after Abort succeeded")
	}
}

// truncated: a cut-off archive is refused naming the file, at open or, if
// the file shrinks after it was opened, when the payload is read — never
// a short payload.
func (c suite) truncated(t *testing.T) {
	path, r, offs := c.written(t)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int{100, 1000, len(data) / 2} {
		p := filepath.Join(t.TempDir(), fmt.Sprintf("cut%d.arc", cut))
		if err := os.WriteFile(p, data[:len(data)-cut], 0o644); err != nil {
			t.Fatal(err)
		}
		if cr, err := c.open(p); err == nil {
			cr.Close()
			t.Errorf("open of a file cut by %d bytes succeeded", cut)
		} else if !strings.Contains(err.Error(), p) {
			t.Errorf("open of a file cut by %d bytes: the error does not name it: %v", cut, err)
		}
	}
	big := "big.bin"
	if err := os.Truncate(path, offs[big]+10); err != nil {
		t.Fatal(err)
	}
	got, err := r.ReadPayload(big, []byte("x"))
	if err == nil || archive.IsFailure(err) || !strings.Contains(err.Error(), path) || string(got) != "x" {
		t.Errorf("reading a payload cut short: %d bytes, err = %v; want nothing and damage naming the file", len(got)-1, err)
	}
}

// garbage: what is not an archive is refused at open, naming the file.
func (c suite) garbage(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"empty.arc":   nil,
		"random.arc":  RandBytes(11, 10000),
		"hdf5sig.arc": append([]byte("\x89HDF\r\n\x1a\n"), RandBytes(12, 5000)...),
		"eocd.arc":    append(RandBytes(13, 100), []byte("PK\x05\x06\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\x7f\x00\x00\x00\x00\x00\x00")...),
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if r, err := c.open(path); err == nil {
			r.Close()
			t.Errorf("%s: open succeeded", name)
		} else if !strings.Contains(err.Error(), path) {
			t.Errorf("%s: the error does not name the file: %v", name, err)
		}
	}
	if _, err := c.open(filepath.Join(dir, "missing.arc")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("open of a missing file: %v, want ErrNotExist", err)
	}
}

// concurrentReads: ReadPayload and PayloadAt are safe for concurrent use.
func (c suite) concurrentReads(t *testing.T) {
	_, r, offs := c.written(t)
	ss := Samples()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 3 * len(ss) {
				s := ss[(i+g)%len(ss)]
				var got []byte
				var err error
				if i%2 == 0 || len(s.Payload) == 0 {
					got, err = r.ReadPayload(s.Name, nil)
				} else {
					got, err = r.PayloadAt(offs[s.Name], int64(len(s.Payload)), nil)
				}
				if err != nil || !bytes.Equal(got, s.Payload) {
					errs <- fmt.Errorf("%q: %v (equal %v)", s.Name, err, bytes.Equal(got, s.Payload))
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
