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

// straceEIO runs the binary with reads of path failing with EIO from the
// when-th one on (strace counts in each process: the probe child's
// metadata reads and this process's payload reads).
func straceEIO(t *testing.T, strace, path string, when int, args ...string) runResult {
	t.Helper()
	inject := "inject=pread64,read:error=EIO"
	if when > 1 {
		inject += ":when=" + strconv.Itoa(when) + "+"
	}
	cmd := exec.Command(strace, append([]string{"-f", "-qq", "-o", "/dev/null", "-P", path, "-e", "trace=pread64,read",
		"-e", inject, readBin}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	code := exitOf(cmd.Run())
	return runResult{code, out.String(), errb.String()}
}

// TestVerifyIOError: every read of the archive fails with EIO (injected by
// strace), first of all libhdf5's reads of the member's metadata in the
// probe child. Every read command must fail with status 1, an I/O failure,
// not 3 (damage found), and name the member and the cause; wherever the
// EIO starts, no command may call it damage.
func TestVerifyIOError(t *testing.T) {
	t.Parallel()
	strace := needStrace(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(filepath.Join(src, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(src, "x", "one.bin"), bytes.Repeat([]byte("field "), 5000), 0o644)
	os.WriteFile(filepath.Join(src, "two.bin"), []byte("two"), 0o644)
	mustRun(t, "create", "-q", "-w", "1", src, filepath.Join(dir, "eio"))
	a := filepath.Join(dir, "eio.h5")
	mustRun(t, "verify", a)
	cmds := map[string][]string{
		"verify": {"verify", a},
		"ls":     {"ls", a},
		"check":  {"check", "-d", src, a},
		"unpack": {"unpack", "-d", filepath.Join(dir, "dest"), a},
		"cat":    {"cat", "--path", "two.bin", a},
	}
	for name, args := range cmds {
		r := straceEIO(t, strace, a, 1, args...)
		if r.code != 1 {
			t.Errorf("%s: exit %d, want 1 (an I/O failure)\n%s%s", name, r.code, r.stdout, r.stderr)
			continue
		}
		if !strings.Contains(r.stderr, "eio.h5") || !strings.Contains(strings.ToLower(r.stderr), "input/output error") ||
			strings.Contains(r.stderr, "damaged") {
			t.Errorf("%s: the message does not name eio.h5 and the I/O error alone:\n%s", name, r.stderr)
		}
		if strings.Contains(r.stdout, "verified") || strings.Contains(r.stdout, "DAMAGED") {
			t.Errorf("%s: reported a verdict on stdout:\n%s", name, r.stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "dest", "eio")); err == nil {
		t.Error("unpack created its directory before failing to open the set")
	}
	// The EIO starting at later reads: the root attributes, the side
	// index, the JSON index verify compares, the payloads. strace counts
	// reads per thread, so where each process's threads start failing
	// varies from run to run: every N is tried (-short: a few), and an
	// EIO that some read path takes for damage (as an unreadable side
	// index copy once was) shows up as exit 3 in some run.
	whens := []int{2, 3, 5, 8, 13, 21}
	if !testing.Short() {
		whens = whens[:0]
		for when := 2; when <= 48; when++ {
			whens = append(whens, when)
		}
	}
	for _, when := range whens {
		for _, name := range []string{"verify", "unpack"} {
			os.RemoveAll(filepath.Join(dir, "dest"))
			if r := straceEIO(t, strace, a, when, cmds[name]...); r.code != 0 && r.code != 1 {
				t.Errorf("%s with EIO from read %d on: exit %d, want 1 (or 0 if no read failed)\n%s%s", name, when, r.code, r.stdout, r.stderr)
			}
		}
	}
}
