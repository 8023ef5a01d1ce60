package archiveset

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
)

// TestLayoutRefusesLies: every disagreement between index, dataset and chunk
// header is caught before unpack writes anything.
func TestLayoutRefusesLies(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*archive.Index)
		damage func(fs *fakeSet)
		want   []string
		bare   bool // no optional index keys: only the header and dataset can disagree
	}{
		{"missing dataset", nil, func(fs *fakeSet) {
			delete(fs.readers[fs.paths[0]].data, "raw.bin")
		}, []string{"raw.bin", "does not exist"}, false},
		{"stored size lie", func(ix *archive.Index) {
			*ix.Files[1].Parts[0].Stored += 1
		}, nil, []string{"empty.dat", "stored bytes"}, false},
		{"raw size lie", func(ix *archive.Index) {
			*ix.Files[2].Parts[0].Size -= 1
		}, nil, []string{"raw.bin", "the payload holds"}, false},
		{"file size lie", func(ix *archive.Index) {
			for i := range ix.Files[0].Parts {
				*ix.Files[0].Parts[i].FileSize = 1 << 40
			}
		}, nil, []string{"Images/A01/f1.tif", "file size"}, false},
		{"chunk header disagrees with dataset size", nil, func(fs *fakeSet) {
			d := fs.readers[fs.paths[0]].data
			ds := "Images/A01/f1.tif____part0.blosc2"
			d[ds] = append(d[ds], 0) // one trailing byte
		}, []string{"Images/A01/f1.tif", "header says"}, true},
		{"part decodes beyond the chunk size", nil, func(fs *fakeSet) {
			// A raw part larger than the set's chunk size is never written by
			// a genuine writer and would defeat the memory bound.
			fs.readers[fs.paths[0]].data["raw.bin"] = make([]byte, 200_000)
		}, []string{"raw.bin", "chunk size"}, true},
		{"malformed checksum", func(ix *archive.Index) {
			ix.Files[2].Parts[0].Checksum = "md5:abc"
		}, nil, []string{"raw.bin", "unsupported checksum"}, false},
		{"not a blosc chunk", nil, func(fs *fakeSet) {
			fs.readers[fs.paths[0]].data["empty.dat.blosc2"] = make([]byte, 40)
		}, []string{"empty.dat", "blosc"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			fs := buildSet(t, dir, "h", sampleFiles(), buildOpts{chunkSize: 100_000, extras: !tc.bare, mutate: tc.mutate})
			if tc.damage != nil {
				tc.damage(fs)
			}
			s := openFake(t, fs)
			wantErr(t, s.LayoutError(), tc.want...)
			dest := filepath.Join(dir, "dest")
			_, err := s.Unpack(context.Background(), dest, 2)
			wantErr(t, err, tc.want...)
			if _, err := os.Stat(dest); !os.IsNotExist(err) {
				t.Errorf("unpack created %s although it refused the set", dest)
			}
		})
	}
}

func TestOpenRefusesUnsafePaths(t *testing.T) {
	for _, p := range []string{"../evil", "/abs", "a/../../b", "", "nul\x00x"} {
		dir := t.TempDir()
		fs := buildSet(t, dir, "h", sampleFiles()[:1], buildOpts{mutate: func(ix *archive.Index) {
			ix.Files[0].Path = p
		}})
		_, err := Open(context.Background(), fs.paths, fs.open)
		wantErr(t, err, "index")
	}
}

// TestContiguousPayloads: payloads at file offsets are read with pread,
// and a member file shorter than its payloads is refused before writing.
func TestContiguousPayloads(t *testing.T) {
	dir := t.TempDir()
	files := sampleFiles()
	fs := buildSet(t, dir, "c", files, buildOpts{members: 2, chunkSize: 100_000, contig: true})
	s := openFake(t, fs)
	st, err := s.Unpack(context.Background(), filepath.Join(dir, "out"), 2)
	if err != nil {
		t.Fatal(err)
	}
	got := listTree(t, st.Dir)
	for _, f := range files {
		if got[f.path] != string(f.data) {
			t.Errorf("%s: content differs", f.path)
		}
	}

	info, err := os.Stat(fs.paths[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(fs.paths[1], info.Size()-10); err != nil {
		t.Fatal(err)
	}
	s2 := openFake(t, fs)
	wantErr(t, s2.LayoutError(), "c_1.h5", "truncated")
	_, err = s2.Unpack(context.Background(), filepath.Join(dir, "out2"), 2)
	wantErr(t, err, "truncated")
	if _, err := os.Stat(filepath.Join(dir, "out2")); !os.IsNotExist(err) {
		t.Error("unpack of a truncated set created DEST")
	}
}
