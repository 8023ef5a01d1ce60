package zipsink

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
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
func writeSamples(t testing.TB, path string, ss []sample, root archive.RootAttrs) map[string]int64 {
	t.Helper()
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	return archivetest.Write(t, w, ss, root)
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
	return archivetest.WithInfo(t, r)
}
