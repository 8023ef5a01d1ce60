package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// straceHang starts the binary under strace with the probe child stopped
// (SIGSTOP) at its first read of path: libhdf5 never answers, as when it
// loops on damaged metadata. strace counts calls per thread, and only the
// child reads the member before the child has answered, so it is the child
// that stops; each new child stops too. The command runs in its own process
// group; log is strace's output.
func straceHang(t *testing.T, strace, path, log string, silence string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(strace, append([]string{"-f", "-qq", "-o", log, "-P", path,
		"-e", "trace=pread64", "-e", "signal=SIGSTOP,SIGINT,SIGKILL",
		"-e", "inject=pread64:signal=SIGSTOP:when=1", readBin}, args...)...)
	cmd.Env = append(os.Environ(), "HDF5VAULT_PROBE_TIMEOUT="+silence)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &errb, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &errb
}

// waitBounded waits for cmd, killing its whole group after limit: a command
// that hangs fails the test instead of stalling the suite.
func waitBounded(cmd *exec.Cmd, limit time.Duration) (code int, hung bool) {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return exitOf(err), false
	case <-time.After(limit):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		return exitOf(<-done), true
	}
}

// stoppedPids are the processes strace stopped with SIGSTOP: probe children.
func stoppedPids(t *testing.T, log string) []int {
	t.Helper()
	b, _ := os.ReadFile(log)
	var pids []int
	for _, m := range regexp.MustCompile(`(?m)^(\d+)\s+--- SIGSTOP \{`).FindAllStringSubmatch(string(b), -1) {
		pid, _ := strconv.Atoi(m[1])
		pids = append(pids, pid)
	}
	return pids
}

// gone fails the test for each pid that still exists.
func gone(t *testing.T, what string, pids []int) {
	t.Helper()
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
			t.Errorf("%s: process %d is still there after the command ended (kill 0: %v)", what, pid, err)
		}
	}
}

// TestProbeHangIsDamage: a member on which libhdf5 never answers (its
// probe child stopped) ends every read command once the watchdog's silence
// limit (HDF5VAULT_PROBE_TIMEOUT, 2 s here) has passed: exit 3, the member
// named, no probe child left, and unpack writes nothing. Before the
// watchdog each of them waited forever.
func TestProbeHangIsDamage(t *testing.T) {
	t.Parallel() // mostly waits on the processes it starts
	strace := needStrace(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(filepath.Join(src, "x"), 0o755)
	os.WriteFile(filepath.Join(src, "x", "one.bin"), bytes.Repeat([]byte("field "), 5000), 0o644)
	os.WriteFile(filepath.Join(src, "two.bin"), []byte("two"), 0o644)
	mustRun(t, "create", "-q", "-w", "1", src, filepath.Join(dir, "hang"))
	a := filepath.Join(dir, "hang.h5")
	dest := filepath.Join(dir, "dest")
	os.Mkdir(dest, 0o755)
	cmds := map[string][]string{
		"verify": {"verify", a},
		"ls":     {"ls", a},
		"unpack": {"unpack", "-d", dest, a},
		"cat":    {"cat", "--path", "two.bin", a},
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for name, args := range cmds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			log := filepath.Join(dir, name+".strace")
			cmd, out := straceHang(t, strace, a, log, "2", args...)
			// 2 s of silence, then a kill and a wait: far less than a
			// minute, however loaded the machine.
			code, hung := waitBounded(cmd, 50*time.Second)
			mu.Lock()
			defer mu.Unlock()
			msg := out.String()
			switch {
			case hung:
				t.Errorf("%s: still running after 50 s with a probe child that never answers\n%s", name, msg)
			case code != 3 || !strings.Contains(msg, "member "+a+": ") ||
				!strings.Contains(msg, "libhdf5 did not answer in 2 s reading its metadata (damaged HDF5 metadata?)"):
				t.Errorf("%s: exit %d, want 3 with the member named and libhdf5 silent for 2 s\n%s", name, code, msg)
			}
			children := stoppedPids(t, log)
			if len(children) == 0 {
				t.Errorf("%s: strace stopped no probe child", name)
			}
			gone(t, name, children)
		}()
	}
	wg.Wait()
	if left, _ := os.ReadDir(dest); len(left) != 0 {
		t.Errorf("unpack left %d entries in DEST, first %s", len(left), left[0].Name())
	}
}

