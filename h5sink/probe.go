package h5sink

// #include "shim.h"
import "C"

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hdf5vault/hdf5vault/archive"
)

// libhdf5 trusts the metadata it reads: some damaged object headers, heaps
// and B-tree nodes make it dereference garbage, and the process dies of
// SIGSEGV or SIGBUS. A signal inside C code cannot be recovered from, so the
// risky calls run first in a child process (this same binary, ProbeArg),
// and the parent repeats only what the child survived: libhdf5 is
// deterministic on the same bytes and the same sequence of calls. One child
// serves the whole run (a process start costs more than most requests);
// each request opens the file afresh, so a child that crashed on one file
// is simply replaced.
//
//   - Open: the child opens the file and reads the root attributes, exactly
//     as Open does; if it dies of a signal the file is damaged, and the
//     parent never makes those calls.
//   - Stat: the first few calls on a file (statsBeforeScan) each have the
//     child describe that one dataset, after checking that every link on
//     its path is a hard one; after that, one request has the child visit
//     every link of the file and describe every dataset (what Stat
//     reports) on a pipe, and the parent answers every further Stat from
//     that scan. Either way the parent makes no per-dataset libhdf5 call.
//     If the scanning child crashes, the datasets it described before
//     dying stay usable and the rest are reported as damaged.
//   - ReadPayload of a payload that is not stored contiguously (chunked or
//     compact; neither this tool nor the original writes them): the child
//     reads it and sends the bytes.
//
// Without UseProbe (unit tests and benchmarks of this package) every call
// runs in the calling process, as before.

// ProbeArg is the hidden subcommand that runs the probe child: the binary's
// main must hand os.Args[2:] to ProbeMain when os.Args[1] is ProbeArg.
const ProbeArg = "__h5probe"

// Requests to the child (its first word).
const (
	probeOpen  = "open"  // PATH: Open's calls; answered by an end record
	probeScan  = "scan"  // PATH: describe every dataset (scan.go)
	probeRead  = "read"  // PATH DATASET SIZE: a payload's bytes
	probeInfo  = "info"  // PATH: the JSON index attribute, asked for only when needed
	probePlace = "place" // PATH: where the JSON index attribute lies (its reference)
	probeStat  = "stat"  // PATH DATASET: one dataset, without a scan of all
)

// prober runs one child at a time, started at the first request and again
// after one crashed; requests take turns (libhdf5 serialises them anyway).
type prober struct {
	ctx     context.Context
	exe     string
	silence time.Duration // watchdog.go

	mu    sync.Mutex
	child *probeChild
}

type probeChild struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	stdout *os.File      // the answers' pipe
	out    *bufio.Reader // stdout, failing with errSilent (watchdog.go)
	stderr *headBuffer
	clock  progressClock
	pulses chan struct{} // closed when drainPulses is done
}

var probe atomic.Pointer[prober]

// UseProbe makes every Reader opened from now on run libhdf5's reading of
// file metadata in a child process first: exe is this binary (its main calls
// ProbeMain); the child is killed when ctx ends, or when it shows no
// progress for silence (DefaultProbeSilence when 0; watchdog.go). The
// returned func ends the child and waits for it.
func UseProbe(ctx context.Context, exe string, silence time.Duration) (stop func()) {
	p := &prober{ctx: ctx, exe: exe, silence: silence}
	probe.Store(p)
	return func() {
		probe.CompareAndSwap(p, nil)
		p.mu.Lock()
		defer p.mu.Unlock()
		p.end(false)
	}
}

// errCrashed is what a probe child's death by a signal means.
var errCrashed = archive.Damaged(errors.New("damaged HDF5 metadata (libhdf5 crashed reading it)"))

// do sends one request and hands the child's output to answer, which reads
// exactly the answer and reports whether it was complete. A child that dies
// before completing it is waited for: killed by a crash signal, errCrashed;
// silent for p.silence, killed and a hungError.
func (p *prober) do(args []string, answer func(*bufio.Reader) (bool, error)) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.ctx.Err(); err != nil {
		return err
	}
	if p.child == nil {
		if err := p.start(); err != nil {
			return err
		}
	}
	var done bool
	p.child.clock.touch()
	err := writeRequest(p.child.in, args)
	if err == nil {
		done, err = answer(p.child.out)
	}
	if err == nil && done {
		return nil
	}
	// The child died, hung, or its output made no sense: end it and say why.
	if werr := p.end(err != nil); werr != nil {
		return werr
	}
	if errors.Is(err, errSilent) {
		return hungError{p.silence}
	}
	if err == nil {
		err = errors.New("the probe child ended early")
	}
	return fmt.Errorf("probe: %w", err)
}

