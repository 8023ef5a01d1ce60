package main

import (
	"os"
	"time"

	"github.com/hdf5vault/hdf5vault/archiveset"
	"github.com/hdf5vault/hdf5vault/progress"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

// progressIntervalEnv sets the interval of the log lines written without
// a terminal (5 s) and of the bar's redraws on one (200 ms). It is for
// tests, which cannot wait 5 s for a line and want many redraws.
const progressIntervalEnv = "HDF5VAULT_TEST_PROGRESS_INTERVAL"

// openDelayEnv replaces ls's and cat's openDelay, for tests whose sets
// open well within it.
const openDelayEnv = "HDF5VAULT_TEST_OPEN_DELAY"

// quietFlag is -q of the long read commands.
func quietFlag() cli.Flag {
	return &cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress display, warnings or notes on stderr (errors still go there), e.g. -q"}
}

// displayOptions say how progress shows on stderr: a bar fitted to the
// terminal's width (asked at every redraw, so a resized window is
// followed) every 200 ms, else a timestamped line every 5 s.
func displayOptions(command string) progress.Options {
	o := progress.Options{Command: command, Interval: 5 * time.Second}
	fd := int(os.Stderr.Fd())
	if term.IsTerminal(fd) {
		o.Bar, o.Interval = true, 200*time.Millisecond
		o.Columns = func() int {
			w, _, err := term.GetSize(fd)
			if err != nil {
				return 0
			}
			return w
		}
	}
	if d, err := time.ParseDuration(os.Getenv(progressIntervalEnv)); err == nil && d > 0 {
		o.Interval = d
	}
	return o
}

// readProgress shows the progress of a long read command on stderr while
// it opens and reads the set, through c.Context: a bar on a terminal, a
// line every 5 s otherwise (as create does), nothing with -q. Call stop
// before printing the result, so the bar is gone; calling it again is
// harmless. A delay (ls, cat) keeps the bar off the screen for that long,
// so a quick command shows none, and shows nothing without a terminal:
// their output is for scripts, and their stderr stays for errors.
func readProgress(c *cli.Context, verb string, delay time.Duration) (stop func()) {
	o := displayOptions("hdf5vault " + c.Command.Name)
	if c.Bool("quiet") || delay > 0 && !o.Bar {
		return func() {}
	}
	if d, err := time.ParseDuration(os.Getenv(openDelayEnv)); err == nil && delay > 0 {
		delay = d
	}
	o.Verb, o.Delay = verb, delay
	m := progress.Start(os.Stderr, o)
	c.Context = archiveset.WithProgress(c.Context, m)
	return m.Close
}

// openDelay is how long ls and cat wait before showing that they are
// still opening the set: a set with a side index opens well within it,
// while one without (the original's, a large JSON index) can take minutes.
const openDelay = time.Second

// openQuietFlag is --quiet of ls and cat: no progress while the set opens.
func openQuietFlag() cli.Flag {
	return &cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress display while a large set is opened, and no warnings on stderr (errors still go there), e.g. -q"}
}
