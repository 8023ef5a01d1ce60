package h5sink

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
)

// makeOddFile has h5py write datasets our Writer never makes: chunked and
// gzip-filtered, compact, unsigned, unallocated, 2-D, float, and one whose
// raw data lives in an external file.
const makeOddFile = `
import sys, h5py, numpy as np
data = (np.arange(100000) * 7 % 251).astype(np.int8)
with h5py.File(sys.argv[1], "w") as f:
    f.create_dataset("chunked", data=data, chunks=(4096,), compression="gzip")
    f.create_dataset("plainchunks", data=data, chunks=(1000,))
    sid = h5py.h5s.create_simple((100,))
    plist = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    plist.set_layout(h5py.h5d.COMPACT)
    h5py.h5d.create(f.id, b"compact", h5py.h5t.STD_I8LE, sid, plist).write(h5py.h5s.ALL, h5py.h5s.ALL, data[:100])
    f.create_dataset("unsigned", data=data.view(np.uint8))
    f.create_dataset("unwritten", shape=(1000,), dtype=np.int8)
    f.create_dataset("hugechunks", shape=(10**12,), dtype=np.int8, chunks=(1<<20,))
    f.create_dataset("twod", data=data.reshape(100, 1000))
    f.create_dataset("float", data=np.zeros(10))
    f.create_dataset("external", shape=(10,), dtype=np.int8, external=[(sys.argv[2], 0, 10)])
`

func TestOtherLayouts(t *testing.T) {
	needH5py(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "odd.h5")
	if out, err := exec.Command(python, "-c", makeOddFile, path, filepath.Join(dir, "secret")).CombinedOutput(); err != nil {
		t.Fatalf("h5py: %v\n%s", err, out)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	want := make([]byte, 100000)
	for i := range want {
		want[i] = byte(i * 7 % 251)
	}
	for name, w := range map[string][]byte{
		"chunked":     want,
		"plainchunks": want,
		"compact":     want[:100],
		"unsigned":    want,
		"unwritten":   make([]byte, 1000),
	} {
		info, err := r.Stat(name)
		if err != nil {
			t.Errorf("Stat(%s): %v", name, err)
			continue
		}
		if info.Offset != -1 && name != "unsigned" {
			t.Errorf("%s: offset %d, want -1 (not contiguous or not allocated)", name, info.Offset)
		}
		got, err := r.ReadPayload(name, nil)
		if err != nil || !bytes.Equal(got, w) {
			t.Errorf("%s: err %v, %d bytes, equal %v", name, err, len(got), bytes.Equal(got, w))
		}
	}
	for name, why := range map[string]string{
		"twod": "rank 2", "float": "not an 8-bit integer", "external": "external files",
		"hugechunks": "more than the file can hold",
	} {
		_, err := r.ReadPayload(name, nil)
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("%s: err = %v, want %q", name, err, why)
		}
	}
}

// makeLinkFile has h5py write links this project never makes: soft and
// external links to datasets and to a group. The scan never follows them,
// and neither may a Stat of one dataset (libhdf5 would open another file).
const makeLinkFile = `
import sys, h5py, numpy as np
with h5py.File(sys.argv[2], "w") as o:
    o.create_dataset("secret", data=np.frombuffer(b"another file", dtype=np.int8))
with h5py.File(sys.argv[1], "w") as f:
    f.create_dataset("data", data=np.frombuffer(b"in this file", dtype=np.int8))
    f.create_dataset("g/x", data=np.frombuffer(b"in a group", dtype=np.int8))
    f["soft"] = h5py.SoftLink("/data")
    f["ext"] = h5py.ExternalLink(sys.argv[2], "/secret")
    f["g2"] = h5py.SoftLink("/g")
    f["eg"] = h5py.ExternalLink(sys.argv[2], "/")
`

// linkFile writes makeLinkFile's file into dir.
func linkFile(t testing.TB, dir string) string {
	t.Helper()
	needH5py(t)
	path := filepath.Join(dir, "links.h5")
	if out, err := exec.Command(python, "-c", makeLinkFile, path, filepath.Join(dir, "other.h5")).CombinedOutput(); err != nil {
		t.Fatalf("h5py: %v\n%s", err, out)
	}
	return path
}

// FuzzStatName: whatever name the index gives, Stat of one dataset (the
// path check before libhdf5 opens it) describes only the two plain
// datasets of the file, under their plain names, and refuses the rest.
func FuzzStatName(f *testing.F) {
	r, err := Open(linkFile(f, f.TempDir()))
	if err != nil {
		f.Fatal(err)
	}
	defer r.Close()
	for _, s := range []string{"data", "g/x", "soft", "ext", "g2/x", "eg/secret", "./data", "g/./x", "g//x",
		"/data", "data/", "", "/", ".", "..", "g/../data", "g/x/", "\xff", strings.Repeat("g/", 200) + "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		_, err := r.Stat(name)
		if err == nil && name != "data" && name != "g/x" {
			t.Fatalf("Stat(%q) described a dataset", name)
		}
		if err != nil && (name == "data" || name == "g/x") {
			t.Fatalf("Stat(%q): %v", name, err)
		}
	})
}

// TestStatRefusesLinks: in this process, through the probe child one
// dataset at a time, and through its scan of the file, a dataset reached
// through a soft or external link is refused, and so is a name that is not
// a plain path; the plain datasets are described.
func TestStatRefusesLinks(t *testing.T) {
	path := linkFile(t, t.TempDir())
	refused := map[string]string{
		"soft": "soft or external link", "ext": "soft or external link", "g2/x": "soft or external link",
		"eg/secret": "soft or external link", "./data": "not a plain path", "g//x": "not a plain path",
		"data/": "not a plain path", "missing": "no such dataset",
	}
	check := func(how string, r *Reader) {
		t.Helper()
		for _, name := range []string{"data", "g/x"} {
			if info, err := r.Stat(name); err != nil || info.Size == 0 {
				t.Errorf("%s: Stat(%q) = %+v, %v", how, name, info, err)
			}
		}
		for name, why := range refused {
			_, err := r.Stat(name)
			if !errors.Is(err, archive.ErrDamaged) || !strings.Contains(err.Error(), why) {
				t.Errorf("%s: Stat(%q): %v, want damage saying %q", how, name, err, why)
			}
		}
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	check("in this process", r)
	r.Close()

	withProbe(t, context.Background())
	r, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	check("one dataset a time", r)
	if r.scan != nil {
		t.Fatalf("the child scanned the file after %d lookups", r.singles.Load())
	}
	r.singles.Store(statsBeforeScan)
	// The scan lists the links it found without following them: a path
	// through one is simply not among the datasets.
	refused = map[string]string{"soft": "soft or external link", "ext": "soft or external link",
		"g2/x": "no such dataset", "eg/secret": "no such dataset", "g//x": "no such dataset"}
	check("from the scan", r)
	if r.scan == nil {
		t.Error("no scan after statsBeforeScan lookups")
	}
}
