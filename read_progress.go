package main

import (
	"os"
	"time"

	"github.com/hdf5vault/hdf5vault/archiveset"
	"github.com/hdf5vault/hdf5vault/progress"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

// progressIntervalEnv shortens the interval of the log lines written
// without a terminal. It is for tests, which cannot wait 5 s for a line.
const progressIntervalEnv = "HDF5VAULT_TEST_PROGRESS_INTERVAL"

// quietFlag is -q of the long read commands.
func quietFlag() cli.Flag {
	return &cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress display or notes on stderr (errors still go there), e.g. -q"}
}

// readProgress shows the progress of a long read command on stderr while
// it opens and reads the set, through c.Context: a bar on a terminal, a
// line every 5 s otherwise (as create does), nothing with -q. Call stop
// before printing the result, so the bar is gone; calling it again is
// harmless.
func readProgress(c *cli.Context, verb string) (stop func()) {
	if c.Bool("quiet") {
		return func() {}
	}
	o := progress.Options{Command: "hdf5vault " + c.Command.Name, Verb: verb, Interval: 5 * time.Second}
	fd := int(os.Stderr.Fd())
	if term.IsTerminal(fd) {
		o.Bar, o.Interval = true, 200*time.Millisecond
		if w, _, err := term.GetSize(fd); err == nil {
			o.Width = w - 1
		}
	} else if d, err := time.ParseDuration(os.Getenv(progressIntervalEnv)); err == nil && d > 0 {
		o.Interval = d
	}
	m := progress.Start(os.Stderr, o)
	c.Context = archiveset.WithProgress(c.Context, m)
	return m.Close
}
