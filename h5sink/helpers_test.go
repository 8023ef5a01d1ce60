package h5sink

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/archive/archivetest"
)

const python = "/usr/bin/python3"

// The sample data is the conformance suite's (archive/archivetest).
type sample = archivetest.Sample

var (
	samples    = archivetest.Samples
	sampleRoot = archivetest.Root
	randBytes  = archivetest.RandBytes
)

// writeSamples writes ss into a new archive and returns the offsets Put gave.
func writeSamples(t testing.TB, path string, o Options, ss []sample, root archive.RootAttrs) map[string]int64 {
	t.Helper()
	w, err := Create(path, o)
	if err != nil {
		t.Fatal(err)
	}
	return archivetest.Write(t, w, ss, root)
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

// needH5py skips the test when /usr/bin/python3 cannot import h5py. It
// asks once per run: an import of h5py costs a third of a CPU second, and
// h5pyDump calls this for every file it dumps.
func needH5py(t testing.TB) {
	t.Helper()
	if err := h5pyMissing(); err != nil {
		t.Skipf("independent reader unavailable: %s with h5py: %v", python, err)
	}
}

var h5pyMissing = sync.OnceValue(func() error {
	return exec.Command(python, "-c", "import h5py").Run()
})

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
	return archivetest.WithInfo(t, r)
}
