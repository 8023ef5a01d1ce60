package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// originalSet writes, with h5py, a one-member set the original's way (the
// four index keys only: no sizes, offsets or checksums, no side index) of
// n good files good/fNNN.txt, plus two bad ones: bad/twod.bin, a 2-D
// dataset, and bad/elsewhere.txt, an external link to a dataset of another
// file. It returns the member and the good files' contents.
func originalSet(t *testing.T, n int) (string, map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	a := filepath.Join(dir, "orig.h5")
	good := map[string][]byte{}
	for i := range n {
		good[fmt.Sprintf("good/f%03d.txt", i)] = []byte(fmt.Sprintf("file %d of an acquisition\n", i))
	}
	h5py(t, `import sys, json, h5py, numpy as np
path, other, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with h5py.File(other, "w") as o:
    o.create_dataset("secret", data=np.frombuffer(b"outside the member", dtype=np.int8))
ix = {}
with h5py.File(path, "w", libver=("v108", "latest")) as f:
    for i in range(n):
        p = "good/f%03d.txt" % i
        f.create_dataset(p, data=np.frombuffer(b"file %d of an acquisition\n" % i, dtype=np.int8))
        ix[p] = [{"chunk": None, "archive_number": 0, "dataset": p, "compression": None}]
    f.create_dataset("bad/twod.bin", data=np.zeros((4, 4), dtype=np.int8))
    f["bad/elsewhere.txt"] = h5py.ExternalLink(other, "/secret")
    for p in ("bad/twod.bin", "bad/elsewhere.txt"):
        ix[p] = [{"chunk": None, "archive_number": 0, "dataset": p, "compression": None}]
    f.attrs["__Description__"] = "written the original's way"
    f.attrs["__HDF5Vault_version__"] = "0.3.0"
    f.attrs["__HDF5Vault_chunksize__"] = 1000000
    f.attrs["__HDF5Vault_info__"] = json.dumps(ix)
`, nil, a, filepath.Join(dir, "other.h5"), fmt.Sprint(n))
	return a, good
}

// TestOriginalSetOpenedLazily: ls of a set written by the original reads
// its index alone, so datasets it never looks at cannot stop it; cat and
// unpack of chosen files check those files' datasets alone; a bad dataset is
// still refused as damage (exit 3, naming the file) by cat of that file,
// and by every command that reads the whole set. A payload behind an
// external link is never read.
func TestOriginalSetOpenedLazily(t *testing.T) {
	t.Parallel()
	a, good := originalSet(t, 5)
	out := mustRun(t, "ls", a)
	if n := strings.Count(out, "\n"); n != len(good)+2 || !strings.Contains(out, "bad/twod.bin\n") {
		t.Errorf("ls listed %d files, want %d:\n%s", n, len(good)+2, out)
	}
	if out := mustRun(t, "ls", "-0", a); strings.Count(out, "\x00") != len(good)+2 {
		t.Errorf("ls -0 = %q", out)
	}
	for p, b := range good {
		if out := mustRun(t, "cat", "-p", p, a); out != string(b) {
			t.Errorf("cat %s = %q", p, out)
		}
		break
	}
	dest := filepath.Join(t.TempDir(), "dest")
	mustRun(t, "unpack", "-d", dest, a, "good/f001.txt", "good/f003.txt")
	got := sourceFiles(t, filepath.Join(dest, "orig"))
	sameTree(t, got, map[string][]byte{"good/f001.txt": good["good/f001.txt"], "good/f003.txt": good["good/f003.txt"]})
	if len(got) != 2 {
		t.Errorf("unpack of two paths restored %d files", len(got))
	}

	bad := map[string]string{"bad/twod.bin": "rank 2", "bad/elsewhere.txt": "soft or external link"}
	for p, why := range bad {
		r := runBin(t, "cat", "-p", p, a)
		r.stdout = ""
		wantFail(t, "cat -p "+p, r, 3, p, why)
		r = runBin(t, "unpack", "-d", filepath.Join(t.TempDir(), "d"), a, p)
		wantFail(t, "unpack "+p, r, 3, p, why)
	}
	for _, args := range [][]string{{"verify", a}, {"ls", "-l", a}, {"unpack", "-d", filepath.Join(t.TempDir(), "all"), a}} {
		wantFail(t, strings.Join(args[:len(args)-1], " "), runBin(t, args...), 3, "bad/twod.bin", "bad/elsewhere.txt")
	}
}

// probeRequests runs the binary under strace and counts the requests it
// sends to its probe child, by kind: "stat" (one dataset), "scan" (every
// dataset of a file), "open", "info".
func probeRequests(t *testing.T, strace string, args ...string) (runResult, map[string]int) {
	t.Helper()
	log := filepath.Join(t.TempDir(), "strace")
	cmd := exec.Command(strace, append([]string{"-f", "-qq", "-s", "32", "-e", "trace=write", "-o", log, readBin}, args...)...)
	var r runResult
	out, err := cmd.Output()
	r.stdout, r.code = string(out), exitOf(err)
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	// A request is a u32 count of words, then each word as a u32 length
	// and its bytes: the first word is the kind.
	re := regexp.MustCompile(`write\(\d+, "\\[0-9]\\0\\0\\0\\[0-9]\\0\\0\\0(stat|scan|open|info|read)`)
	n := map[string]int{}
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		n[m[1]]++
	}
	return r, n
}

// TestOriginalSetDatasetsLookedUp: in a set of the original's with more
// files than the probe child describes one at a time, cat of one file asks
// it about that one dataset, unpack of two paths about those two, ls about
// none, and none of them has the child scan the file; verify, which reads
// every file, has it scan the file once.
func TestOriginalSetDatasetsLookedUp(t *testing.T) {
	t.Parallel()
	strace := needStrace(t)
	a, good := originalSet(t, 100)
	dest := filepath.Join(t.TempDir(), "dest")
	cases := []struct {
		args  []string
		stats int
		scans int
	}{
		{[]string{"ls", a}, 0, 0},
		{[]string{"cat", "-p", "good/f042.txt", a}, 1, 0},
		{[]string{"unpack", "-d", dest, a, "good/f007.txt", "good/f093.txt"}, 2, 0},
		{[]string{"verify", a}, -1, 1},
	}
	for _, c := range cases {
		r, n := probeRequests(t, strace, c.args...)
		if n["open"] != 1 {
			t.Fatalf("%s: %v: the request count does not work (one open expected)", c.args[0], n)
		}
		want := map[string]int{"ls": 0, "verify": 3}[c.args[0]]
		if c.args[0] == "cat" || c.args[0] == "unpack" {
			want = 0
		}
		if r.code != want {
			t.Errorf("%s: exit %d, want %d", c.args[0], r.code, want)
		}
		if n["scan"] != c.scans || c.stats >= 0 && n["stat"] != c.stats {
			t.Errorf("%s: the probe child got %d stat and %d scan requests, want %d and %d", c.args[0], n["stat"], n["scan"], c.stats, c.scans)
		}
	}
	if out := mustRun(t, "cat", "-p", "good/f042.txt", a); out != string(good["good/f042.txt"]) {
		t.Errorf("cat good/f042.txt = %q", out)
	}
}
