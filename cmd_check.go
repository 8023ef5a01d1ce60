package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/hdf5vault/hdf5vault/archiveset"
	"github.com/hdf5vault/hdf5vault/jsonl"
	"github.com/hdf5vault/hdf5vault/selection"
	"github.com/urfave/cli/v2"
)

func checkCommand() *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "compare a directory with an archive set (size and MD5 per file)",
		ArgsUsage: "ARCHIVE... | ARCHIVE_BASE",
		Description: "Every archived file must exist in DIR with the same size and MD5 (and the stored\n" +
			"XXH3-128 checksum, when the archive records one), and every file in DIR must be archived. DIR is\n" +
			"walked as create walks a source: symlinks count only with --follow-symlinks. Each\n" +
			"failing file is named; the exit status is 3 if any file fails. -j FILE writes the original's\n" +
			"JSON summary (pandas to_json layout: columns size_orig, size_arch, md5_orig, md5_arch,\n" +
			"chunks, passed, indexed by file path); -j - writes JSON lines on stdout instead of text\n" +
			"(status lines, a line per failing file, then the summary object every command writes).\n" +
			"For a set made with create --exclude or --files-from, give check the same flags: both\n" +
			"sides are then restricted to that selection, so what was left out is not reported.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "directory", Aliases: []string{"d"}, Usage: "`DIR` to compare with the archive (required), e.g. -d /data/plate1"},
			&cli.StringFlag{Name: "json", Aliases: []string{"j"}, Usage: "write the original's JSON summary to `FILE`, e.g. -j plate1-check.json; with - JSON lines on stdout instead of text"},
			&cli.IntFlag{Name: "jobs", Aliases: []string{"workers"}, Value: archiveset.Workers(), Usage: "files compared in parallel (no -j: check's -j is the original's JSON summary; --workers is the old name), e.g. --jobs 4"},
			&cli.BoolFlag{Name: "follow-symlinks", Usage: "compare what symlinks point to (for sets made with create --follow-symlinks), e.g. --follow-symlinks"},
			quietFlag(),
			excludeFlag(),
			filesFromFlag(),
			nullFlag(),
		},
		Action: runCheck,
	}
}

func runCheck(c *cli.Context) error {
	if c.Int("jobs") < 1 {
		return usagef("check: --jobs must be at least 1")
	}
	if c.String("directory") == "" {
		return usagef("check: -d DIR is required")
	}
	if c.String("json") != "-" {
		return checkText(c)
	}
	j := startJSON(c, "checking")
	j.sum.Settings.Workers, j.sum.Settings.FollowSymlinks = c.Int("jobs"), c.Bool("follow-symlinks")
	j.sum.Source = c.String("directory")
	rep, err := check(c, j)
	if err != nil {
		return j.finish(err)
	}
	files, parts, raw, stored, sums := rep.Archived()
	j.sum.Files, j.sum.Parts, j.sum.RawBytes, j.sum.StoredBytes = int64(files), int64(parts), raw, stored
	j.sum.ChecksumsCompared = int64(sums)
	j.sum.Walk = &jsonl.Walk{SymlinkPaths: []string{}, Skipped: []jsonl.Problem{}}
	for _, p := range rep.NotChecked {
		j.sum.Walk.Skipped = append(j.sum.Walk.Skipped, jsonl.Problem{Path: p, Reason: "not a regular file, or a symlink not followed: not compared"})
	}
	for _, m := range rep.Members {
		j.sum.Notes = append(j.sum.Notes, "member of the archive set, not compared: "+m)
	}
	for i := range rep.Rows {
		r := &rep.Rows[i]
		switch {
		case r.Passed:
		case r.Damaged:
			j.problem(jsonl.TypeDamaged, &j.sum.Damaged, jsonl.Problem{Path: r.Path, Reason: jsonl.Reason(r.Path, r.Problem)})
		default:
			j.problem(jsonl.TypeDiffers, &j.sum.Differs, jsonl.Problem{Path: r.Path, Reason: jsonl.Reason(r.Path, r.Problem)})
		}
	}
	return j.finish(checkOutcome(c, rep))
}

// check opens the set and compares it with -d (j: for --json, else nil).
func check(c *cli.Context, j *jsonRun) (*archiveset.CheckReport, error) {
	s, err := openSet(c, "check")
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if j != nil {
		j.set(s)
	}
	sel, err := checkSelection(c)
	if err != nil {
		return nil, err
	}
	o := archiveset.CheckOptions{Workers: c.Int("jobs"), FollowSymlinks: c.Bool("follow-symlinks"), Select: sel}
	rep, err := s.Check(c.Context, c.String("directory"), o)
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	return rep, nil
}

// checkSelection is the selection of --exclude and --files-from, to which
// both sides of the comparison are restricted.
func checkSelection(c *cli.Context) (*selection.Selection, error) {
	if _, err := newSelection("check", nil, nil, globs(c, "exclude")); err != nil {
		return nil, err // a bad glob before reading the list
	}
	listed, err := readFilesFrom(c, "check", c.String("directory"))
	if err != nil {
		return nil, err
	}
	return newSelection("check", listed, nil, globs(c, "exclude"))
}

// checkOutcome is the check's verdict as an error (exit 3), or nil.
func checkOutcome(c *cli.Context, rep *archiveset.CheckReport) error {
	failed := 0
	for i := range rep.Rows {
		if !rep.Rows[i].Passed {
			failed++
		}
	}
	if failed > 0 {
		return mismatchError{fmt.Errorf("check: %d of %d files FAILED comparing %s with the archive set", failed, len(rep.Rows), c.String("directory"))}
	}
	return nil
}

// checkText reports in text, and writes the original's summary with -j FILE.
func checkText(c *cli.Context) error {
	stop := readProgress(c, "checking", 0)
	defer stop()
	rep, err := check(c, nil)
	stop()
	if err != nil {
		return err
	}
	dir := c.String("directory")
	rows := rep.Rows
	if n := len(rep.NotChecked); n > 0 && !c.Bool("quiet") {
		fmt.Fprintf(c.App.ErrWriter, "check: note: %d symlink(s) or special file(s) in %s not compared (first: %s)\n", n, dir, rep.NotChecked[0])
	}
	if n := len(rep.Members); n > 0 {
		fmt.Fprintf(c.App.ErrWriter, "check: note: %d member(s) of the archive set lie in %s and are not compared (first: %s)\n", n, dir, rep.Members[0])
	}
	if p := c.String("json"); p != "" {
		if err := writeSummary(p, rows); err != nil {
			return fmt.Errorf("check: summary %s: %w", p, err)
		}
	}
	for i := range rows {
		if !rows[i].Passed {
			fmt.Fprintln(c.App.Writer, "FAIL", rows[i].Problem)
		}
	}
	if err := checkOutcome(c, rep); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "check passed: %d files in %s match the archive set\n", len(rows), dir)
	return nil
}

func writeSummary(path string, rows []archiveset.CheckRow) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	return errors.Join(archiveset.WriteSummary(f, rows), f.Close())
}