func (p *prober) start() error {
	if p.silence <= 0 {
		p.silence = DefaultProbeSilence
	}
	cmd := exec.CommandContext(p.ctx, p.exe, ProbeArg, probePulseArg+pulseTick(p.silence).String())
	cmd.SysProcAttr = probeAttrs()
	c := &probeChild{cmd: cmd, stderr: &headBuffer{}, pulses: make(chan struct{})}
	cmd.Stderr = c.stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	// Our own pipes, not StdoutPipe: the watchdog needs read deadlines.
	var pipes [4]*os.File // answers r, w; pulses r, w
	closeAll := func() {
		in.Close()
		for _, f := range pipes {
			if f != nil {
				f.Close()
			}
		}
	}
	if pipes[0], pipes[1], err = os.Pipe(); err == nil {
		pipes[2], pipes[3], err = os.Pipe()
	}
	if err != nil {
		closeAll()
		return fmt.Errorf("probe: %w", err)
	}
	cmd.Stdout, cmd.ExtraFiles = pipes[1], []*os.File{pipes[3]} // the child's fd 3: pulses
	if err := cmd.Start(); err != nil {
		closeAll()
		return fmt.Errorf("probe: %w", err)
	}
	pipes[1].Close() // the child holds the write ends: EOF when it is gone
	pipes[3].Close()
	if err := awaitReady(pipes[2], p.silence); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		closeAll()
		if cerr := p.ctx.Err(); cerr != nil {
			return cerr
		}
		return fmt.Errorf("probe: %w: %s", err, c.stderr.String())
	}
	c.in, c.stdout = in, pipes[0]
	c.out = bufio.NewReaderSize(&silenceReader{f: c.stdout, clock: &c.clock, limit: p.silence}, 1<<16)
	c.clock.touch()
	go drainPulses(pipes[2], &c.clock, c.pulses)
	p.child = c
	return nil
}

// end closes the child's input (killing it first when kill is set), waits
// for it and returns why it died: ctx's error, errCrashed, or its failure.
func (p *prober) end(kill bool) error {
	c := p.child
	if c == nil {
		return nil
	}
	p.child = nil
	if kill {
		c.cmd.Process.Kill()
	}
	c.in.Close()
	if _, err := io.Copy(io.Discard, c.out); errors.Is(err, errSilent) && !kill {
		c.cmd.Process.Kill() // an idle child that does not end at EOF
		kill = true
	}
	werr := c.cmd.Wait()
	c.stdout.Close()
	<-c.pulses
	if err := p.ctx.Err(); err != nil {
		return err
	}
	var ee *exec.ExitError
	switch {
	case werr == nil || kill:
		return nil
	case errors.As(werr, &ee) && crashed(ee, c.stderr.String()):
		return errCrashed
	}
	return fmt.Errorf("probe child: %v: %s", werr, c.stderr.String())
}

// childDied reports whether a request failed because its child crashed
// or hung on the file: damage, to be told with the file's name.
func childDied(err error) bool {
	var hung hungError
	return errors.Is(err, errCrashed) || errors.As(err, &hung)
}

// crashed tells a child that died inside libhdf5 from one that was killed,
// failed or panicked in Go code (a bug here, not damage): the Go runtime
// reports a signal in C code as "signal arrived during cgo execution" and
// exits 2; a signal it does not catch kills the child.
func crashed(ee *exec.ExitError, stderr string) bool {
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		switch ws.Signal() {
		case syscall.SIGSEGV, syscall.SIGBUS, syscall.SIGABRT, syscall.SIGILL, syscall.SIGFPE:
			return true
		}
		return false
	}
	return ee.ExitCode() == 2 && strings.Contains(stderr, "signal arrived during cgo execution")
}

