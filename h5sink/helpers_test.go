package h5sink

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

// sample is one dataset of a test archive.
type sample struct {
	name    string
	payload []byte
	attrs   archive.DatasetAttrs
}

func randBytes(seed int64, n int) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

// samples covers nested groups, split parts, an empty payload, non-ASCII and
// punctuated names and a name that already ends in .blosc2.
func samples() []sample {
	return []sample{
		{"Images/A01/field1_C01.tif____part0.blosc2", randBytes(1, 70_001), archive.DatasetAttrs{Compression: "blosc2", Chunk: 0, NumChunks: 2}},
		{"Images/A01/field1_C01.tif____part1.blosc2", randBytes(2, 12_345), archive.DatasetAttrs{Compression: "blosc2", Chunk: 1, NumChunks: 2}},
		{"Images/A02/Zelle ü 1.txt", []byte("Grüße aus der Zelle\n"), archive.DatasetAttrs{Compression: "None"}},
		{"Images/A02/field 2 (copy).tif.blosc2", randBytes(3, 4096), archive.DatasetAttrs{Compression: "blosc2"}},
		{"empty.dat", nil, archive.DatasetAttrs{Compression: "None"}},
		{"odd/name.blosc2.blosc2", randBytes(4, 999), archive.DatasetAttrs{Compression: "blosc2"}},
		{"deep/a/b/c/d/leaf.csv", bytes.Repeat([]byte("1,2,3\n"), 1000), archive.DatasetAttrs{Compression: "None"}},
		{"big.bin", randBytes(5, 3<<20), archive.DatasetAttrs{Compression: "None"}},
		{"tiny.txt", []byte{0x80, 0xff, 0x00}, archive.DatasetAttrs{Compression: "None"}},
	}
}

func sampleRoot(numFiles, fileNumber int) archive.RootAttrs {
	return archive.RootAttrs{
		Description: archive.Description,
		Version:     archive.Version,
		ChunkSize:   200_000,
		FileNumber:  fileNumber,
		NumFiles:    numFiles,
		Info:        `{"tiny.txt": [{"chunk": null, "archive_number": 0, "dataset": "tiny.txt", "compression": null}], "ü": []}`,
	}
}

// writeSamples writes ss into a new archive and returns the offsets Put gave.
func writeSamples(t testing.TB, path string, o Options, ss []sample, root archive.RootAttrs) map[string]int64 {
	t.Helper()
	w, err := Create(path, o)
	if err != nil {
		t.Fatal(err)
	}
	offs := make(map[string]int64)
	for _, s := range ss {
		off, err := w.Put(s.name, s.payload, s.attrs)
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

// pyDump is what h5py sees in a file (see dumpScript).
type pyDump struct {
	Root     map[string]pyAttr `json:"root"`
	Datasets map[string]struct {
		Dtype   string            `json:"dtype"`
		Shape   []int64           `json:"shape"`
		Layout  int               `json:"layout"` // h5d.CONTIGUOUS == 1
		Filters int               `json:"filters"`
		Chunks  any               `json:"chunks"`
		Offset  *int64            `json:"offset"`
		Hex     string            `json:"hex"`
		Attrs   map[string]pyAttr `json:"attrs"`
	} `json:"datasets"`
}

type pyAttr struct {
	Type  string          `json:"type"` // Python type name: str, int64, ...
	Value json.RawMessage `json:"value"`
}

// dumpScript reads a file the way the original tooling does (h5py, attrs as
// h5py returns them) and prints everything as JSON.
const dumpScript = `
import sys, json, h5py
def attrs(o):
    out = {}
    for k, v in o.attrs.items():
        t = type(v).__name__
        if hasattr(v, 'item'):
            v = v.item()
        out[k] = {"type": t, "value": v}
    return out
res = {"datasets": {}}
with h5py.File(sys.argv[1], "r") as f:
    res["root"] = attrs(f)
    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            p = obj.id.get_create_plist()
            res["datasets"][name] = {
                "dtype": obj.dtype.str, "shape": list(obj.shape), "layout": p.get_layout(),
                "filters": p.get_nfilters(), "chunks": obj.chunks, "offset": obj.id.get_offset(),
                "hex": obj[:].tobytes().hex(), "attrs": attrs(obj)}
    f.visititems(visit)
print(json.dumps(res))
`

// h5pyDump runs dumpScript on path; it skips the test when h5py is missing.
func h5pyDump(t *testing.T, path string) pyDump {
	t.Helper()
	needH5py(t)
	out, err := exec.Command(python, "-c", dumpScript, path).Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("h5py could not read %s: %v\n%s", path, err, msg)
	}
	var d pyDump
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// needH5py skips the test when /usr/bin/python3 cannot import h5py.
func needH5py(t *testing.T) {
	t.Helper()
	if err := exec.Command(python, "-c", "import h5py").Run(); err != nil {
		t.Skipf("independent reader unavailable: %s with h5py: %v", python, err)
	}
}

// fixtureDir is the original tool's archives; tests needing them skip only
// when the shared directory is absent.
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
