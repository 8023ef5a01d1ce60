package bench

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"syscall"
	"time"
)

// A child's getrusage max RSS is not its own alone: Go starts children with
// vfork semantics (CLONE_VM), and at exec Linux folds the high-water mark of
// the memory it leaves, which is the parent's, into the child's max RSS. So
// the rusage figure is exact only when it exceeds our own peak; below that,
// bench uses the VmHWM it sampled from /proc/<pid>/status while the child ran.

// rssWatch samples a running child's VmHWM (its own peak since exec).
type rssWatch struct {
	stop chan struct{}
	done chan int64
}

const rssEvery = 10 * time.Millisecond

func watchRSS(pid int) *rssWatch {
	w := &rssWatch{stop: make(chan struct{}), done: make(chan int64, 1)}
	path := "/proc/" + strconv.Itoa(pid) + "/status"
	go func() {
		var peak int64
		t := time.NewTicker(rssEvery)
		defer t.Stop()
		for {
			peak = max(peak, vmHWM(path))
			select {
			case <-w.stop:
				w.done <- peak
				return
			case <-t.C:
			}
		}
	}()
	return w
}

// finish stops sampling and returns the largest VmHWM seen, in bytes.
func (w *rssWatch) finish() int64 {
	close(w.stop)
	return <-w.done
}

// vmHWM reads the VmHWM line of a /proc status file, in bytes; 0 if absent.
func vmHWM(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) >= 2 && string(f[0]) == "VmHWM:" {
			kb, err := strconv.ParseInt(string(f[1]), 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}

// peakRSS is a finished child's peak resident set in bytes: rusage's when
// that is above our own peak (so it cannot be ours), else the sampled one
// (a lower bound: a peak in the last sampling interval can be missed), else
// rusage's upper bound when the child was too short-lived to sample.
func peakRSS(ps *os.ProcessState, sampled int64) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return sampled
	}
	own := ru.Maxrss * 1024 // Linux reports KiB
	if own > vmHWM("/proc/self/status") || sampled == 0 {
		return own
	}
	return sampled
}
