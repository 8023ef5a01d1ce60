package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/jsonl"
	"github.com/hdf5vault/hdf5vault/pipeline"
	"github.com/hdf5vault/hdf5vault/setwriter"
	"github.com/hdf5vault/hdf5vault/tempfile"
	"github.com/hdf5vault/hdf5vault/walker"
)

// summaryFile is create's --json output: JSON lines on stdout (--json -),
// or the summary object in a file. A file's path is checked and its
// temporary file created before any work; the summary is written and synced
// before the set is committed and renamed into place after, so that nothing
// which can fail is left once the set carries its final names.
type summaryFile struct {
	lines   *jsonl.Lines // --json -: JSON lines on stdout
	path    string       // final name; "" with no --json FILE
	temp    *os.File
	replace bool           // an older summary (or, with --force, another file) is there
	ready   bool           // prepared: publish renames it
	sum     *jsonl.Summary // for stdout, written by publish
	shard   any            // create --shard: what the shard is, in every summary it writes
	say     func(string)
}

// openSummary checks --json: not an archive, lock or temporary name, not
// inside the source, in a writable directory, and not replacing a file that
// is not one of our summaries unless --force.
func openSummary(o *createOptions, say func(string)) (*summaryFile, error) {
	s := &summaryFile{say: say}
	switch o.jsonOut {
	case "":
		return s, nil
	case "-":
		s.lines = jsonl.NewLines(os.Stdout)
		return s, nil
	}
	p := o.jsonOut
	name := filepath.Base(p)
	switch {
	case archive.IsArchiveName(name) || archive.IsTempName(name) || strings.HasSuffix(name, ".hdf5vault-lock") || strings.HasSuffix(name, ".hdf5vault-commit"):
		return nil, usagef("--json %s: that is an archive's (or its temporary file's) name, not a summary's; give a .json path", p)
	case o.src != "" && setwriter.Inside(filepath.Dir(p), o.src): // seal has no source
		return nil, usagef("--json %s lies inside the source %s: it would replace or add a source file; write it elsewhere", p, o.src)
	}
	if fi, err := os.Stat(filepath.Dir(p)); err != nil || !fi.IsDir() {
		if err == nil {
			err = errors.New("not a directory")
		}
		return nil, usagef("--json %s: directory %s: %v", p, filepath.Dir(p), err)
	}
	if fi, err := os.Lstat(p); err == nil {
		if err := mayReplaceSummary(p, fi, o.force); err != nil {
			return nil, err
		}
		s.replace = true
	}
	tempfile.RemoveStale(filepath.Dir(p), func(n string) bool { return !strings.HasPrefix(n, "."+name+".") }, say)
	f, err := os.OpenFile(archive.TempName(p, tempfile.Token()), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, usagef("--json %s: cannot write in %s: %v", p, filepath.Dir(p), err)
	}
	s.path, s.temp = p, f
	return s, nil
}

// mayReplaceSummary allows replacing a regular file holding one of our
// summaries, or any regular file with --force.
func mayReplaceSummary(p string, fi fs.FileInfo, force bool) error {
	if !fi.Mode().IsRegular() {
		return usagef("--json %s exists and is not a regular file", p)
	}
	if force || isSummary(p) {
		return nil
	}
	return usagef("--json %s exists and is not an hdf5vault summary: refusing to replace it (use --force, or another path)", p)
}

// isSummary reports whether p holds a JSON object with a create summary's
// keys: this schema's, or the one before schema_version.
func isSummary(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	var m map[string]json.RawMessage
	if json.NewDecoder(io.LimitReader(f, 256<<20)).Decode(&m) != nil {
		return false
	}
	if string(m["tool"]) == `"hdf5vault"` && string(m["message_type"]) == `"summary"` {
		return true
	}
	for _, k := range []string{"source", "archives", "complete"} {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}

// status is the progress display of --json -: status lines on stdout.
func (s *summaryFile) status() pipeline.Progress {
	return jsonl.StartStatus(s.lines, "archiving", statusInterval())
}

// prepare writes and syncs the summary under its temporary name.
func (s *summaryFile) prepare(sum *jsonl.Summary) error {
	if s.shard != nil {
		sum.Shard = s.shard
	}
	if s.path == "" {
		s.sum = sum
		return nil
	}
	err := s.write(s.temp, sum)
	if err == nil {
		err = s.temp.Sync()
	}
	if cerr := s.temp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--json %s: %w", s.path, err)
	}
	s.ready = true
	return nil
}

func (s *summaryFile) write(w io.Writer, sum *jsonl.Summary) error {
	b, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// publish gives the prepared summary its name. The set is committed (or the
// run has failed) by now: a failure here is reported, not made the run's.
func (s *summaryFile) publish() {
	if s.lines != nil && s.sum != nil {
		s.emit(s.sum, nil)
		return
	}
	if s.path == "" || !s.ready {
		return
	}
	tmp := s.temp.Name()
	var err error
	if s.replace {
		err = os.Rename(tmp, s.path)
	} else {
		err = tempfile.RenameNoReplace(tmp, s.path)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "hdf5vault: warning: the summary could not take its name %s (%v); it is in %s\n", s.path, err, tmp)
	}
	s.path = "" // published, or left where the warning says: nothing to discard
}

