package h5sink

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
)

// writeBatches writes ss into a new archive with PutBatch, in batches of
// size n, and returns the offsets it gave.
func writeBatches(t *testing.T, path string, o Options, ss []sample, n int) map[string]int64 {
	t.Helper()
	w, err := Create(path, o)
	if err != nil {
		t.Fatal(err)
	}
	offs := make(map[string]int64)
	for len(ss) > 0 {
		k := min(n, len(ss))
		batch := make([]archive.Put, k)
		for i, s := range ss[:k] {
			batch[i] = archive.Put{Dataset: s.Name, Payload: s.Payload, Attrs: s.Attrs, Offset: -2}
		}
		if i, err := w.PutBatch(batch); err != nil {
			w.Abort()
			t.Fatalf("PutBatch failed at %d: %v", i, err)
		}
		for _, p := range batch {
			offs[p.Dataset] = p.Offset
		}
		ss = ss[k:]
	}
	if err := w.Finish(sampleRoot(3, 1)); err != nil {
		w.Abort()
		t.Fatal(err)
	}
	return offs
}

// TestPutBatch: datasets stored in batches read back byte for byte at the
// offsets PutBatch gave, in every mode (the H5Dwrite and flush-each modes
// store one by one).
func TestPutBatch(t *testing.T) {
	for mode, o := range modes {
		t.Run(mode, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "set_1.h5")
			ss := samples()
			offs := writeBatches(t, path, o, ss, 4)
			r, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			for _, s := range ss {
				checkSample(t, r, s, offs[s.Name])
			}
		})
	}
}

// TestPutBatchSameAsPut: h5py sees the same datasets, attributes and bytes
// in a file written in one batch as in one written by Put.
func TestPutBatchSameAsPut(t *testing.T) {
	needH5py(t)
	dir := t.TempDir()
	ss := samples()
	one, batched := filepath.Join(dir, "put.h5"), filepath.Join(dir, "batch.h5")
	writeSamples(t, one, Options{}, ss, sampleRoot(3, 1))
	writeBatches(t, batched, Options{}, ss, len(ss))
	a, b := h5pyDump(t, one), h5pyDump(t, batched)
	if len(a.Datasets) != len(ss) || len(b.Datasets) != len(a.Datasets) {
		t.Fatalf("datasets: Put %d, PutBatch %d, want %d", len(a.Datasets), len(b.Datasets), len(ss))
	}
	for name, da := range a.Datasets {
		db, ok := b.Datasets[name]
		if !ok {
			t.Errorf("%s: missing from the batch file", name)
			continue
		}
		da.Offset, db.Offset = nil, nil // placement may differ; the bytes may not
		if ja, jb := mustJSON(t, da), mustJSON(t, db); ja != jb {
			t.Errorf("%s: Put %s\nPutBatch %s", name, ja, jb)
		}
	}
}

// TestPutBatchFailure: the index of the payload that failed comes back with
// an error naming it, whether Go (a bad name) or libhdf5 (a dataset that
// already exists) refuses it.
func TestPutBatchFailure(t *testing.T) {
	none := archive.DatasetAttrs{Compression: "None"}
	for _, c := range []struct {
		name  string
		names []string
		want  int
	}{
		{"bad name", []string{"a/x", "a/y", "a/../z", "a/w"}, 2},
		{"exists", []string{"b/x", "b/x", "b/y"}, 1},
		{"bad compression", []string{"c/x", "c/y"}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			w, err := Create(filepath.Join(t.TempDir(), "x.h5"), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			batch := make([]archive.Put, len(c.names))
			for i, n := range c.names {
				batch[i] = archive.Put{Dataset: n, Payload: []byte("payload"), Attrs: none}
			}
			if c.name == "bad compression" {
				batch[1].Attrs.Compression = "No\x00ne"
			}
			i, err := w.PutBatch(batch)
			if err == nil {
				t.Fatal("PutBatch succeeded")
			}
			if i != c.want || !strings.Contains(err.Error(), c.names[c.want]) {
				t.Errorf("failed at %d with %v; want %d naming %q", i, err, c.want, c.names[c.want])
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkSample reads s back from r: size, offset, attributes and bytes.
func checkSample(t *testing.T, r *Reader, s sample, putOffset int64) {
	t.Helper()
	info, err := r.Stat(s.Name)
	if err != nil {
		t.Fatal(err)
	}
	want := s.Attrs
	if want.NumChunks <= 1 {
		want.Chunk, want.NumChunks = 0, 0 // not stored for an unsplit file
	}
	if info.Size != int64(len(s.Payload)) || info.Attrs != (archive.DatasetAttrs{}) {
		t.Errorf("%s: stat = %+v, want size %d and no attributes (Stat does not read them)", s.Name, info, len(s.Payload))
	}
	if attrs, err := r.Attrs(s.Name); err != nil || attrs != want {
		t.Errorf("%s: attrs = %+v, %v; want %+v", s.Name, attrs, err, want)
	}
	if info.Offset != putOffset {
		t.Errorf("%s: stat offset %d, Put returned %d", s.Name, info.Offset, putOffset)
	}
	if len(s.Payload) == 0 && info.Offset != -1 {
		t.Errorf("%s: empty payload has offset %d, want -1", s.Name, info.Offset)
	}
	prefix := []byte("prefix")
	got, err := r.ReadPayload(s.Name, prefix)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[:len(prefix)], prefix) || !bytes.Equal(got[len(prefix):], s.Payload) {
		t.Errorf("%s: payload differs (got %d bytes, want %d)", s.Name, len(got)-len(prefix), len(s.Payload))
	}
}
