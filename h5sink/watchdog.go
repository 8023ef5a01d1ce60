package h5sink

// #include "shim.h"
import "C"

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/hdf5vault/hdf5vault/archive"
)

// Some damaged metadata makes libhdf5 loop instead of crash. The parent
// watches every request: when the child shows no progress for the silence
// limit, it is killed (SIGKILL, then waited for) and the request fails as
// damage, as after a crash; the next request starts a new child. Long
// legitimate work must not look like a hang, so the limit measures silence,
// not a request's total time: the answer's bytes count as progress, and so
// do the child's pulses, one byte on a pipe of their own, sent at most once
// per tick and only when the child moved on since the last:
//
//   - a scan: links visited (hv_scanned), so 10^6 datasets at ~100 µs each
//     keep the child alive, while a single object libhdf5 never finishes
//     does not;
//   - the JSON index and non-contiguous payloads: one libhdf5 call whose
//     work grows with the data (a 200 MB index is ~10 s of copying, more
//     under load, before the first byte of the answer): memory pages the
//     child touches for the first time and blocks it reads. A loop over
//     metadata already in memory touches neither.
//
// Opening a file and describing one dataset are small and get no pulses.
// Silence is counted only while this process waits on the pipe, and from
// the moment the child is ready (its first pulse, awaited by start for at
// least DefaultProbeSilence): a loaded machine slow to start a process, or
// this process slow to digest a 200 MB answer, is not libhdf5 looping. (A 200 MB index read with a limit of 1 s: 46 s under
// load, no false alarm; ls of an h5py-made file, see the README.)

// DefaultProbeSilence is how long a probe child may show no progress.
const DefaultProbeSilence = 60 * time.Second

// probePulseArg starts the child answering requests with pulses on fd 3
// every tick: __h5probe --pulse=TICK.
const probePulseArg = "--pulse="

// pulseTick is how often the child may pulse: a few times per silence limit.
func pulseTick(silence time.Duration) time.Duration {
	return min(time.Second, max(silence/4, 10*time.Millisecond))
}

// errSilent is what a read of the child's answer returns when the child has
// shown no progress for the silence limit.
var errSilent = errors.New("the probe child stopped answering")

// hungError is a request whose child was killed for its silence: damage,
// since libhdf5 on intact metadata always answers.
type hungError struct{ silence time.Duration }

func (e hungError) Error() string {
	return fmt.Sprintf("libhdf5 did not answer in %s s reading its metadata (damaged HDF5 metadata?)",
		strconv.FormatFloat(e.silence.Seconds(), 'f', -1, 64))
}

func (hungError) Is(target error) bool { return target == archive.ErrDamaged }

// progressClock is when a child last showed progress, in nanoseconds on
// the monotonic clock (since clockBase).
type progressClock struct{ last atomic.Int64 }

var clockBase = time.Now()

func (c *progressClock) touch() { c.last.Store(int64(time.Since(clockBase))) }

// deadline is when silence since the last progress reaches limit.
func (c *progressClock) deadline(limit time.Duration) time.Time {
	return clockBase.Add(time.Duration(c.last.Load()) + limit)
}

// silenceReader reads the child's answer, failing with errSilent when
// neither the answer nor a pulse has arrived for limit while it waited.
type silenceReader struct {
	f     *os.File
	clock *progressClock
	limit time.Duration
}

func (r *silenceReader) Read(b []byte) (int, error) {
	// Time this process spent away from the pipe (digesting the last bytes)
	// is not the child's silence: the child may have waited on a full pipe.
	away := time.Now().Add(r.limit)
	for {
		dl := r.clock.deadline(r.limit)
		if dl.Before(away) {
			dl = away
		}
		if !time.Now().Before(dl) {
			return 0, errSilent
		}
		r.f.SetReadDeadline(dl)
		n, err := r.f.Read(b)
		if n > 0 {
			r.clock.touch()
			return n, nil
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return n, err
		}
		// A pulse may have moved the deadline: look again.
	}
}

// awaitReady waits for the child's first pulse, sent before it reads a
// request: a child stopped later is silent, never merely starting.
func awaitReady(f *os.File, limit time.Duration) error {
	f.SetReadDeadline(time.Now().Add(max(limit, DefaultProbeSilence)))
	defer f.SetReadDeadline(time.Time{})
	var b [1]byte
	if _, err := io.ReadFull(f, b[:]); err != nil {
		return fmt.Errorf("the probe child did not start: %w", err)
	}
	return nil
}

// drainPulses counts every pulse as progress until the child is gone.
func drainPulses(f *os.File, clock *progressClock, done chan<- struct{}) {
	defer close(done)
	defer f.Close()
	var b [64]byte
	for {
		n, err := f.Read(b[:])
		if n > 0 {
			clock.touch()
		}
		if err != nil {
			return
		}
	}
}

// startPulses starts the child's pulses on fd 3 (pulse.c: a thread outside
// the Go runtime, so that a long copy in Go does not silence them).
func startPulses(tick time.Duration) error {
	if C.hv_pulse_start(3, C.int64_t(tick)) != 0 {
		return errors.New("cannot start the pulse thread")
	}
	return nil
}

// dataWork marks a request that is one libhdf5 call over data (the index, a
// payload): while it runs, pages touched and blocks read count as progress.
func dataWork(on bool) {
	v := C.int(0)
	if on {
		v = 1
	}
	C.hv_pulse_data(v)
}
