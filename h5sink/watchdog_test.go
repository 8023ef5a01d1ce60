package h5sink

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hdf5vault/hdf5vault/archive"
)

// withProbeSilence runs the rest of the test with the probe child on and
// the watchdog's silence limit at silence.
func withProbeSilence(t *testing.T, silence time.Duration) *prober {
	t.Helper()
	stop := UseProbe(context.Background(), os.Args[0], silence)
	t.Cleanup(stop)
	return probe.Load()
}

// childPid is the pid of the probe child serving p, 0 if none runs.
func childPid(p *prober) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.child == nil {
		return 0
	}
	return p.child.cmd.Process.Pid
}

// TestProbeWatchdog: a child that stops answering (stopped with SIGSTOP,
// as libhdf5 looping on damaged metadata would never answer) is killed
// after the silence limit, the request fails as damage naming the file,
// and the next request gets a new child that answers.
func TestProbeWatchdog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.h5")
	ss := samples()
	writeSamples(t, path, Options{}, ss, sampleRoot(1, 0))
	p := withProbeSilence(t, 2*time.Second)
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	pid := childPid(p)
	if pid == 0 {
		t.Fatal("no probe child after Open")
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	_, err = r.Stat(ss[0].Name)
	if err == nil {
		st, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		t.Logf("the child answered; its status:\n%s", st)
	}
	if !errors.Is(err, archive.ErrDamaged) || !strings.Contains(err.Error(), "libhdf5 did not answer in 2 s") ||
		!strings.Contains(err.Error(), path) {
		t.Fatalf("Stat with the child stopped: %v; want damage naming %s, libhdf5 silent for 2 s", err, path)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("the silent child %d is still there (kill 0: %v)", pid, err)
	}
	// Every dataset of r was left undescribed: the scan died. A new Reader
	// starts a new child.
	r2, err := Open(path)
	if err != nil {
		t.Fatalf("Open after the hung child: %v", err)
	}
	defer r2.Close()
	for _, s := range ss {
		b, err := r2.ReadPayload(s.Name, nil)
		if err != nil || string(b) != string(s.Payload) {
			t.Fatalf("%s after the hung child: %v", s.Name, err)
		}
	}
	if n := childPid(p); n == pid || n == 0 {
		t.Errorf("child %d after the hung one %d, want a new one", n, pid)
	}
}

// TestProbeSlowIndex: a large JSON index reads whole under a watchdog of
// 2 s. (Through libhdf5 it was one call that answered nothing for seconds,
// 6.5 s for 64 MB under load; the child now only reports where it lies.)
func TestProbeSlowIndex(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads a 64 MB index")
	}
	path := filepath.Join(t.TempDir(), "big.h5")
	root := sampleRoot(1, 0)
	root.Info = "{" + strings.Repeat(" ", 64<<20) + "}"
	writeSamples(t, path, Options{}, samples()[:1], root)
	withProbeSilence(t, 2*time.Second)
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	start := time.Now()
	info, err := r.Info()
	if err != nil || info != root.Info {
		t.Fatalf("Info: %d bytes, %v", len(info), err)
	}
	t.Logf("reading the index took %v", time.Since(start))
}

// TestScanLoopIsDamage: a scan that reports a path twice goes round a loop
// in damaged metadata (its pulses would keep the watchdog quiet): the scan
// stops there, as damage.
func TestScanLoopIsDamage(t *testing.T) {
	rec := func(name string) []byte {
		b := append([]byte{recLink}, byte(len(name)), 0, 0, 0)
		return append(b, name...)
	}
	var stream []byte
	for _, n := range []string{"a", "b", "a", "b"} {
		stream = append(stream, rec(n)...)
	}
	s := &scan{entries: map[string]scanEntry{}}
	err := readScan(bytes.NewReader(stream), s)
	if !errors.Is(err, archive.ErrDamaged) || !strings.Contains(err.Error(), `"a" twice`) {
		t.Fatalf("a scan reaching \"a\" twice: %v", err)
	}
}
