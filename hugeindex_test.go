package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// padIndex rewrites the JSON index attribute of an HDF5 member with h5py,
// inserting pad bytes of white space before its closing brace: an index
// that is still valid JSON, but far larger than its entries need.
func padIndex(t *testing.T, path string, pad int) {
	t.Helper()
	h5py(t, `import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    info = f.attrs["__HDF5Vault_info__"]
    if isinstance(info, bytes):
        info = info.decode()
    f.attrs["__HDF5Vault_info__"] = info[:-1] + " " * int(sys.argv[2]) + "}"
`, nil, path, strconv.Itoa(pad))
}

// peakRun runs the binary under GNU time and returns its output, exit code
// and peak RSS in bytes: the largest of the command and the probe child it
// waited for (wait4's ru_maxrss covers waited-for descendants). Not the
// rusage of a process this test starts: Go starts it with vfork, so its
// ru_maxrss counts this test process's own RSS; time forks a small one.
func peakRun(t *testing.T, args ...string) (string, int, int64) {
	t.Helper()
	const gnuTime = "/usr/bin/time"
	if _, err := os.Stat(gnuTime); err != nil {
		t.Skipf("%s (Debian's time package) not available: %v", gnuTime, err)
	}
	rss := filepath.Join(t.TempDir(), "rss")
	cmd := exec.Command(gnuTime, append([]string{"-o", rss, "-f", "%M", readBin}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	code := exitOf(cmd.Run())
	b, err := os.ReadFile(rss)
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(b)) // "Command exited with non-zero status N" comes first
	kb, err := strconv.ParseInt(fields[len(fields)-1], 10, 64)
	if err != nil {
		t.Fatalf("%s: %v", gnuTime, err)
	}
	return out.String(), code, kb << 10
}

// TestHugeIndexIsCheap: an index padded to tens of MB is refused (exit 3,
// naming the member) by the commands that read it, and ignored by those
// that do not, without any process holding it: the peak RSS of the
// command and its probe child stays under half the index's size (before:
// libhdf5 loaded the heap and copied the string, the child copied it to
// Go and down the pipe, the parent copied it again: about six times it).
func TestHugeIndexIsCheap(t *testing.T) {
	t.Parallel()
	const pad = 64 << 20
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(src, 0o755)
	for _, f := range []string{"f1", "f2", "f3"} {
		if err := os.WriteFile(filepath.Join(src, f), []byte("field "+f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The original's kind of set: the JSON is its only index.
	orig := filepath.Join(dir, "orig.h5")
	makeArchive(t, orig, map[string]any{"f.txt": part("f.txt", false, nil)}, map[string][]byte{"f.txt": []byte("x")})
	padIndex(t, orig, pad)
	// Ours: the side index is what our readers read; verify compares
	// the JSON with it.
	base := filepath.Join(dir, "ours")
	mustRun(t, "create", "-q", "-w", "1", src, base)
	ours := base + ".h5"
	padIndex(t, ours, pad)

	cases := []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"ls", orig}, 3, []string{"member " + orig, "padding"}},
		{[]string{"unpack", "-d", filepath.Join(dir, "dest"), orig}, 3, []string{"member " + orig, "padding"}},
		{[]string{"verify", ours}, 3, []string{ours, "__HDF5Vault_info__", "can need"}},
		{[]string{"ls", ours}, 0, []string{"f1\nf2\nf3\n"}},
		{[]string{"cat", "-p", "f2", ours}, 0, []string{"field f2"}},
	}
	for _, c := range cases {
		out, code, peak := peakRun(t, c.args...)
		name := strings.Join(c.args[:1], " ")
		if code != c.code {
			t.Errorf("%s %s: exit %d, want %d\n%s", name, filepath.Base(c.args[len(c.args)-1]), code, c.code, out)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", strings.Join(c.args, " "), w, out)
			}
		}
		if peak > pad/2 {
			t.Errorf("%s: peak RSS %d MB for an index of %d MB: it was held", strings.Join(c.args, " "), peak>>20, pad>>20)
		}
		t.Logf("%s: exit %d, peak RSS %d MB", strings.Join(c.args, " "), code, peak>>20)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "dest")); len(entries) != 0 {
		t.Errorf("unpack wrote %v before refusing the index", entries)
	}
}
