package main

// Damage (exit 3) against failure (exit 1): the archive's bytes being wrong
// is damage; failing to read them (EIO, EMFILE, a directory where a member
// should be) is a failure, reported with its cause.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// failRead builds testdata/failread.c: it runs a command with every
// pread64 of exactly n bytes failing with an errno, through a seccomp
// filter (libhdf5's own reads of the same file are left alone).
func failRead(t *testing.T) func(n int, errno syscall.Errno, args ...string) runResult {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not available")
	}
	bin := filepath.Join(t.TempDir(), "failread")
	if out, err := exec.Command(gcc, "-o", bin, "testdata/failread.c").CombinedOutput(); err != nil {
		t.Skipf("building the seccomp helper: %v\n%s", err, out)
	}
	return func(n int, errno syscall.Errno, args ...string) runResult {
		cmd := exec.Command(bin, append([]string{strconv.Itoa(n), strconv.Itoa(int(errno)), readBin}, args...)...)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		r := runResult{stdout: stdout.String(), stderr: stderr.String(), code: exitOf(err)}
		if r.code == 127 && strings.Contains(r.stderr, "seccomp") {
			t.Skipf("seccomp filters are not allowed here: %s", r.stderr)
		}
		return r
	}
}

func TestReadFailureIsNotDamage(t *testing.T) {
	t.Parallel()
	src := filepath.Join(t.TempDir(), "src")
	os.MkdirAll(src, 0o755)
	const size = 300_017 // raw (incompressible) payload: read with one pread of exactly this size
	noise := make([]byte, size)
	x := uint64(7)
	for i := range noise {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		noise[i] = byte(x >> 32)
	}
	os.WriteFile(filepath.Join(src, "noise.bin"), noise, 0o644)
	os.WriteFile(filepath.Join(src, "small.txt"), []byte("small"), 0o644)
	out := t.TempDir()
	base := filepath.Join(out, "io")
	mustRun(t, "create", "-q", "-w", "1", src, base)
	failing := failRead(t)

	r := failing(size, syscall.EIO, "verify", base)
	if r.code != 1 || !strings.Contains(r.stderr, "noise.bin") || !strings.Contains(r.stderr, "input/output error") ||
		strings.Contains(r.stdout, "DAMAGED") {
		t.Errorf("verify with EIO on a payload: exit %d, want 1 naming the file and EIO\n%s%s", r.code, r.stdout, r.stderr)
	}
	dest := filepath.Join(t.TempDir(), "dest")
	r = failing(size, syscall.EIO, "unpack", "-d", dest, base)
	if r.code != 1 || !strings.Contains(r.stderr, "input/output error") {
		t.Errorf("unpack with EIO on a payload: exit %d, want 1\n%s", r.code, r.stderr)
	}
	r = failing(size, syscall.ENOMEM, "check", "-d", src, base)
	if r.code != 1 || !strings.Contains(r.stderr, "cannot allocate memory") {
		t.Errorf("check with ENOMEM on a payload: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = failing(size, syscall.EIO, "cat", "-p", "noise.bin", base)
	if r.code != 1 || !strings.Contains(r.stderr, "input/output error") {
		t.Errorf("cat with EIO: exit %d, want 1\n%s", r.code, r.stderr)
	}

	// Too few file descriptors: exit 1 with the cause, never 3. (A ulimit
	// sweep is not deterministic here: go-fuse's init takes pipes at start.)
	r = failing(size, syscall.EMFILE, "verify", base)
	if r.code != 1 || !strings.Contains(r.stderr, "too many open files") {
		t.Errorf("verify with EMFILE on a payload: exit %d, want 1 naming the cause\n%s", r.code, r.stderr)
	}
	for n := 8; n <= 14; n++ {
		cmd := exec.Command("sh", "-c", `ulimit -n "$2" && exec "$0" verify "$1"`, readBin, base, strconv.Itoa(n))
		b, err := cmd.CombinedOutput()
		if code := exitOf(err); code == 3 {
			t.Errorf("verify under ulimit -n %d: exit 3 (damage) for a resource failure\n%s", n, b)
		}
	}

	// A directory where a member should be is not a damaged member.
	set := filepath.Join(out, "set")
	mustRun(t, "create", "-q", "-w", "2", src, set)
	os.Remove(set + "_1.h5")
	os.Mkdir(set+"_1.h5", 0o755)
	if o, code := run(t, "verify", set); code != 1 || !strings.Contains(o, "set_1.h5") {
		t.Errorf("verify with a directory as member 1: exit %d, want 1 naming it\n%s", code, o)
	}

	// The same payload damaged: exit 3.
	a, _ := os.ReadFile(base + ".h5")
	i := strings.Index(string(a), string(noise[:64]))
	if i < 0 {
		t.Fatal("payload not found in the archive")
	}
	a[i+size/2] ^= 0x10
	os.WriteFile(base+".h5", a, 0o644)
	if o, code := run(t, "verify", base); code != 3 || !strings.Contains(o, "DAMAGED noise.bin") {
		t.Errorf("verify of a damaged payload: exit %d, want 3\n%s", code, o)
	}
}
