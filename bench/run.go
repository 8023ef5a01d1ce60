package bench

import (
	"bytes"
	"context"
	"fmt"
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
	flushDisks()
	cmd := exec.CommandContext(ctx, r.Exe, args...)
	// On interrupt, let the child clean up as it does on Ctrl-C; kill it if it lingers.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Start()
	if err == nil {
		w := watchRSS(cmd.Process.Pid)
		err = cmd.Wait()
		res.Wall = time.Since(start)
		res.PeakRSS = peakRSS(cmd.ProcessState, w.finish())
	}
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:] // the last line says why
		}
		res.Err = fmt.Sprintf("%v: %s", err, msg)
	}
	return res
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