// open has the child open path and read its root attributes.
func (p *prober) open(path string) (archive.RootAttrs, error) {
	var root archive.RootAttrs
	var refused error
	err := p.do([]string{probeOpen, path}, func(r *bufio.Reader) (bool, error) {
		var complete bool
		var err error
		root, refused, complete, err = readRootAnswer(r)
		return complete, err
	})
	if childDied(err) {
		return root, fmt.Errorf("h5sink: open %s: %w", path, err)
	}
	if err == nil {
		err = refused
	}
	return root, err
}

// stat has the child describe one dataset of path.
func (p *prober) stat(path, dataset string) (dsetInfo, error) {
	var d dsetInfo
	var refused error
	err := p.do([]string{probeStat, path, dataset}, func(r *bufio.Reader) (bool, error) {
		if done, err := readRefusal(r, &refused); done || err != nil {
			return done, err
		}
		var v [7 * 8]byte
		if _, err := io.ReadFull(r, v[:]); err != nil {
			return false, truncated(err)
		}
		at := func(i int) int64 { return int64(binary.LittleEndian.Uint64(v[8*i:])) }
		d = dsetInfo{size: at(0), offset: at(1), layout: int(at(2)), nfilters: int(at(3)),
			nexternal: int(at(4)), rank: int(at(5)), typeOK: at(6) == 1}
		return true, nil
	})
	if childDied(err) {
		return d, fmt.Errorf("h5sink: %s: %w", path, err)
	}
	if err == nil {
		err = refused
	}
	return d, err
}

// readRefusal reads an answer's status byte and, when the child refused
// the request, its reason into refused: the answer is then done. A false
// done and nil error mean the answer goes on.
func readRefusal(r *bufio.Reader, refused *error) (done bool, err error) {
	status, err := r.ReadByte()
	if err != nil {
		return false, truncated(err)
	}
	if status == 0 {
		return false, nil
	}
	b, err := readBlob(r, maxRecErr)
	if err != nil || b == nil {
		return false, err
	}
	*refused = childError(string(b))
	return true, nil
}

// info has the child read path's JSON index attribute.
func (p *prober) info(path string) (string, error) {
	var info string
	var refused error
	err := p.do([]string{probeInfo, path}, func(r *bufio.Reader) (bool, error) {
		if done, err := readRefusal(r, &refused); done || err != nil {
			return done, err
		}
		b, err := readBlob(r, maxRootString)
		if err != nil || b == nil {
			return false, err
		}
		info = string(b)
		return true, nil
	})
	if childDied(err) {
		return "", fmt.Errorf("h5sink: %s: %w", path, err)
	}
	if err == nil {
		err = refused
	}
	return info, err
}

// infoPlace has the child say where path's JSON index attribute lies.
func (p *prober) infoPlace(path string) (strPlace, error) {
	var place strPlace
	var refused error
	err := p.do([]string{probePlace, path}, func(r *bufio.Reader) (bool, error) {
		if done, err := readRefusal(r, &refused); done || err != nil {
			return done, err
		}
		var v [placeLen]byte
		if _, err := io.ReadFull(r, v[:]); err != nil {
			return false, truncated(err)
		}
		place = parsePlace(v[:])
		return true, nil
	})
	if childDied(err) {
		return place, fmt.Errorf("h5sink: %s: %w", path, err)
	}
	if err == nil {
		err = refused
	}
	return place, err
}

// The answer to place: absent (1 byte), kind (1 byte), the 16-byte
// reference, the fixed size (i64).
const placeLen = 1 + 1 + 16 + 8

func appendPlace(b []byte, p strPlace) []byte {
	absent := byte(0)
	if p.absent {
		absent = 1
	}
	b = append(b, absent, byte(p.kind))
	le := binary.LittleEndian
	b = le.AppendUint32(b, p.ref.Len)
	b = le.AppendUint64(b, p.ref.Addr)
	b = le.AppendUint32(b, p.ref.Idx)
	return le.AppendUint64(b, uint64(p.fixed))
}

func parsePlace(v []byte) strPlace {
	return strPlace{absent: v[0] == 1, kind: int(v[1]), ref: parseVlenRef(v[2:18]),
		fixed: int64(binary.LittleEndian.Uint64(v[18:]))}
}

