package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Runner measures the hdf5vault binary Exe on the source tree Src, keeping
// archives and unpacked copies under Work (removed after each setting).
type Runner struct {
	Exe  string
	Src  string
	Work string
	Tree Stats // what Src holds
}

// Run creates, unpacks and verifies with one setting. A failed child is a
// Result with Err set, not an error; err is for the runner's own failures
// and interrupts.
func (r *Runner) Run(ctx context.Context, s Setting, n int) ([]Result, error) {
	dir, err := r.scratch(n)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	base := filepath.Join(dir, "archive")
	create := r.create(ctx, s, dir)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if create.Err != "" {
		return []Result{create}, nil
	}

	dest := filepath.Join(dir, "unpacked")
	if err := os.Mkdir(dest, 0o755); err != nil {
		return nil, err
	}
	unpack := r.child(ctx, s, OpUnpack, []string{"unpack", "-d", dest, base})
	if unpack.Err == "" {
		unpack.Err = r.sameSize(dest)
	}
	os.RemoveAll(dest) // before verify, so the page cache and disk are not skewed by it
	verify := r.child(ctx, s, OpVerify, []string{"verify", base})
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	out := []Result{create, unpack, verify}
	for i := range out {
		out[i].Stored = create.Stored
	}
	return out, nil
}

// Create runs create alone with one setting (in scratch directory n,
// removed afterwards) and measures it; see Run for errors.
func (r *Runner) Create(ctx context.Context, s Setting, n int) (Result, error) {
	dir, err := r.scratch(n)
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	res := r.create(ctx, s, dir)
	return res, ctx.Err()
}

// scratch makes the directory of run n.
func (r *Runner) scratch(n int) (string, error) {
	dir := filepath.Join(r.Work, fmt.Sprintf("run%02d", n))
	return dir, os.MkdirAll(dir, 0o755)
}

// create runs create into dir/archive and sets Stored from what it wrote;
// an archive that is missing fails the run.
func (r *Runner) create(ctx context.Context, s Setting, dir string) Result {
	base := filepath.Join(dir, "archive")
	res := r.child(ctx, s, OpCreate, s.CreateArgs(r.Src, base, filepath.Join(dir, "create.json")))
	if res.Err != "" || ctx.Err() != nil {
		return res
	}
	stored, err := archiveBytes(base)
	if err != nil {
		res.Err = err.Error()
	}
	res.Stored = stored
	return res
}

// child runs one command and measures it. A failure's Err is the exit
// status and the last line the child wrote to stderr.
func (r *Runner) child(ctx context.Context, s Setting, op string, args []string) Result {
	res := Result{Setting: s, Op: op, Files: r.Tree.Files, Bytes: r.Tree.Bytes}
	res.Wall, res.PeakRSS, res.Err = measure(ctx, nil, append([]string{r.Exe}, args...))
	return res
}

// measure runs cmds as a pipeline, each one's stdout feeding the next one's
// stdin and the last one's going to out (nil: discarded), after flushing
// the disks. peak is the sum of the processes' peak RSS (they run at the
// same time). A failure is the first failing command's exit status and the
// last line it wrote to stderr.
func measure(ctx context.Context, out io.Writer, cmds ...[]string) (wall time.Duration, peak int64, fail string) {
	flushDisks()
	procs := make([]*exec.Cmd, len(cmds))
	stderrs := make([]bytes.Buffer, len(cmds))
	for i, argv := range cmds {
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		// On interrupt, let the child clean up as it does on Ctrl-C; kill it if it lingers.
		cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
		cmd.WaitDelay = 10 * time.Second
		cmd.Stderr = &stderrs[i]
		procs[i] = cmd
	}
	procs[len(procs)-1].Stdout = out
	var ends []*os.File // the parent's copies of the pipes, closed once the children hold them
	for i := 0; i+1 < len(procs); i++ {
		pr, pw, err := os.Pipe()
		if err != nil {
			return 0, 0, err.Error()
		}
		procs[i].Stdout, procs[i+1].Stdin = pw, pr
		ends = append(ends, pr, pw)
	}
	start := time.Now()
	watches, errs := make([]*rssWatch, len(procs)), make([]error, len(procs))
	for i, cmd := range procs {
		if errs[i] = cmd.Start(); errs[i] == nil {
			watches[i] = watchRSS(cmd.Process.Pid)
		}
	}
	for _, f := range ends {
		f.Close()
	}
	for i, cmd := range procs {
		if watches[i] == nil {
			continue
		}
		errs[i] = cmd.Wait()
		peak += peakRSS(cmd.ProcessState, watches[i].finish())
	}
	wall = time.Since(start)
	for i, err := range errs {
		if err != nil {
			return wall, peak, fmt.Sprintf("%v: %s", err, lastLine(stderrs[i].String()))
		}
	}
	return wall, peak, ""
}

// lastLine is the last line of a child's stderr: the one that says why.
func lastLine(msg string) string {
	msg = strings.TrimSpace(msg)
	if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
		return msg[i+1:]
	}
	return msg
}

// sameSize checks that an unpack restored as many files and bytes as the
// source holds; it returns the discrepancy, or "".
func (r *Runner) sameSize(dest string) string {
	got, err := TreeStats(dest)
	if err != nil {
		return err.Error()
	}
	if got != r.Tree {
		return fmt.Sprintf("unpack restored %d files, %d bytes; the source has %d files, %d bytes",
			got.Files, got.Bytes, r.Tree.Files, r.Tree.Bytes)
	}
	return ""
}
