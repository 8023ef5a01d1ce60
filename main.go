// Command hdf5vault packs a directory of many files into a few HDF5 archives,
// compressing every file with Blosc2, in the format of HDF5Vault 0.3.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/h5sink"
	"github.com/urfave/cli/v2"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "0.1.0-dev"

// Exit codes, documented in the README and --help.
const (
	exitOK          = 0
	exitFailure     = 1   // the run failed; nothing with a final name is incomplete
	exitUsage       = 2   // bad command line
	exitMismatch    = 3   // differences found by check, or damage (archive.ErrDamaged) found by any read command
	exitInterrupted = 130 // SIGINT, SIGTERM or SIGHUP
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == h5sink.ProbeArg {
		os.Exit(h5sink.ProbeMain(os.Args[2:])) // a child of a read command (h5sink/probe.go)
	}
	stopProfile := startProfile()
	// SIGHUP (the terminal or ssh session went away) is an interruption
	// like the others: stop every stage and remove temporary files, rather
	// than die at once with them left behind.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	stopProbe := useProbe(ctx)
	err := newApp().RunContext(ctx, os.Args)
	interrupted := ctx.Err() != nil
	err = nameInterrupt(ctx, err)
	stop()
	stopProbe()
	code := exitCode(err, interrupted)
	stopProfile()
	os.Exit(code)
}

// useProbe has libhdf5 read archive metadata in a child process first, so
// that damage that crashes it is reported instead of killing this process.
// The returned func ends the child.
func useProbe(ctx context.Context) (stop func()) {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hdf5vault: warning: damaged HDF5 metadata may crash this run:", err)
		return func() {}
	}
	return h5sink.UseProbe(ctx, exe)
}

// startProfile writes a CPU profile to $HDF5VAULT_CPUPROFILE when it is set:
// a developer's aid for the pipeline's throughput (go tool pprof). The
// returned func stops it; main calls it before os.Exit, which skips defers.
func startProfile() (stop func()) {
	path := os.Getenv("HDF5VAULT_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hdf5vault: cpu profile:", err)
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

func newApp() *cli.App {
	return &cli.App{
		Name:    "hdf5vault",
		Usage:   "pack a directory of many files into a few Blosc2-compressed HDF5 archives",
		Version: version,
		Description: "hdf5vault writes and reads HDF5Vault archive sets: every file becomes a 1-D int8\n" +
			"dataset holding one Blosc2 chunk, readable with h5py + blosc2.decompress.\n" +
			"Exit status: 0 success, 1 failure (an I/O or resource error), 2 usage error, 3 damage or\n" +
			"differences found (a damaged archive, check's differences, unpack -k/--skip-existing lists),\n" +
			"130 interrupted.",
		Commands: []*cli.Command{
			createCommand(),
			unpackCommand(),
			checkCommand(),
			verifyCommand(),
			lsCommand(),
			catCommand(),
			mountCommand(),
			benchCommand(),
		},
		EnableBashCompletion: true,
		ExitErrHandler:       func(*cli.Context, error) {}, // main decides the exit code
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return usageError{err}
		},
	}
}

// nameInterrupt names the signal that ended the run, and what the run
// leaves when it says so (interruptedRun): "context canceled" tells the
// user nothing.
func nameInterrupt(ctx context.Context, err error) error {
	if ctx.Err() == nil || !errors.Is(err, context.Canceled) {
		return err
	}
	msg := fmt.Sprintf("interrupted: %v", context.Cause(ctx))
	var left interruptedRun
	if errors.As(err, &left) {
		msg += "; " + left.left
	}
	return errors.New(msg)
}

// usageError marks a bad command line (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef reports a bad command line.
func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// mismatchError marks a check or verify that found differences (exit 3).
type mismatchError struct{ err error }

func (e mismatchError) Error() string { return e.err.Error() }
func (e mismatchError) Unwrap() error { return e.err }

func exitCode(err error, interrupted bool) int {
	if err != nil {
		fmt.Fprintln(os.Stderr, "hdf5vault:", err)
	}
	return exitStatus(err, interrupted)
}

// exitStatus is the exit status err means (the summaries carry it too).
func exitStatus(err error, interrupted bool) int {
	if err == nil {
		return exitOK
	}
	var ue usageError
	var me mismatchError
	var ec cli.ExitCoder
	switch {
	case interrupted || errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &me), errors.Is(err, archive.ErrDamaged):
		return exitMismatch
	case errors.As(err, &ec):
		return ec.ExitCode()
	}
	return exitFailure
}
