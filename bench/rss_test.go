//go:build linux

package bench

import (
	"context"
	"os"
	"runtime"
	"testing"
)

// A child's peak RSS must be its own, not the parent's: Linux folds the
// parent's high-water mark into a vforked child's rusage.
func TestPeakRSSIsTheChildsOwn(t *testing.T) {
	big := make([]byte, 128<<20) // our own peak: at least 128 MiB, twice the bound below
	for i := 0; i < len(big); i += 4096 {
		big[i] = 1
	}
	small := (&Runner{Exe: "/bin/sleep"}).child(context.Background(), Setting{}, "sleep", []string{"0.3"})
	if small.Err != "" || small.PeakRSS <= 0 || small.PeakRSS > 64<<20 {
		t.Errorf("sleep's peak RSS %d bytes (err %q), want a few MB", small.PeakRSS, small.Err)
	}
	runtime.KeepAlive(big)

	const py = "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skipf("no %s for the large child", py)
	}
	// 200 MiB, touched, above our own peak: rusage's exact figure.
	large := (&Runner{Exe: py}).child(context.Background(), Setting{}, "python", []string{"-c", "b = b'x' * (200 << 20)"})
	if large.Err != "" || large.PeakRSS < 200<<20 || large.PeakRSS > 300<<20 {
		t.Errorf("python's peak RSS %d MiB (err %q), want 200-300", large.PeakRSS>>20, large.Err)
	}
}

func TestVmHWM(t *testing.T) {
	if v := vmHWM("/proc/self/status"); v < 1<<20 {
		t.Errorf("our own VmHWM %d bytes", v)
	}
	if v := vmHWM("/proc/no-such-process/status"); v != 0 {
		t.Errorf("VmHWM of a missing process: %d", v)
	}
}
