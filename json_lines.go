package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hdf5vault/hdf5vault/archiveset"
	"github.com/hdf5vault/hdf5vault/jsonl"
)

// jsonFlag is --json of the read commands that write no file: JSON lines on stdout.
func jsonFlag() cli.Flag {
	return &cli.BoolFlag{Name: "json", Usage: "write JSON lines on stdout instead of text: status lines, one line per problem, then a summary object"}
}

// statusInterval is the time between status lines: a second, or less for
// the test suite (progressIntervalEnv).
func statusInterval() time.Duration {
	if d, err := time.ParseDuration(os.Getenv(progressIntervalEnv)); err == nil && d > 0 {
		return d
	}
	return time.Second
}

// jsonRun is a read command's --json output: JSON lines on stdout (the
// command's writer), ending in the summary. Problems are written as they
// are found and kept for the summary.
type jsonRun struct {
	ctx    context.Context
	lines  *jsonl.Lines
	status *jsonl.Status
	start  time.Time

	mu  sync.Mutex // guards sum's lists
	sum *jsonl.Summary
}

// startJSON starts --json for command c: its status lines hear the
// command's progress through c.Context, and findings of damage or
// differences become lines as they are met.
func startJSON(c *cli.Context, verb string) *jsonRun {
	j := &jsonRun{ctx: c.Context, lines: jsonl.NewLines(c.App.Writer), start: time.Now()}
	j.sum = jsonl.New(c.Command.Name, version, j.start)
	j.status = jsonl.StartStatus(j.lines, verb, statusInterval())
	c.Context = archiveset.WithFindings(archiveset.WithProgress(c.Context, j.status), j.finding)
	return j
}

// finding writes one damaged or different file as a line and keeps it.
func (j *jsonRun) finding(f archiveset.Finding) {
	kind, list := jsonl.TypeDamaged, &j.sum.Damaged
	if f.Kind == archiveset.FindingDiffers {
		kind, list = jsonl.TypeDiffers, &j.sum.Differs
	}
	j.problem(kind, list, jsonl.Problem{Path: f.Path, Reason: jsonl.Reason(f.Path, f.Err.Error())})
}

func (j *jsonRun) problem(kind string, list *[]jsonl.Problem, p jsonl.Problem) {
	j.mu.Lock()
	*list = append(*list, p)
	j.mu.Unlock()
	j.lines.Write(jsonl.ProblemLine{MessageType: kind, Problem: p})
}

// set records what every read command knows of the set.
func (j *jsonRun) set(s *archiveset.Set) {
	j.sum.Settings.Writers = len(s.Members)
	j.sum.Settings.ChunkSizeBytes = s.ChunkSize
	j.sum.Settings.FormatVersion = s.Version
	j.sum.Settings.Zip = s.Zip
	for _, m := range s.Members {
		if m == nil {
			continue
		}
		a := jsonl.Archive{Path: m.Path}
		if fi, err := os.Stat(m.Path); err == nil {
			a.Bytes = fi.Size()
		}
		j.sum.Archives = append(j.sum.Archives, a)
	}
}

// finish ends the run: the error line (when err is not nil), then the
// summary. It returns err, the command's outcome.
func (j *jsonRun) finish(err error) error {
	j.status.Close()
	err = nameInterrupt(j.ctx, err)
	j.sum.Finish(j.start, time.Now(), err, exitStatus(err, j.ctx.Err() != nil))
	writeOutcome(j.lines, j.sum, err)
	if werr := j.lines.Flush(); werr != nil && err == nil {
		return fmt.Errorf("writing JSON lines: %w", werr)
	}
	return err
}

// writeOutcome ends JSON lines: an "error" line when the run failed or
// found problems, then the summary.
func writeOutcome(l *jsonl.Lines, sum *jsonl.Summary, err error) {
	if sum.Error != "" {
		line := jsonl.ErrorLine{MessageType: jsonl.TypeError, Error: sum.Error}
		if f := failedFile(err); len(f) > 0 {
			line.Path = f[0].Path
		}
		l.Write(line)
	}
	l.Write(sum)
}