// read has the child read a non-contiguous payload of size bytes into dst.
func (p *prober) read(path, dataset string, size int64, dst []byte) ([]byte, error) {
	n := len(dst)
	dst = append(dst, make([]byte, size)...)
	var refused error
	err := p.do([]string{probeRead, path, dataset, strconv.FormatInt(size, 10)}, func(r *bufio.Reader) (bool, error) {
		status, err := r.ReadByte()
		if err != nil {
			return false, truncated(err)
		}
		if status != 0 {
			msg, err := readBlob(r, maxRecErr)
			refused = errors.New(string(msg))
			return err == nil && msg != nil, err
		}
		_, err = io.ReadFull(r, dst[n:])
		return err == nil, truncated(err)
	})
	if err == nil {
		err = refused
	}
	if err != nil {
		return dst[:n], err
	}
	return dst, nil
}

// ProbeMain runs the probe child and returns its exit status. Without
// arguments it answers requests on stdin until EOF; with arguments it
// answers that one request (for debugging: __h5probe scan FILE | xxd).
// It answers whatever libhdf5 says: the parent repeats the calls and sees
// the same errors.
func ProbeMain(args []string) int {
	if len(args) == 1 && strings.HasPrefix(args[0], probePulseArg) {
		tick, err := time.ParseDuration(strings.TrimPrefix(args[0], probePulseArg))
		if err != nil || tick <= 0 {
			fmt.Fprintf(os.Stderr, "%s: bad pulse tick %q\n", ProbeArg, args[0])
			return 2
		}
		if err := startPulses(tick); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", ProbeArg, err)
			return 1
		}
		args = nil
	}
	if len(args) > 0 {
		return answer(args)
	}
	in := bufio.NewReader(os.Stdin)
	for {
		req, err := readRequest(in)
		if err == io.EOF {
			return 0
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "probe:", err)
			return 1
		}
		if rc := answer(req); rc != 0 {
			return rc
		}
	}
}

// answer serves one request on stdout.
func answer(req []string) int {
	if len(req) < 2 {
		fmt.Fprintf(os.Stderr, "usage: %s open|scan|read PATH [DATASET SIZE]\n", ProbeArg)
		return 2
	}
	mode, path := req[0], req[1]
	if mode == probeInfo || mode == probeRead {
		dataWork(true) // watchdog.go: one libhdf5 call whose work grows with the data
		defer dataWork(false)
	}
	r, err := openDirect(path)
	if err == nil {
		defer r.Close()
	}
	switch mode {
	case probeOpen:
		var root archive.RootAttrs
		if err == nil { // r is nil when libhdf5 refused the file
			root = r.root // without the JSON index: Open leaves it to Info (probeInfo)
		}
		var b []byte
		if err != nil {
			b = appendBlob([]byte{1}, err.Error())
		} else {
			b = appendRoot([]byte{0}, root)
		}
		if _, err := os.Stdout.Write(b); err != nil {
			return 1
		}
		return 0
	case probeInfo:
		var info string
		if err == nil {
			info, err = r.Info()
		}
		var b []byte
		if err != nil {
			b = refusal(err)
		} else {
			b = appendBlob([]byte{0}, info)
		}
		if _, err := os.Stdout.Write(b); err != nil {
			return 1
		}
		return 0
	case probePlace:
		var place strPlace
		if err == nil {
			place, err = readAttrPlace(r.file, archive.AttrInfo)
		}
		var b []byte
		if err != nil {
			b = refusal(err)
		} else {
			b = appendPlace([]byte{0}, place)
		}
		if _, err := os.Stdout.Write(b); err != nil {
			return 1
		}
		return 0
	case probeStat:
		if err == nil && len(req) != 3 {
			err = errors.New("want DATASET")
		}
		var d dsetInfo
		if err == nil {
			d, _, err = r.statDirect(req[2], false)
		}
		var b []byte
		if err != nil {
			b = refusal(err)
		} else {
			b = []byte{0}
			ok := int64(0)
			if d.typeOK {
				ok = 1
			}
			for _, v := range []int64{d.size, d.offset, int64(d.layout), int64(d.nfilters), int64(d.nexternal), int64(d.rank), ok} {
				b = binary.LittleEndian.AppendUint64(b, uint64(v))
			}
		}
		if _, err := os.Stdout.Write(b); err != nil {
			return 1
		}
		return 0
	case probeScan:
		if err != nil {
			writeEnd(os.Stdout, err)
			return 0
		}
		var e errBuf
		if C.hv_scan(r.file, C.int(os.Stdout.Fd()), e.ptr()) < 0 {
			fmt.Fprintln(os.Stderr, e.err())
			return 1
		}
		return 0
	case probeRead:
		if err == nil && len(req) != 4 {
			err = errors.New("want DATASET SIZE")
		}
		var b []byte
		if err == nil {
			b, err = r.ReadPayload(req[2], nil)
		}
		if err == nil && strconv.Itoa(len(b)) != req[3] {
			err = fmt.Errorf("dataset %q holds %d bytes, not %s", req[2], len(b), req[3])
		}
		if err != nil {
			b = refusal(err)
		} else {
			b = append([]byte{0}, b...)
		}
		if _, err := os.Stdout.Write(b); err != nil {
			return 1
		}
		return 0
	}
	fmt.Fprintf(os.Stderr, "%s: unknown request %q\n", ProbeArg, mode)
	return 2
}