// fail writes the summary of a failed run: "complete": false, the error and
// the files that failed.
func (s *summaryFile) fail(ctx context.Context, o *createOptions, res *pipeline.Result, runErr error) {
	if s.path == "" && s.lines == nil {
		return
	}
	sum := createSummary(o, res, nil, nil)
	sum.Failed = append(sum.Failed, failedFile(runErr)...)
	sum.Finish(o.start, time.Now(), runErr, exitStatus(runErr, ctx.Err() != nil))
	sum.Shard = s.shard
	if s.lines != nil {
		s.emit(sum, runErr)
		return
	}
	// The prepared success summary (if any) is replaced: write afresh.
	s.ready = false
	f, err := os.OpenFile(s.temp.Name(), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err == nil {
		s.temp.Close()
		s.temp = f
		err = s.prepare(sum)
	}
	if err == nil {
		s.publish()
		return
	}
	fmt.Fprintf(os.Stderr, "hdf5vault: --json %s: the failed run's summary could not be written: %v\n", s.path, err)
}

// emit writes the end of --json -: a "failed" line per file not archived,
// then the error and the summary.
func (s *summaryFile) emit(sum *jsonl.Summary, runErr error) {
	for _, p := range sum.Failed {
		s.lines.Write(jsonl.ProblemLine{MessageType: jsonl.TypeFailed, Problem: p})
	}
	writeOutcome(s.lines, sum, runErr)
}

// discard removes the temporary file of a summary that was not published.
func (s *summaryFile) discard() {
	if s.path != "" {
		s.temp.Close()
		os.Remove(s.temp.Name())
	}
}

// failedFile names the source file a run failed on, as the summary lists
// it, when the error is about one.
func failedFile(err error) []jsonl.Problem {
	var fe *walker.FileError
	if !errors.As(err, &fe) {
		return nil
	}
	p := fe.Rel
	if p == "" {
		p = fe.Path
	}
	return []jsonl.Problem{{Path: p, Reason: fe.Err.Error()}}
}

// createSummary gathers a run: res may be a failed run's partial result or
// nil; paths are the set's final names (none for a failed run), and temp
// the names they are written under until the commit. Finish is left to the
// caller.
func createSummary(o *createOptions, res *pipeline.Result, paths, temp []string) *jsonl.Summary {
	sum := jsonl.New("create", version, o.start)
	sum.Settings = jsonl.Settings{
		CMethod: "none", Jobs: o.jobs, Writers: o.writers, ChunkSizeBytes: o.chunk,
		MaxMemoryBytes: o.maxMemory, FormatVersion: archive.Version, Zip: o.zip, Force: o.force,
		FollowSymlinks: o.follow, SkipUnreadable: o.skipBad,
	}
	if o.compress {
		sum.Settings.CMethod = "blosc2"
		sum.Settings.Codec, sum.Settings.CLevel = o.blosc.Codec.String(), o.blosc.Level
		sum.Settings.Threads, sum.Settings.UseDict = o.blosc.Threads, o.blosc.UseDict
	}
	sum.Source = o.src
	sum.Walk = &jsonl.Walk{SymlinkPaths: []string{}, Skipped: []jsonl.Problem{}}
	if res == nil {
		return sum
	}
	if len(paths) > 0 { // counts of a committed set only: a failed run stored nothing
		sum.Files, sum.Parts, sum.RawBytes, sum.StoredBytes = res.Files, res.Parts, res.RawBytes, res.StoredBytes
		sum.PeakBufferedBytes = res.HighWater
	}
	for i, p := range paths {
		a := jsonl.Archive{Path: p, Parts: res.Archives[i].Parts, PayloadBytes: res.Archives[i].Stored}
		if fi, err := os.Stat(temp[i]); err == nil {
			a.Bytes = fi.Size()
		}
		sum.Archives = append(sum.Archives, a)
	}
	sum.Failed = append(sum.Failed, problems(res.Unreadable)...)
	if w := res.Walk; w != nil {
		sum.Walk.SymlinksNotFollowed, sum.Walk.SymlinksFollowed = len(w.Symlinks), w.Followed
		sum.Walk.SymlinkPaths = append(sum.Walk.SymlinkPaths, w.Symlinks...)
		sum.Walk.Skipped = append(sum.Walk.Skipped, problems(w.Special)...)
		sum.Failed = append(sum.Failed, problems(w.Unreadable)...)
	}
	return sum
}

func problems(l []walker.Skip) []jsonl.Problem {
	out := make([]jsonl.Problem, len(l))
	for i, s := range l {
		out[i] = jsonl.Problem{Path: s.Path, Reason: strings.TrimSpace(s.Reason)}
	}
	return out
}
