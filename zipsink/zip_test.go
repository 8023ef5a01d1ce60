package zipsink

import (
	"archive/zip"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
)

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "set_1.zip")
	ss := samples()
	root := sampleRoot(t, 3, 1)
	offs := writeSamples(t, path, ss, root)

	// archive/zip's reader locates each member's data independently of our sums.
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, m := range zr.File {
		if m.Name == archive.AttrInfo {
			continue
		}
		off, _ := m.DataOffset()
		if m.UncompressedSize64 == 0 {
			off = -1
		}
		if off != offs[m.Name] {
			t.Errorf("%s: data at %d, Put returned %d", m.Name, off, offs[m.Name])
		}
	}

	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := withInfo(t, r); got != root {
		t.Errorf("root = %+v, want %+v", got, root)
	}
	for _, s := range ss {
		info, err := r.Stat(s.name)
		if err != nil {
			t.Fatal(err)
		}
		if info.Size != int64(len(s.payload)) || info.Offset != offs[s.name] {
			t.Errorf("%s: stat %+v, want size %d offset %d", s.name, info, len(s.payload), offs[s.name])
		}
		got, err := r.ReadPayload(s.name, []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		if got[0] != 'x' || !bytes.Equal(got[1:], s.payload) {
			t.Errorf("%s: payload differs", s.name)
		}
	}
	// Attributes come from the index.
	want := map[string]archive.DatasetAttrs{
		"Images/A01/field1_C01.tif____part1.blosc2": {Compression: "blosc2", Chunk: 1, NumChunks: 3},
		"Images/A02/Zelle ü 1.txt":                  {Compression: "None"},
		"big.bin":                                   {},
	}
	for name, w := range want {
		if info, _ := r.Stat(name); info.Attrs != w {
			t.Errorf("%s: attrs %+v, want %+v", name, info.Attrs, w)
		}
	}
	if _, err := r.Stat(archive.AttrInfo); err == nil {
		t.Error("the index member is listed as a dataset")
	}
	if _, err := r.Stat("nope"); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Stat of a missing member: %v", err)
	}
}

// TestPythonReadsWriter checks our zips with Python's zipfile (testzip
// verifies every CRC): stored, same bytes, UTF-8 flag on non-ASCII names,
// the index member, and the header layout Python's writestr uses.
func TestPythonReadsWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "set_0.zip")
	ss := samples()
	root := sampleRoot(t, 1, 0)
	offs := writeSamples(t, path, ss, root)
	py := pyZip(t, path)
	if len(py) != len(ss)+1 {
		t.Errorf("python sees %d members, want %d", len(py), len(ss)+1)
	}
	for _, s := range ss {
		m, ok := py[s.name]
		if !ok {
			t.Errorf("python does not see %q", s.name)
			continue
		}
		if m.Hex != hex.EncodeToString(s.payload) || m.Method != 0 || m.Size != int64(len(s.payload)) {
			t.Errorf("%s: python reads method %d, %d bytes, same=%v", s.name, m.Method, m.Size, m.Hex == hex.EncodeToString(s.payload))
		}
		utf := m.Flags&0x800 != 0
		if utf != (s.name == "Images/A02/Zelle ü 1.txt") || m.Flags&^0x800 != 0 {
			t.Errorf("%s: flags %#x", s.name, m.Flags)
		}
		if len(s.payload) > 0 && m.Header+30+int64(len(s.name)) != offs[s.name] {
			t.Errorf("%s: python's header offset %d does not lead to data at %d", s.name, m.Header, offs[s.name])
		}
		if m.External != 0o600<<16 {
			t.Errorf("%s: external attributes %#o", s.name, m.External)
		}
	}
	idx, _ := hex.DecodeString(py[archive.AttrInfo].Hex)
	if string(idx) != root.Info {
		t.Errorf("index member = %q, want %q", idx, root.Info)
	}
}