// refusal is the answer that refuses a request: status 1 and why.
func refusal(err error) []byte {
	msg := err.Error()
	return appendBlob([]byte{1}, msg[:min(len(msg), maxRecErr)])
}

// The answer to open: status 0 and the root attributes (three strings,
// then chunk size, number of files and file number as i64), or status 1
// and why libhdf5 refused the file (damage: the file exists and opened).
func appendRoot(b []byte, r archive.RootAttrs) []byte {
	for _, s := range []string{r.Description, r.Version, r.Info} {
		b = appendBlob(b, s)
	}
	for _, v := range []int64{r.ChunkSize, int64(r.NumFiles), int64(r.FileNumber)} {
		b = binary.LittleEndian.AppendUint64(b, uint64(v))
	}
	return b
}

// maxRootString bounds a root attribute read back from the child; the
// index of a million files is a few hundred MB.
const maxRootString = 1 << 31

// readRootAnswer reads the answer to open; complete is false when the
// stream ends inside it (the child died).
func readRootAnswer(r *bufio.Reader) (root archive.RootAttrs, refused error, complete bool, err error) {
	status, err := r.ReadByte()
	if err != nil {
		return root, nil, false, truncated(err)
	}
	if status != 0 {
		msg, err := readBlob(r, maxRecErr)
		if err != nil || msg == nil {
			return root, nil, false, err
		}
		return root, childError(string(msg)), true, nil
	}
	for _, dst := range []*string{&root.Description, &root.Version, &root.Info} {
		b, err := readBlob(r, maxRootString)
		if err != nil || b == nil {
			return root, nil, false, err
		}
		*dst = string(b)
	}
	var n [24]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return root, nil, false, truncated(err)
	}
	le := binary.LittleEndian
	root.ChunkSize, root.NumFiles, root.FileNumber = int64(le.Uint64(n[0:])), int(int64(le.Uint64(n[8:]))), int(int64(le.Uint64(n[16:])))
	return root, nil, true, nil
}

func appendBlob(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// Requests are a u32 count of words, each a u32 length and its bytes.
const (
	maxReqWords = 8
	maxReqWord  = 1 << 20
)

func writeRequest(w io.Writer, words []string) error {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(words)))
	for _, s := range words {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	_, err := w.Write(b)
	return err
}

func readRequest(r io.Reader) ([]string, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	count := binary.LittleEndian.Uint32(n[:])
	if count > maxReqWords {
		return nil, fmt.Errorf("a request of %d words", count)
	}
	words := make([]string, count)
	for i := range words {
		b, err := readBlob(r, maxReqWord)
		if err != nil {
			return nil, err
		}
		if b == nil {
			return nil, io.ErrUnexpectedEOF
		}
		words[i] = string(b)
	}
	return words, nil
}

// headBuffer keeps the first 4 KiB written to it: the head of a crash
// report says where the signal arrived, the rest is stacks.
type headBuffer struct{ b []byte }

func (h *headBuffer) Write(p []byte) (int, error) {
	const keep = 4096
	h.b = append(h.b, p[:min(len(p), keep-len(h.b))]...)
	return len(p), nil
}

func (h *headBuffer) String() string { return string(bytes.TrimSpace(h.b)) }
