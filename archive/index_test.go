package archive

import (
	"archive/zip"
	"io"
	"os"
	"strings"
	"testing"
)

const fixtures = "../../shared/fixtures/hdf5vault"

// readZipIndex reads the index member of one of the original tool's zip archives.
func readZipIndex(t *testing.T, name string) []byte {
	t.Helper()
	path := fixtures + "/archives/" + name
	if _, err := os.Stat(path); os.IsNotExist(err) {
		t.Skip("reference fixtures not found at", fixtures)
	}
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	f, err := z.Open(AttrInfo)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseIndexOriginal(t *testing.T) {
	ix, err := ParseIndex(readZipIndex(t, "zipset_0.zip"), 2)
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]File{}
	for _, f := range ix.Files {
		byPath[f.Path] = f
	}
	// Every regular file of the fixture tree is in the index, and nothing else.
	var want []string
	walkTree(t, fixtures+"/tree", "", &want)
	if len(want) != len(ix.Files) {
		t.Errorf("index has %d files, tree has %d", len(ix.Files), len(want))
	}
	for _, p := range want {
		if _, ok := byPath[p]; !ok {
			t.Errorf("index lacks %q", p)
		}
	}
	split := byPath["Images/A01/field1_C01.tif"]
	if len(split.Parts) != 4 {
		t.Fatalf("split file has %d parts, want 4", len(split.Parts))
	}
	for k, p := range split.Parts { // ParseIndex orders parts by number
		if p.Number() != k || p.Dataset != DatasetName(split.Path, k, 4, true) || !p.Compressed() {
			t.Errorf("part %d: %+v", k, p)
		}
	}
	if raw := byPath["random.bin"].Parts[0]; raw.Compressed() || raw.Chunk != nil || raw.Dataset != "random.bin" {
		t.Errorf("random.bin: %+v", raw)
	}
	// Archives from the original carry none of our extra keys.
	if p := byPath["tiny.txt"].Parts[0]; p.Size != nil || p.Checksum != "" || p.Offset != nil {
		t.Errorf("unexpected extension keys in an original index: %+v", p)
	}
	// Both members of the set carry the same index.
	ix1, err := ParseIndex(readZipIndex(t, "zipset_1.zip"), 2)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := ix.Marshal()
	b, _ := ix1.Marshal()
	if string(a) != string(b) {
		t.Error("the two members of zipset carry different indexes")
	}
}

func walkTree(t *testing.T, root, rel string, out *[]string) {
	t.Helper()
	ents, err := os.ReadDir(root + "/" + rel)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		p := e.Name()
		if rel != "" {
			p = rel + "/" + p
		}
		if e.IsDir() {
			walkTree(t, root, p, out)
		} else {
			*out = append(*out, p)
		}
	}
}

func TestIndexRoundTrip(t *testing.T) {
	ix := &Index{Files: []File{
		{Path: "b/ü x.tif", Parts: []Part{
			{Chunk: Ptr(1), ArchiveNumber: 1, Dataset: "b/ü x.tif____part1.blosc2", Compression: Blosc2Method(),
				Size: Ptr[int64](5), Stored: Ptr[int64](40), Offset: Ptr[int64](4096), FileSize: Ptr[int64](15),
				Checksum: "xxh3-128:00", MtimeNs: Ptr[int64](1), Mode: Ptr[uint32](0o640)},
			{Chunk: Ptr(0), ArchiveNumber: 0, Dataset: "b/ü x.tif____part0.blosc2", Compression: Blosc2Method()},
		}},
		{Path: "a", Parts: []Part{{ArchiveNumber: 0, Dataset: "a"}}},
	}}
	data, err := ix.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	// The original's keys are always present; null marks an unsplit file and a raw payload.
	if !strings.Contains(string(data), `{"chunk":null,"archive_number":0,"dataset":"a","compression":null}`) {
		t.Errorf("unsplit raw entry not in the original's shape:\n%s", data)
	}
	back, err := ParseIndex(data, 2)
	if err != nil {
		t.Fatal(err)
	}
	if back.Files[0].Path != "a" || back.Files[1].Parts[0].Number() != 0 || *back.Files[1].Parts[1].Mode != 0o640 {
		t.Errorf("round trip lost order or fields: %+v", back.Files)
	}
	again, _ := back.Marshal()
	if string(again) != string(data) {
		t.Errorf("Marshal is not deterministic:\n%s\n%s", data, again)
	}
}