// TestReadFixtures reads the original tool's zips and compares every member
// with Python's zipfile; root attributes are derived from the index.
func TestReadFixtures(t *testing.T) {
	dir := fixtureDir(t)
	for n, name := range []string{"zipset_0.zip", "zipset_1.zip"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			py := pyZip(t, path)
			r, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			root := withInfo(t, r)
			if root.NumFiles != 2 || root.FileNumber != n {
				t.Errorf("root: file %d of %d, want %d of 2", root.FileNumber, root.NumFiles, n)
			}
			idx, _ := hex.DecodeString(py[archive.AttrInfo].Hex)
			if root.Info != string(idx) {
				t.Error("index differs from python's")
			}
			ix, err := archive.ParseIndex([]byte(root.Info), root.NumFiles)
			if err != nil {
				t.Fatal(err)
			}
			attrs := indexAttrs(ix)
			for mname, m := range py {
				if mname == archive.AttrInfo {
					continue
				}
				got, err := r.ReadPayload(mname, nil)
				if err != nil {
					t.Error(err)
					continue
				}
				if hex.EncodeToString(got) != m.Hex {
					t.Errorf("%s: payload differs from python's", mname)
				}
				info, err := r.Stat(mname)
				if err != nil {
					t.Fatal(err)
				}
				if info.Attrs != attrs[mname] || info.Attrs.Compression == "" {
					t.Errorf("%s: attrs %+v, index says %+v", mname, info.Attrs, attrs[mname])
				}
				if m.Size > 0 && info.Offset != m.Header+30+int64(len(mname)) {
					t.Errorf("%s: offset %d, python header at %d", mname, info.Offset, m.Header)
				}
			}
		})
	}
}

// indexAttrs is what an HDF5 archive would store as dataset attributes.
func indexAttrs(ix *archive.Index) map[string]archive.DatasetAttrs {
	out := map[string]archive.DatasetAttrs{}
	for _, f := range ix.Files {
		for _, p := range f.Parts {
			a := archive.DatasetAttrs{Compression: "None"}
			if p.Compressed() {
				a.Compression = "blosc2"
			}
			if len(f.Parts) > 1 {
				a.Chunk, a.NumChunks = p.Number(), len(f.Parts)
			}
			out[p.Dataset] = a
		}
	}
	return out
}

func TestDamage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.zip")
	offs := writeSamples(t, path, samples(), sampleRoot(t, 1, 0))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	flipped := filepath.Join(dir, "flipped.zip")
	bad := bytes.Clone(data)
	bad[offs["odd/name.blosc2.blosc2"]+500] ^= 1
	os.WriteFile(flipped, bad, 0o644)
	r, err := Open(flipped)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadPayload("odd/name.blosc2.blosc2", nil); err == nil || !strings.Contains(err.Error(), "CRC-32") {
		t.Errorf("flipped bit: err = %v, want a CRC-32 error", err)
	}
	r.Close()

	cut := filepath.Join(dir, "cut.zip")
	os.WriteFile(cut, data[:len(data)-100], 0o644)
	if _, err := Open(cut); err == nil || !strings.Contains(err.Error(), cut) {
		t.Errorf("Open of a truncated zip: err = %v", err)
	}

	r, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := os.Truncate(path, offs["big.bin"]+10); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadPayload("big.bin", nil); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("payload cut short after Open: err = %v", err)
	}
	r.size = offs["big.bin"] + 10
	if _, err := r.ReadPayload("big.bin", nil); err == nil || !strings.Contains(err.Error(), "beyond the end") {
		t.Errorf("payload beyond the end: err = %v", err)
	}
}

func TestCreateAbort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.zip")
	os.WriteFile(path, []byte("keep"), 0o644)
	if _, err := Create(path); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Create over an existing file: %v", err)
	}
	path = filepath.Join(dir, "y.zip")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Put("a", []byte("1"), archive.DatasetAttrs{}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", archive.AttrInfo, "../x", ""} {
		if _, err := w.Put(name, []byte("1"), archive.DatasetAttrs{}); err == nil {
			t.Errorf("Put(%q) succeeded", name)
		}
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("file left after Abort: %v", err)
	}
}

