package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/hdf5vault/hdf5vault/archiveset"
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
			"failing file is named; the exit status is 3 if any file fails. -j writes the original's\n" +
			"JSON summary (pandas to_json layout: columns size_orig, size_arch, md5_orig, md5_arch,\n" +
			"chunks, passed, indexed by file path).\n" +
			"For a set made with create --exclude or --files-from, give check the same flags: both\n" +
			"sides are then restricted to that selection, so what was left out is not reported.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "directory", Aliases: []string{"d"}, Usage: "`DIR` to compare with the archive (required), e.g. -d /data/plate1"},
			&cli.StringFlag{Name: "json", Aliases: []string{"j"}, Usage: "write the original's JSON summary to `FILE`, e.g. -j plate1-check.json"},
			&cli.IntFlag{Name: "workers", Aliases: []string{"w"}, Value: archiveset.Workers(), Usage: "files compared in parallel, e.g. -w 4"},
			&cli.BoolFlag{Name: "follow-symlinks", Usage: "compare what symlinks point to (for sets made with create --follow-symlinks), e.g. --follow-symlinks"},
			quietFlag(),
			excludeFlag(),
			filesFromFlag(),
			nullFlag(),
		},
		OnUsageError: readUsageError,
		Action:       runCheck,
	}
}

func runCheck(c *cli.Context) error {
	if c.Int("workers") < 1 {
		return usagef("check: -w must be at least 1")
	}
	if c.String("directory") == "" {
		return usagef("check: -d DIR is required")
	}
	dir := c.String("directory")
	if _, err := newSelection("check", nil, nil, globs(c, "exclude")); err != nil {
		return err
	}
	listed, err := readFilesFrom(c, "check", dir)
	if err != nil {
		return err
	}
	sel, err := newSelection("check", listed, nil, globs(c, "exclude"))
	if err != nil {
		return err
	}
	stop := readProgress(c, "checking", 0)
	defer stop()
	s, err := openSet(c, "check")
	if err != nil {
		return err
	}
	defer s.Close()
	rep, err := s.Check(c.Context, dir, archiveset.CheckOptions{Workers: c.Int("workers"), FollowSymlinks: c.Bool("follow-symlinks"), Select: sel})
	stop()
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
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
	failed := 0
	for i := range rows {
		if !rows[i].Passed {
			failed++
			fmt.Fprintln(c.App.Writer, "FAIL", rows[i].Problem)
		}
	}
	if failed > 0 {
		return mismatchError{fmt.Errorf("check: %d of %d files FAILED comparing %s with the archive set", failed, len(rows), dir)}
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