func TestParseIndexRefusesHostile(t *testing.T) {
	cases := map[string]string{
		"dotdot":        `{"../evil": [{"chunk": null, "archive_number": 0, "dataset": "x", "compression": null}]}`,
		"absolute":      `{"/etc/passwd": [{"chunk": null, "archive_number": 0, "dataset": "x", "compression": null}]}`,
		"empty path":    `{"": [{"chunk": null, "archive_number": 0, "dataset": "x", "compression": null}]}`,
		"nul":           `{"a\u0000b": [{"chunk": null, "archive_number": 0, "dataset": "x", "compression": null}]}`,
		"dset dotdot":   `{"a": [{"chunk": null, "archive_number": 0, "dataset": "../x", "compression": null}]}`,
		"file and dir":  `{"a": [{"chunk": null, "archive_number": 0, "dataset": "a", "compression": null}], "a/b": [{"chunk": null, "archive_number": 0, "dataset": "a/b", "compression": null}]}`,
		"shared dset":   `{"a": [{"chunk": null, "archive_number": 0, "dataset": "d", "compression": null}], "b": [{"chunk": null, "archive_number": 0, "dataset": "d", "compression": null}]}`,
		"no parts":      `{"a": []}`,
		"part gap":      `{"a": [{"chunk": 0, "archive_number": 0, "dataset": "p0", "compression": null}, {"chunk": 2, "archive_number": 0, "dataset": "p2", "compression": null}]}`,
		"part twice":    `{"a": [{"chunk": 0, "archive_number": 0, "dataset": "p0", "compression": null}, {"chunk": 0, "archive_number": 0, "dataset": "p1", "compression": null}]}`,
		"null in split": `{"a": [{"chunk": null, "archive_number": 0, "dataset": "p0", "compression": null}, {"chunk": 1, "archive_number": 0, "dataset": "p1", "compression": null}]}`,
		"archive range": `{"a": [{"chunk": null, "archive_number": 2, "dataset": "a", "compression": null}]}`,
		"negative arch": `{"a": [{"chunk": null, "archive_number": -1, "dataset": "a", "compression": null}]}`,
		"method":        `{"a": [{"chunk": null, "archive_number": 0, "dataset": "a", "compression": "gzip"}]}`,
		"negative size": `{"a": [{"chunk": null, "archive_number": 0, "dataset": "a", "compression": null, "size": -5}]}`,
		"not object":    `[1, 2]`,
		"null":          `null`,
		"truncated":     `{"a": [{"chunk": null, "archive_number": 0,`,
	}
	for name, js := range cases {
		if _, err := ParseIndex([]byte(js), 2); err == nil {
			t.Errorf("%s: accepted %s", name, js)
		}
	}
}

func FuzzParseIndex(f *testing.F) {
	f.Add([]byte(`{"a": [{"chunk": null, "archive_number": 0, "dataset": "a", "compression": null}]}`), 1)
	f.Add([]byte(`{"x/y": [{"chunk": 1, "archive_number": 1, "dataset": "x/y____part1.blosc2", "compression": "blosc2", "size": 3}, {"chunk": 0, "archive_number": 0, "dataset": "x/y____part0", "compression": null}]}`), 2)
	if b, err := os.ReadFile(fixtures + "/archives/zipset_0.zip"); err == nil {
		if i := strings.Index(string(b), "{\n"); i >= 0 {
			f.Add(b[i:], 2)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, n int) {
		ix, err := ParseIndex(data, n)
		if err != nil {
			return
		}
		// Whatever is accepted is safe to extract and survives a round trip.
		for _, file := range ix.Files {
			if CleanRel(file.Path) != nil {
				t.Fatalf("accepted unsafe path %q", file.Path)
			}
			for k, p := range file.Parts {
				if p.Number() != k || p.ArchiveNumber < 0 || p.ArchiveNumber >= n {
					t.Fatalf("accepted bad part %+v of %q", p, file.Path)
				}
			}
		}
		out, err := ix.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseIndex(out, n); err != nil {
			t.Fatalf("re-parse of accepted index failed: %v", err)
		}
	})
}
