package archiveset

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/blosc"
)

// fakeReader is an in-memory archive.Reader: payloads by dataset name.
type fakeReader struct {
	root archive.RootAttrs
	info string
	data map[string][]byte
	at   map[string]int64 // payload offsets in the member file (contiguous sets)
	path string           // the member file (its bytes, as tests may truncate it)
}

func (r *fakeReader) Root() archive.RootAttrs { return r.root }

func (r *fakeReader) Info() (string, error) { return r.info, nil }

func (r *fakeReader) Size() int64 {
	st, err := os.Stat(r.path)
	if err != nil {
		return 0
	}
	return st.Size()
}

func (r *fakeReader) PayloadAt(off, size int64, dst []byte) ([]byte, error) {
	f, err := os.Open(r.path)
	if err != nil {
		return dst, err
	}
	defer f.Close()
	return archive.ReadPayloadAt(f, r.Size(), off, size, dst)
}

func (r *fakeReader) Stat(ds string) (archive.DatasetInfo, error) {
	b, ok := r.data[ds]
	if !ok {
		return archive.DatasetInfo{}, fmt.Errorf("dataset %q does not exist", ds)
	}
	off, ok := r.at[ds]
	if !ok {
		off = -1
	}
	return archive.DatasetInfo{Size: int64(len(b)), Offset: off}, nil
}

func (r *fakeReader) ReadPayload(ds string, dst []byte) ([]byte, error) {
	b, ok := r.data[ds]
	if !ok {
		return dst, fmt.Errorf("dataset %q does not exist", ds)
	}
	return append(dst, b...), nil
}

func (r *fakeReader) Close() error { return nil }

// testFile is one file of a fake set.
type testFile struct {
	path  string
	data  []byte
	raw   bool // store uncompressed
	mode  uint32
	mtime int64
}

// fakeSet is a set of fake readers behind placeholder member files on disk
// (Open stats and opens the member files themselves).
type fakeSet struct {
	paths   []string
	readers map[string]*fakeReader
	index   *archive.Index
}

func (f *fakeSet) open(p string) (archive.Reader, error) {
	r, ok := f.readers[p]
	if !ok {
		return nil, fmt.Errorf("%s: no such fake archive", p)
	}
	return r, nil
}

type buildOpts struct {
	members   int
	chunkSize int64
	extras    bool                 // record our optional index keys
	contig    bool                 // also write payloads into the member files, at offsets
	mutate    func(*archive.Index) // applied to the index before it is stored
}

// buildSet splits, compresses and indexes files into a fake set named base in dir.
func buildSet(t *testing.T, dir, base string, files []testFile, o buildOpts) *fakeSet {
	t.Helper()
	if o.members == 0 {
		o.members = 1
	}
	if o.chunkSize == 0 {
		o.chunkSize = 1 << 20
	}
	enc, err := blosc.NewEncoder(blosc.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	payloads := make([]map[string][]byte, o.members)
	for i := range payloads {
		payloads[i] = map[string][]byte{}
	}
	ix := &archive.Index{}
	for i, tf := range files {
		n := archive.NumParts(int64(len(tf.data)), o.chunkSize)
		af := archive.File{Path: tf.path}
		for k := 0; k < n; k++ {
			lo := int64(k) * o.chunkSize
			chunk := tf.data[lo:min(lo+o.chunkSize, int64(len(tf.data)))]
			payload := chunk
			if !tf.raw {
				if payload, err = enc.EncodeAll(chunk, nil); err != nil {
					t.Fatal(err)
				}
			}
			p := archive.Part{ArchiveNumber: (i + k) % o.members, Dataset: archive.DatasetName(tf.path, k, n, !tf.raw)}
			if n > 1 {
				p.Chunk = archive.Ptr(k)
			}
			if !tf.raw {
				p.Compression = archive.Blosc2Method()
			}
			if o.extras {
				p.Size = archive.Ptr(int64(len(chunk)))
				p.Stored = archive.Ptr(int64(len(payload)))
				p.FileSize = archive.Ptr(int64(len(tf.data)))
				p.Checksum = archive.ChecksumOf(tf.data)
				p.MtimeNs = archive.Ptr(tf.mtime)
				p.Mode = archive.Ptr(tf.mode)
			}
			payloads[p.ArchiveNumber][p.Dataset] = payload
			af.Parts = append(af.Parts, p)
		}
		ix.Files = append(ix.Files, af)
	}
	if o.mutate != nil {
		o.mutate(ix)
	}
	info, err := ix.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	fs := &fakeSet{readers: map[string]*fakeReader{}, index: ix}
	for n := range o.members {
		p := filepath.Join(dir, archive.FileName(base, n, o.members, false))
		var content []byte
		at := map[string]int64{}
		if o.contig {
			content = []byte("header")
			// In dataset order, as a writer lays out files taken in path order.
			for _, ds := range slices.Sorted(maps.Keys(payloads[n])) {
				if b := payloads[n][ds]; len(b) > 0 {
					at[ds] = int64(len(content))
					content = append(content, b...)
				}
			}
		}
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
		// Without a side index the set is one an earlier hdf5vault wrote.
		root := archive.RootAttrs{Version: "0.3.0+hdf5vault.1", ChunkSize: o.chunkSize, NumFiles: o.members}
		if o.members > 1 {
			root.FileNumber = n
		}
		fs.readers[p] = &fakeReader{root: root, info: string(info), data: payloads[n], at: at, path: p}
		fs.paths = append(fs.paths, p)
	}
	return fs
}

// sampleFiles covers a split file, an empty file, a raw file, a deep path and odd names.
func sampleFiles() []testFile {
	big := make([]byte, 250_000)
	for i := range big {
		big[i] = byte(i * 7 / 13)
	}
	return []testFile{
		{path: "Images/A01/f1.tif", data: big, mode: 0o640, mtime: 1_600_000_000_123_456_789},
		{path: "empty.dat", data: nil, mode: 0o600, mtime: 1_500_000_000_000_000_000},
		{path: "raw.bin", data: []byte("raw bytes stored as they are"), raw: true, mode: 0o755, mtime: 1_700_000_000_000_000_001},
		{path: "deep/a/b/Zelle ü (1).txt", data: []byte("hello, hello, hello, hello"), mode: 0o644, mtime: 1_650_000_000_000_000_000},
	}
}

func openFake(t *testing.T, fs *fakeSet) *Set {
	t.Helper()
	s, err := Open(context.Background(), fs.paths, fs.open)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
