package h5sink

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
)

// The test binary is its own probe child, as hdf5vault is.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == ProbeArg {
		os.Exit(ProbeMain(os.Args[2:]))
	}
	os.Exit(m.Run())
}

// withProbe runs the rest of the test with the probe child on.
func withProbe(t *testing.T, ctx context.Context) {
	t.Helper()
	stop := UseProbe(ctx, os.Args[0], 0)
	t.Cleanup(stop)
}

// TestProbeMatchesDirect: through the child, Open, Stat and ReadPayload
// give what the in-process calls give, for our files and the original's.
func TestProbeMatchesDirect(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.h5")
	writeSamples(t, path, Options{}, samples(), sampleRoot(3, 2))
	fx, _ := filepath.Glob(filepath.Join(fixtureDir(t), "*.h5"))
	files := append([]string{path}, fx...)
	names := map[string][]string{}
	want := map[string]*Reader{}
	for _, f := range files {
		r, err := Open(f)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		want[f] = r
		names[f] = datasetNames(t, f)
	}
	withProbe(t, context.Background())
	for _, f := range files {
		r, err := Open(f)
		if err != nil {
			t.Fatal(err)
		}
		if r.file >= 0 {
			t.Errorf("%s: opened with libhdf5 in this process", f)
		}
		if r.Root() != want[f].Root() {
			t.Errorf("%s: root %+v through the probe, %+v directly", f, r.Root(), want[f].Root())
		}
		for _, name := range names[f] {
			got, err1 := r.Stat(name)
			exp, err2 := want[f].Stat(name)
			if err1 != nil || err2 != nil || got != exp {
				t.Errorf("%s: %q: stat %+v (%v) through the probe, %+v (%v) directly", f, name, got, err1, exp, err2)
			}
			b1, err1 := r.ReadPayload(name, nil)
			b2, err2 := want[f].ReadPayload(name, nil)
			if err1 != nil || err2 != nil || !bytes.Equal(b1, b2) {
				t.Errorf("%s: %q: payload differs through the probe (%v, %v)", f, name, err1, err2)
			}
		}
		if _, err := r.Stat("no/such/dataset"); !errors.Is(err, archive.ErrDamaged) || !strings.Contains(err.Error(), "no such dataset") {
			t.Errorf("%s: Stat of a missing dataset: %v", f, err)
		}
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	}
}

// datasetNames lists every dataset of an archive (h5py-free: our own
// scan, run in a child so the listing does not depend on this process).
func datasetNames(t *testing.T, path string) []string {
	t.Helper()
	p := &prober{ctx: context.Background(), exe: os.Args[0]}
	defer p.end(false)
	s, err := p.scanFile(path)
	if err != nil || s.died != nil || s.walkErr != "" {
		t.Fatalf("scan of %s: %v %+v", path, err, s)
	}
	var out []string
	for name, e := range s.entries {
		if e.err == "" && !e.link {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no datasets found", path)
	}
	return out
}

// TestProbeNonContiguous: chunked, filtered and compact payloads (which
// neither tool writes, h5py can) are read by the child.
func TestProbeNonContiguous(t *testing.T) {
	needH5py(t)
	path := filepath.Join(t.TempDir(), "odd.h5")
	script := `
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w") as f:
    f.create_dataset("chunked", data=np.arange(5000, dtype=np.int8), chunks=(512,))
    f.create_dataset("gzip", data=np.arange(7000, dtype=np.uint8), chunks=(1000,), compression="gzip")
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_layout(h5py.h5d.COMPACT)
    sp = h5py.h5s.create_simple((100,))
    d = h5py.h5d.create(f.id, b"compact", h5py.h5t.STD_I8LE, sp, dcpl=dcpl)
    d.write(h5py.h5s.ALL, h5py.h5s.ALL, np.arange(100, dtype=np.int8))
`
	if out, err := exec.Command("/usr/bin/python3", "-c", script, path).CombinedOutput(); err != nil {
		t.Fatalf("h5py: %v\n%s", err, out)
	}
	direct, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	withProbe(t, context.Background())
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, name := range []string{"chunked", "gzip", "compact"} {
		got, err1 := r.ReadPayload(name, []byte("x"))
		want, err2 := direct.ReadPayload(name, []byte("x"))
		if err1 != nil || err2 != nil || !bytes.Equal(got, want) || len(got) < 2 {
			t.Errorf("%s: %d bytes (%v) through the probe, %d (%v) directly", name, len(got), err1, len(want), err2)
		}
	}
}

// crashingFile is the original's single.h5 with one byte changed so that
// libhdf5 dies of SIGSEGV opening it, whatever the process's layout. Byte
// 903 is the top byte of the global heap index of the root attribute
// __Description__'s string; 0x2d becomes 0xff00002d, and libhdf5 1.10's
// H5HG_read indexes its object table with it unchecked, reading about
// 100 GB past the table, where nothing is mapped.
func crashingFile(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir(t), "single.h5"))
	if err != nil {
		t.Fatal(err)
	}
	b[903] ^= 0xff
	path := filepath.Join(t.TempDir(), "single.h5")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestProbeCrashIsDamage: a file that crashes libhdf5 is a damage error
// naming it, this process survives, and the next file gets a new child.
func TestProbeCrashIsDamage(t *testing.T) {
	bad := crashingFile(t)
	withProbe(t, context.Background())
	_, err := Open(bad)
	if !errors.Is(err, archive.ErrDamaged) || !strings.Contains(err.Error(), "libhdf5 crashed") || !strings.Contains(err.Error(), bad) {
		t.Fatalf("Open of a file that crashes libhdf5: %v", err)
	}
	r, err := Open(filepath.Join(fixtureDir(t), "single.h5"))
	if err != nil {
		t.Fatalf("the next file after a crash: %v", err)
	}
	r.Close()
}

// TestProbeCancel: a cancelled context stops the child and is the error.
func TestProbeCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	withProbe(t, ctx)
	cancel()
	if _, err := Open(filepath.Join(fixtureDir(t), "single.h5")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Open after cancel: %v", err)
	}
}

// FuzzProbeAnswers: the parsers of the child's answers and requests never
// panic, and never allocate what a length field merely claims.
func FuzzProbeAnswers(f *testing.F) {
	f.Add(appendRoot([]byte{0}, sampleRoot(2, 1)))
	f.Add(appendBlob([]byte{1}, "refused"))
	f.Add([]byte{recDset, 1, 0, 0, 0, 'a'})
	f.Add([]byte{recEnd, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0, 0xff, 0xff, 0xff, 0x7f})
	f.Fuzz(func(t *testing.T, b []byte) {
		s := &scan{entries: map[string]scanEntry{}}
		readScan(bytes.NewReader(b), s)
		readRootAnswer(bufio.NewReader(bytes.NewReader(b)))
		readRequest(bytes.NewReader(b))
	})
}
