package zipsink

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
)

const python = "/usr/bin/python3"

type sample struct {
	name    string
	payload []byte
}

func randBytes(seed int64, n int) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

func samples() []sample {
	return []sample{
		{"Images/A01/field1_C01.tif____part0.blosc2", randBytes(1, 70_001)},
		{"Images/A01/field1_C01.tif____part1.blosc2", randBytes(2, 12_345)},
		{"Images/A02/Zelle ü 1.txt", []byte("Grüße aus der Zelle\n")},
		{"Images/A02/field 2 (copy).tif.blosc2", randBytes(3, 4096)},
		{"empty.dat", nil},
		{"odd/name.blosc2.blosc2", randBytes(4, 999)},
		{"deep/a/b/c/d/leaf.csv", bytes.Repeat([]byte("1,2,3\n"), 1000)},
		{"big.bin", randBytes(5, 3<<20)},
	}
}

// sampleIndex is an index for samples() in archive fileNumber of numFiles.
func sampleIndex(t testing.TB, fileNumber int) string {
	ix := archive.Index{Files: []archive.File{
		{Path: "Images/A01/field1_C01.tif", Parts: []archive.Part{
			{Chunk: archive.Ptr(0), ArchiveNumber: fileNumber, Dataset: "Images/A01/field1_C01.tif____part0.blosc2", Compression: archive.Blosc2Method()},
			{Chunk: archive.Ptr(1), ArchiveNumber: fileNumber, Dataset: "Images/A01/field1_C01.tif____part1.blosc2", Compression: archive.Blosc2Method()},
			{Chunk: archive.Ptr(2), ArchiveNumber: 2, Dataset: "Images/A01/field1_C01.tif____part2.blosc2", Compression: archive.Blosc2Method()},
		}},
		{Path: "Images/A02/Zelle ü 1.txt", Parts: []archive.Part{{ArchiveNumber: fileNumber, Dataset: "Images/A02/Zelle ü 1.txt"}}},
		{Path: "empty.dat", Parts: []archive.Part{{ArchiveNumber: fileNumber, Dataset: "empty.dat"}}},
	}}
	b, err := ix.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sampleRoot(t testing.TB, numFiles, fileNumber int) archive.RootAttrs {
	return archive.RootAttrs{
		Description: archive.Description, Version: archive.Version, ChunkSize: 200_000,
		FileNumber: fileNumber, NumFiles: numFiles, Info: sampleIndex(t, fileNumber),
	}
}

func writeSamples(t testing.TB, path string, ss []sample, root archive.RootAttrs) map[string]int64 {
	t.Helper()
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	offs := make(map[string]int64)
	for _, s := range ss {
		off, err := w.Put(s.name, s.payload, archive.DatasetAttrs{Compression: "None"})
		if err != nil {
			w.Abort()
			t.Fatal(err)
		}
		offs[s.name] = off
	}
	if err := w.Finish(root); err != nil {
		w.Abort()
		t.Fatal(err)
	}
	return offs
}

// pyMember is what Python's zipfile sees of one member.
type pyMember struct {
	Hex      string `json:"hex"`
	Method   int    `json:"method"`
	Flags    int    `json:"flags"`
	CRC      uint32 `json:"crc"`
	Size     int64  `json:"size"`
	Header   int64  `json:"header_offset"`
	External uint32 `json:"external_attr"`
}

const zipScript = `
import sys, json, zipfile
out = {}
with zipfile.ZipFile(sys.argv[1]) as z:
    if z.testzip() is not None:
        raise SystemExit("bad CRC in " + z.testzip())
    for i in z.infolist():
        out[i.filename] = {"hex": z.read(i).hex() if i.file_size < 1<<24 else "", "method": i.compress_type, "flags": i.flag_bits,
            "crc": i.CRC, "size": i.file_size, "header_offset": i.header_offset, "external_attr": i.external_attr}
print(json.dumps(out))
`

func pyZip(t *testing.T, path string) map[string]pyMember {
	t.Helper()
	if _, err := os.Stat(python); err != nil {
		t.Skipf("independent reader unavailable: %v", err)
	}
	out, err := exec.Command(python, "-c", zipScript, path).Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("python zipfile could not read %s: %v\n%s", path, err, msg)
	}
	var m map[string]pyMember
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func fixtureDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "fixtures", "hdf5vault", "archives")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared fixtures absent (%v): the fixture cross-checks need ../shared", err)
	}
	return dir
}

// withInfo is r's root attributes with the JSON index read in.
func withInfo(t *testing.T, r *Reader) archive.RootAttrs {
	t.Helper()
	root := r.Root()
	info, err := r.Info()
	if err != nil {
		t.Fatal(err)
	}
	root.Info = info
	return root
}