// TestProbeHangInterrupt: Ctrl-C while the probe child hangs (the
// watchdog's limit far away) ends both processes with 130.
func TestProbeHangInterrupt(t *testing.T) {
	t.Parallel() // mostly waits on the processes it starts
	strace := needStrace(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "one.bin"), []byte("one"), 0o644)
	mustRun(t, "create", "-q", "-w", "1", src, filepath.Join(dir, "int"))
	a := filepath.Join(dir, "int.h5")
	log := filepath.Join(dir, "strace.log")
	cmd, out := straceHang(t, strace, a, log, "600", "verify", a)
	if !waitFor(log, "stopped by SIGSTOP", time.Minute) {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		t.Fatalf("the probe child never stopped\n%s", out.String())
	}
	// hdf5vault is strace's child.
	kids, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/task/" + strconv.Itoa(cmd.Process.Pid) + "/children")
	pid, _ := strconv.Atoi(strings.Fields(string(kids) + " 0")[0])
	if err != nil || pid == 0 {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		t.Skipf("cannot find hdf5vault's pid under strace: %v %q", err, kids)
	}
	syscall.Kill(pid, syscall.SIGINT)
	code, hung := waitBounded(cmd, 50*time.Second)
	if hung || code != 130 {
		t.Fatalf("after SIGINT: exit %d (hung %v), want 130\n%s", code, hung, out.String())
	}
	children := stoppedPids(t, log)
	if len(children) == 0 {
		t.Error("strace stopped no probe child")
	}
	gone(t, "verify", append(children, pid))
}

// TestProbeTimeoutBadValue: a $HDF5VAULT_PROBE_TIMEOUT that is not a
// positive number of seconds is ignored with a warning naming it, and the
// command runs with the default limit.
func TestProbeTimeoutBadValue(t *testing.T) {
	t.Parallel()
	src := filepath.Join(t.TempDir(), "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "a.txt"), []byte("field"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(t.TempDir(), "p")
	mustRun(t, "create", "-q", "-w", "1", src, base)
	for _, v := range []string{"abc", "0", "-5"} {
		cmd := exec.Command(readBin, "ls", base)
		cmd.Env = append(os.Environ(), "HDF5VAULT_PROBE_TIMEOUT="+v)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("ls with HDF5VAULT_PROBE_TIMEOUT=%s: %v\n%s", v, err, errb.String())
		}
		if want := `ignoring HDF5VAULT_PROBE_TIMEOUT="` + v + `"`; !strings.Contains(errb.String(), want) {
			t.Errorf("HDF5VAULT_PROBE_TIMEOUT=%s: stderr lacks %q:\n%s", v, want, errb.String())
		}
		if strings.TrimSpace(out.String()) != "a.txt" {
			t.Errorf("HDF5VAULT_PROBE_TIMEOUT=%s: ls printed %q", v, out.String())
		}
	}
	// -q silences the warning on every command, create's included.
	for _, args := range [][]string{
		{"create", "-q", "-w", "1", src, filepath.Join(t.TempDir(), "q")},
		{"create", "-qw1", src, filepath.Join(t.TempDir(), "q")},
		{"ls", base, "-q"},
		{"verify", "-q", base},
	} {
		cmd := exec.Command(readBin, args...)
		cmd.Env = append(os.Environ(), "HDF5VAULT_PROBE_TIMEOUT=abc")
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, errb.String())
		}
		if errb.Len() != 0 {
			t.Errorf("%s with a bad HDF5VAULT_PROBE_TIMEOUT printed on stderr:\n%s", strings.Join(args, " "), errb.String())
		}
	}
}
