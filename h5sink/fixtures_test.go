package h5sink

import (
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
)

// TestReadFixtures reads every archive written by HDF5Vault 0.3 and compares
// each payload, offset and attribute with what h5py reads from the same file.
func TestReadFixtures(t *testing.T) {
	dir := fixtureDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.h5"))
	if len(files) < 5 {
		t.Fatalf("expected the five HDF5 fixtures in %s, found %v", dir, files)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			want := h5pyDump(t, path)
			r, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			checkFixtureRoot(t, withInfo(t, r), want)
			for name, d := range want.Datasets {
				info, err := r.Stat(name)
				if err != nil {
					t.Errorf("Stat: %v", err)
					continue
				}
				wantOff := int64(-1)
				if d.Offset != nil && d.Shape[0] > 0 {
					wantOff = *d.Offset
				}
				if info.Size != d.Shape[0] || info.Offset != wantOff {
					t.Errorf("%s: size %d offset %d, h5py: %d %d", name, info.Size, info.Offset, d.Shape[0], wantOff)
				}
				attrs, err := r.Attrs(name)
				if err != nil {
					t.Errorf("Attrs: %v", err)
				}
				checkFixtureAttrs(t, name, attrs, d.Attrs)
				got, err := r.ReadPayload(name, nil)
				if err != nil {
					t.Errorf("ReadPayload: %v", err)
					continue
				}
				if hex.EncodeToString(got) != d.Hex {
					t.Errorf("%s: payload differs from h5py's (%d bytes)", name, len(got))
				}
			}
			if _, err := archive.ParseIndex([]byte(withInfo(t, r).Info), r.Root().NumFiles); err != nil {
				t.Errorf("index does not parse: %v", err)
			}
		})
	}
}

func checkFixtureRoot(t *testing.T, got archive.RootAttrs, want pyDump) {
	t.Helper()
	str := func(k string) string {
		var s string
		json.Unmarshal(want.Root[k].Value, &s)
		return s
	}
	num := func(k string, absent int64) int64 {
		a, ok := want.Root[k]
		if !ok {
			return absent
		}
		var n int64
		json.Unmarshal(a.Value, &n)
		return n
	}
	w := archive.RootAttrs{
		Description: str(archive.AttrDescription),
		Version:     str(archive.AttrVersion),
		Info:        str(archive.AttrInfo),
		ChunkSize:   num(archive.AttrChunkSize, 0),
		FileNumber:  int(num(archive.AttrFileNumber, 0)),
		NumFiles:    int(num(archive.AttrNumFiles, 1)),
	}
	if got != w {
		t.Errorf("root = %+v\nh5py: %+v", got, w)
	}
	if w.Info == "" || w.ChunkSize == 0 {
		t.Errorf("fixture lacks the index or chunk size: %+v", w)
	}
}

func checkFixtureAttrs(t *testing.T, name string, got archive.DatasetAttrs, want map[string]pyAttr) {
	t.Helper()
	var w archive.DatasetAttrs
	json.Unmarshal(want["compression"].Value, &w.Compression)
	if a, ok := want["chunk"]; ok {
		json.Unmarshal(a.Value, &w.Chunk)
	}
	if a, ok := want["number_of_chunks"]; ok {
		json.Unmarshal(a.Value, &w.NumChunks)
	}
	if got != w || w.Compression == "" {
		t.Errorf("%s: attrs %+v, h5py: %+v", name, got, w)
	}
}
