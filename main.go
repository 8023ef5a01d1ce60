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
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/h5sink"
	"github.com/urfave/cli/v2"
)

// version is the semantic version; commit is set at build time
// (-ldflags "-X main.commit=...", see the Makefile) and added as build
// metadata.
var (
	version = "0.1.0-dev"
	commit  = ""
)

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
	silence, warning := probeSilence()
	stopProbe := useProbe(ctx, silence)
	err := runCLI(ctx, os.Args, warning)
	interrupted := ctx.Err() != nil
	err = nameInterrupt(ctx, err)
	stop()
	stopProbe()
	code := exitCode(err, interrupted)
	stopProfile()
	os.Exit(code)
}

// runCLI normalizes the command line (flags anywhere, args.go) and runs it;
// warning, if any, is printed once the command's flags say it is not quiet.
func runCLI(ctx context.Context, argv []string, warning string) error {
	app := newApp()
	args, err := normalizeArgs(app, argv)
	if err != nil {
		return err
	}
	if warning != "" {
		warnUnlessQuiet(app.Commands, warning)
	}
	return app.RunContext(ctx, args)
}

// warnUnlessQuiet has each command print warning on stderr before it runs,
// unless its -q/--quiet is set: a warning found before the command line
// was parsed obeys -q like the command's own.
func warnUnlessQuiet(cmds []*cli.Command, warning string) {
	for _, cmd := range cmds {
		before := cmd.Before
		cmd.Before = func(c *cli.Context) error {
			if !c.Bool("quiet") {
				fmt.Fprintln(c.App.ErrWriter, warning)
			}
			if before != nil {
				return before(c)
			}
			return nil
		}
	}
}

// useProbe has libhdf5 read archive metadata in a child process first, so
// that damage that crashes it is reported instead of killing this process.
// The returned func ends the child.
func useProbe(ctx context.Context, silence time.Duration) (stop func()) {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hdf5vault: warning: damaged HDF5 metadata may crash this run:", err)
		return func() {}
	}
	return h5sink.UseProbe(ctx, exe, silence)
}

// probeSilence is how long the probe child may show no progress before it
// is taken for hung on damaged metadata: $HDF5VAULT_PROBE_TIMEOUT seconds,
// or h5sink's default with a warning when the value is not usable.
func probeSilence() (time.Duration, string) {
	v := os.Getenv("HDF5VAULT_PROBE_TIMEOUT")
	if v == "" {
		return h5sink.DefaultProbeSilence, ""
	}
	s, err := strconv.ParseFloat(v, 64)
	if err != nil || !(s > 0 && s < 1e9) {
		return h5sink.DefaultProbeSilence, fmt.Sprintf("hdf5vault: warning: ignoring HDF5VAULT_PROBE_TIMEOUT=%q (want seconds above 0); using %s", v, h5sink.DefaultProbeSilence)
	}
	return time.Duration(s * float64(time.Second)), ""
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
	// -h is --help except where a command has its own -h (ls -h is
	// --human-readable): normalizeArgs maps it. -v is not the version
	// (users expect verbose there): --version and the version command are.
	cli.HelpFlag = &cli.BoolFlag{Name: "help", Usage: "show help (also -h, except for ls, where -h is --human-readable)", DisableDefaultText: true}
	cli.VersionFlag = &cli.BoolFlag{Name: "version", Usage: "print the version, Go, libhdf5 and archive format versions", DisableDefaultText: true}
	cli.VersionPrinter = func(c *cli.Context) { fmt.Fprint(c.App.Writer, versionText()) }
	app := &cli.App{
		Name:    "hdf5vault",
		Usage:   "pack a directory of many files into a few Blosc2-compressed HDF5 archives",
		Version: semver(),
		Description: "hdf5vault writes and reads HDF5Vault archive sets: every file becomes a 1-D int8\n" +
			"dataset holding one Blosc2 chunk, readable with h5py + blosc2.decompress.\n" +
			"Flags may come before or after the arguments; -- ends them. Short flags combine (ls -lh).\n" +
			shortLetters +
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
			sealCommand(),
			mountCommand(),
			benchCommand(),
			versionCommand(),
			completionCommand(),
			manCommand(),
		},
		ExitErrHandler: func(*cli.Context, error) {}, // main decides the exit code
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return usageError{err}
		},
	}
	for _, c := range app.Commands {
		c.OnUsageError = flagUsageError
		c.HideHelpCommand = true // "hdf5vault ls help" lists an archive named help
	}
	return app
}

// shortLetters is the scheme of short flags, in --help, the man page and
// the README.
const shortLetters = "Short flags mean one thing on every command: -q quiet, -j parallel jobs, -e debug output,\n" +
	"-k keep going, -h help (ls: human-readable sizes); create keeps the original's letters\n" +
	"(-w writers, -t threads, -c clevel, -m cmethod, -s chunksize, -d use-dict, -z zip), and\n" +
	"unpack -d (destination) and check -d (directory), -j (JSON summary) are the original's too.\n" +
	"There is no -v: --version (or the version command) prints the version.\n"

// flagUsageError makes a bad flag of any command a usage error (exit 2):
// one line naming the command, with a hint for letters users reach for.
func flagUsageError(c *cli.Context, err error, _ bool) error {
	msg := err.Error()
	name := c.Command.Name
	if flag, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		msg = "unknown flag " + flag
		switch {
		case flag == "-v" || flag == "-verbose":
			msg += "; there is no -v: --version prints the version"
			if hasFlag(c.Command, "debug") {
				msg += ", -e/--debug shows more"
			}
		case flag == "-w" && hasFlag(c.Command, "jobs"):
			msg += "; -w is create's writers, the parallel jobs are --jobs here"
		}
	}
	return usagef("%s: %s (hdf5vault %s --help lists its flags)", name, msg, name)
}

func hasFlag(c *cli.Command, name string) bool {
	for _, f := range c.Flags {
		for _, n := range f.Names() {
			if n == name {
				return true
			}
		}
	}
	return false
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
