package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyIOError: every read of the archive fails with EIO (injected by
// strace). verify must fail with status 1, an I/O failure, not 3 (damage
// found), and name the member and the cause.
func TestVerifyIOError(t *testing.T) {
	t.Skip("known defect: an EIO while libhdf5 reads a member's metadata comes back as \"H5Fopen: file read failed\" without an errno, so verify calls it damage (exit 3); payload EIO is exit 1 (TestReadFailureIsNotDamage)")
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
	cmd := exec.Command(strace, "-f", "-qq", "-o", "/dev/null", "-P", a, "-e", "trace=pread64,read",
		"-e", "inject=pread64,read:error=EIO", readBin, "verify", a)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	code := exitOf(cmd.Run())
	if code != 1 {
		t.Fatalf("exit %d, want 1 (an I/O failure)\n%s%s", code, out.String(), errb.String())
	}
	msg := errb.String()
	if !strings.Contains(msg, "eio.h5") || !strings.Contains(strings.ToLower(msg), "input/output error") {
		t.Errorf("the message does not name eio.h5 and the I/O error:\n%s", msg)
	}
	if strings.Contains(out.String(), "verified") {
		t.Errorf("verify reported success on stdout:\n%s", out.String())
	}
}
