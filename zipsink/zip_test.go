package zipsink

import (
	"archive/zip"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
)

// TestDataOffsets: archive/zip's reader, independent of ours, finds each
// member's data where Put said it is; the index member is not a dataset,
// and a member the index does not list has no attributes. (What every
// container promises is archivetest's, TestConformance.)
func TestDataOffsets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "set_1.zip")
	offs := writeSamples(t, path, samples(), sampleRoot(3, 1))
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

	extra := filepath.Join(t.TempDir(), "extra.zip")
	ss := append(samples(), sample{Name: "not/indexed.bin", Payload: []byte("x"), Attrs: archive.DatasetAttrs{Compression: archive.MethodBlosc2}})
	writeSamples(t, extra, ss, sampleRoot(1, 0))
	r, err := Open(extra)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if info, err := r.Stat("not/indexed.bin"); err != nil || info.Attrs != (archive.DatasetAttrs{}) {
		t.Errorf("a member the index lacks: %+v, %v; want no attributes", info.Attrs, err)
	}
	if _, err := r.Stat(archive.AttrInfo); err == nil {
		t.Error("the index member is listed as a dataset")
	}
}

// TestPythonReadsWriter checks our zips with Python's zipfile (testzip
// verifies every CRC): stored, same bytes, UTF-8 flag on non-ASCII names,
// the index member, and the header layout Python's writestr uses.
func TestPythonReadsWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "set_0.zip")
	ss := samples()
	root := sampleRoot(1, 0)
	offs := writeSamples(t, path, ss, root)
	py := pyZip(t, path)
	if len(py) != len(ss)+1 {
		t.Errorf("python sees %d members, want %d", len(py), len(ss)+1)
	}
	for _, s := range ss {
		m, ok := py[s.Name]
		if !ok {
			t.Errorf("python does not see %q", s.Name)
			continue
		}
		if m.Hex != hex.EncodeToString(s.Payload) || m.Method != 0 || m.Size != int64(len(s.Payload)) {
			t.Errorf("%s: python reads method %d, %d bytes, same=%v", s.Name, m.Method, m.Size, m.Hex == hex.EncodeToString(s.Payload))
		}
		utf := m.Flags&0x800 != 0
		if nonASCII := strings.IndexFunc(s.Name, func(r rune) bool { return r >= 0x80 }) >= 0; utf != nonASCII || m.Flags&^0x800 != 0 {
			t.Errorf("%s: flags %#x", s.Name, m.Flags)
		}
		if len(s.Payload) > 0 && m.Header+30+int64(len(s.Name)) != offs[s.Name] {
			t.Errorf("%s: python's header offset %d does not lead to data at %d", s.Name, m.Header, offs[s.Name])
		}
		if m.External != 0o600<<16 {
			t.Errorf("%s: external attributes %#o", s.Name, m.External)
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

// TestFlippedBit: zip's own damage check, the CRC-32 of a member read
// through the reader. (Truncation and garbage: archivetest.)
func TestFlippedBit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.zip")
	offs := writeSamples(t, path, samples(), sampleRoot(1, 0))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	flipped := filepath.Join(dir, "flipped.zip")
	bad := bytes.Clone(data)
	bad[offs["big.bin"]+500] ^= 1
	if err := os.WriteFile(flipped, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(flipped)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.ReadPayload("big.bin", nil); err == nil || !strings.Contains(err.Error(), "CRC-32") || !errors.Is(err, archive.ErrDamaged) {
		t.Errorf("flipped bit: err = %v, want a CRC-32 error that is damage", err)
	}
}

// TestIndexNameReserved: no dataset may take the index member's name.
func TestIndexNameReserved(t *testing.T) {
	w, err := Create(filepath.Join(t.TempDir(), "y.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if _, err := w.Put(archive.AttrInfo, []byte("1"), archive.DatasetAttrs{}); err == nil {
		t.Errorf("Put(%q) succeeded", archive.AttrInfo)
	}
}

func TestConcurrent(t *testing.T) {
	dir := t.TempDir()
	ss := samples()
	src := filepath.Join(dir, "src.zip")
	writeSamples(t, src, ss, sampleRoot(1, 0))
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
				if _, err := w.Put(s.Name, s.Payload, archive.DatasetAttrs{}); err != nil {
					errs <- err
					return
				}
			}
			errs <- w.Finish(sampleRoot(4, i))
		}()
		go func() {
			defer wg.Done()
			for k := 0; k < 10; k++ {
				for _, s := range ss {
					got, err := r.ReadPayload(s.Name, nil)
					if err != nil || !bytes.Equal(got, s.Payload) {
						errs <- fmt.Errorf("%s: %v (equal=%v)", s.Name, err, bytes.Equal(got, s.Payload))
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
	if err := w.Finish(sampleRoot(1, 0)); err != nil {
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