func TestConcurrent(t *testing.T) {
	dir := t.TempDir()
	ss := samples()
	src := filepath.Join(dir, "src.zip")
	writeSamples(t, src, ss, sampleRoot(t, 1, 0))
	r, err := Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 4; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			p := filepath.Join(dir, fmt.Sprintf("out_%d.zip", i))
			w, err := Create(p)
			if err != nil {
				errs <- err
				return
			}
			for _, s := range ss {
				if _, err := w.Put(s.name, s.payload, archive.DatasetAttrs{}); err != nil {
					errs <- err
					return
				}
			}
			errs <- w.Finish(sampleRoot(t, 4, i))
		}()
		go func() {
			defer wg.Done()
			for k := 0; k < 10; k++ {
				for _, s := range ss {
					got, err := r.ReadPayload(s.name, nil)
					if err != nil || !bytes.Equal(got, s.payload) {
						errs <- fmt.Errorf("%s: %v (equal=%v)", s.name, err, bytes.Equal(got, s.payload))
						return
					}
				}
			}
			errs <- nil
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	for i := 0; i < 4; i++ {
		or, err := Open(filepath.Join(dir, fmt.Sprintf("out_%d.zip", i)))
		if err != nil {
			t.Fatal(err)
		}
		if or.Root().FileNumber != i || or.Root().NumFiles != 4 {
			t.Errorf("out_%d: root %+v", i, or.Root())
		}
		or.Close()
	}
}

// TestDerivedFileNumberFromName: a 0.3 zip (no comment) holding no dataset
// the index lists takes its file number from the _<n> of its name.
func TestDerivedFileNumberFromName(t *testing.T) {
	path := filepath.Join(t.TempDir(), "set_1.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	mw, _ := zw.CreateHeader(&zip.FileHeader{Name: archive.AttrInfo, Method: zip.Store})
	mw.Write([]byte(`{"a": [{"chunk": null, "archive_number": 0, "dataset": "a", "compression": null}],
		"b": [{"chunk": null, "archive_number": 2, "dataset": "b", "compression": "blosc2"}]}`))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := r.Root(); got.NumFiles != 3 || got.FileNumber != 1 || got.ChunkSize != 0 || got.Version != "" {
		t.Errorf("root = %+v, want file 1 of 3, nothing else", got)
	}
}

// TestZip64Offsets writes members past 4 GiB. Slow and 5 GB of disk: only
// with HDF5VAULT_BIG_TESTS=1.
func TestZip64Offsets(t *testing.T) {
	if os.Getenv("HDF5VAULT_BIG_TESTS") == "" {
		t.Skip("set HDF5VAULT_BIG_TESTS=1 to write a 5 GB zip")
	}
	path := filepath.Join(t.TempDir(), "big.zip")
	payload := randBytes(9, 1<<30)
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	var last int64
	for i := 0; i < 5; i++ {
		if last, err = w.Put(fmt.Sprintf("p%d", i), payload, archive.DatasetAttrs{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Put("tail", []byte("end"), archive.DatasetAttrs{}); err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(sampleRoot(t, 1, 0)); err != nil {
		t.Fatal(err)
	}
	if last < 4<<30 {
		t.Fatalf("last big member at %d, want past 4 GiB", last)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	info, _ := r.Stat("p4")
	got, err := r.ReadPayload("p4", nil)
	if err != nil || info.Offset != last || !bytes.Equal(got, payload) {
		t.Errorf("p4: offset %d (want %d), err %v, equal %v", info.Offset, last, err, bytes.Equal(got, payload))
	}
	if got, err := r.ReadPayload("tail", nil); err != nil || string(got) != "end" {
		t.Errorf("tail: %q %v", got, err)
	}
	py := pyZip(t, path)
	if py["tail"].Hex != hex.EncodeToString([]byte("end")) || py["p4"].Header+32 != last {
		t.Errorf("python: tail %q, p4 header %d", py["tail"].Hex, py["p4"].Header)
	}
}

func TestOpenGarbage(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"empty.zip":  nil,
		"random.zip": randBytes(11, 10000),
		"eocd.zip":   append(randBytes(12, 100), []byte("PK\x05\x06\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\x7f\x00\x00\x00\x00\x00\x00")...),
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
}
