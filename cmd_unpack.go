package main

import (
	"fmt"
	"time"

	"github.com/hdf5vault/hdf5vault/archiveset"
	"github.com/hdf5vault/hdf5vault/progress"
	"github.com/hdf5vault/hdf5vault/selection"
	"github.com/urfave/cli/v2"
)

func unpackCommand() *cli.Command {
	return &cli.Command{
		Name:      "unpack",
		Usage:     "restore the files of an archive set into DEST/<stem>/",
		ArgsUsage: "ARCHIVE... | ARCHIVE_BASE [PATH...]",
		Description: "The set is given as its member files or as a base name (BASE resolves to BASE.h5 or\n" +
			"BASE_<n>.h5, or the .zip forms). Files are restored into DEST/<stem>/, stem being the archive\n" +
			"name without extension and _<n> suffix. The whole set is checked before anything is\n" +
			"written: a hostile or inconsistent archive, or any existing file at a destination path,\n" +
			"is refused. Every file is written under a temporary name, checked against the stored\n" +
			"size and checksum, and renamed when complete; mode and mtime are restored when recorded.\n" +
			"--keep-going restores every intact file of a damaged set and lists the damaged ones\n" +
			"(exit 3). --skip-existing resumes an interrupted unpack: files already in DEST with the\n" +
			"archived size and checksum are skipped, different ones are listed and left alone (exit 3).\n" +
			"Temporary files of unpacks that are no longer running (on this host) are removed.\n" +
			"PATHs after the set restore only these files or directories (everything below them);\n" +
			"--include and --exclude select by GLOB (exclude wins). A PATH or --include that matches\n" +
			"no archived file is refused before anything is written (exit 1), naming it.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dest", Aliases: []string{"d", "destdir"}, Value: ".", Usage: "destination `DIR`; files land in DIR/<stem>/, e.g. -d /restore"},
			&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Value: archiveset.Workers(), Usage: "parallel decoders (parts in flight, so memory is about N x chunk size at most), e.g. -j 4"},
			quietFlag(),
			&cli.BoolFlag{Name: "keep-going", Aliases: []string{"k"}, Usage: "restore every intact file of a damaged set; list the damaged ones (exit 3)"},
			&cli.BoolFlag{Name: "skip-existing", Usage: "resume: skip files already in DEST with the archived content; list different ones (exit 3)"},
			jsonFlag(),
			includeFlag(),
			excludeFlag(),
		},
		Action: runUnpack,
	}
}

func runUnpack(c *cli.Context) error {
	jobs := c.Int("jobs")
	if jobs < 1 {
		return usagef("unpack: -j must be at least 1")
	}
	if c.NArg() == 0 {
		return usagef("unpack: no archive given")
	}
	setArgs, paths := splitSetArgs(c.Args().Slice())
	sel, err := newSelection("unpack", paths, globs(c, "include"), globs(c, "exclude"))
	if err != nil {
		return err
	}
	o := unpackRun{setArgs: setArgs, sel: sel,
		UnpackOptions: archiveset.UnpackOptions{Workers: jobs, KeepGoing: c.Bool("keep-going"), SkipExisting: c.Bool("skip-existing")}}
	if !c.Bool("json") {
		return unpackText(c, o)
	}
	j := startJSON(c, "unpacking")
	j.sum.Settings.Jobs, j.sum.Settings.KeepGoing, j.sum.Settings.SkipExisting = jobs, o.KeepGoing, o.SkipExisting
	st, err := unpack(c, o, j)
	if err == nil && st.Err() != nil {
		err = fmt.Errorf("unpack: %w", st.Err())
	}
	j.sum.Destination = st.Dir
	j.sum.Files, j.sum.Parts, j.sum.RawBytes, j.sum.StoredBytes = int64(st.Files), int64(st.Parts), st.Bytes, st.Stored
	j.sum.SkippedExisting = int64(st.Skipped)
	return j.finish(err)
}

// unpackRun is what to restore: the set's arguments, the selection of
// PATHs, --include and --exclude, and the options.
type unpackRun struct {
	archiveset.UnpackOptions
	setArgs []string
	sel     *selection.Selection
}

// unpack opens the set and restores it (j: for --json, else nil).
func unpack(c *cli.Context, o unpackRun, j *jsonRun) (archiveset.UnpackStats, error) {
	// A selection is checked by Select: the rest of the set is not looked at.
	s, err := openSetArgs(c, "unpack", o.setArgs, archiveset.OpenOptions{Partial: o.KeepGoing, Lazy: !o.sel.Empty()})
	if err != nil {
		return archiveset.UnpackStats{}, err
	}
	defer s.Close()
	if j != nil {
		j.set(s)
	}
	if err := s.Select(c.Context, o.sel); err != nil {
		return archiveset.UnpackStats{}, fmt.Errorf("unpack: %w", err)
	}
	if err := archiveset.NotFound(o.sel); err != nil {
		return archiveset.UnpackStats{}, fmt.Errorf("unpack: %w", err)
	}
	st, err := s.UnpackWith(c.Context, c.String("dest"), o.UnpackOptions)
	switch {
	case err != nil && c.Context.Err() != nil:
		err = interruptedRun{err, restoredSoFar(st, s.Len())}
	case err != nil:
		err = fmt.Errorf("unpack: %w", err)
	}
	return st, err
}

// restoredSoFar says what an interrupted unpack leaves: the files it
// finished, each complete and checked (the one being written is never
// under its real name), and how to go on.
func restoredSoFar(st archiveset.UnpackStats, files int64) string {
	if st.Files+st.Skipped == 0 {
		return "nothing restored into " + st.Dir
	}
	return fmt.Sprintf("%d of %d files restored into %s, each complete and checked; unpack --skip-existing resumes",
		st.Files+st.Skipped, files, st.Dir)
}

// unpackText reports in text: damaged and different files, then the tally.
func unpackText(c *cli.Context, o unpackRun) error {
	stop := readProgress(c, "unpacking", 0)
	defer stop()
	start := time.Now()
	st, err := unpack(c, o, nil)
	stop()
	w := c.App.Writer
	for _, d := range st.Damaged {
		fmt.Fprintln(w, "DAMAGED", d)
	}
	for _, d := range st.Differ {
		fmt.Fprintln(w, "DIFFERS", d)
	}
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	fmt.Fprintf(w, "unpacked %d files (%d bytes) into %s in %.2f s (%s)",
		st.Files, st.Bytes, st.Dir, secs, progress.Rate(float64(st.Bytes)/max(secs, 1e-9)))
	if st.Skipped > 0 {
		fmt.Fprintf(w, "; %d already there", st.Skipped)
	}
	fmt.Fprintln(w)
	if err := st.Err(); err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	return nil
}

// openSet opens the archive set named by a read command's arguments.
func openSet(c *cli.Context, cmd string) (*archiveset.Set, error) {
	return openSetWith(c, cmd, archiveset.OpenOptions{})
}

func openSetWith(c *cli.Context, cmd string, o archiveset.OpenOptions) (*archiveset.Set, error) {
	if c.NArg() == 0 {
		return nil, usagef("%s: no archive given", cmd)
	}
	return openSetArgs(c, cmd, c.Args().Slice(), o)
}

// openSetArgs opens the set named by args (member files or a base name).
func openSetArgs(c *cli.Context, cmd string, args []string, o archiveset.OpenOptions) (*archiveset.Set, error) {
	s, err := archiveset.OpenArgsWith(c.Context, args, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	if s.SideNote != "" && !c.Bool("quiet") {
		fmt.Fprintf(c.App.ErrWriter, "%s: warning: %s\n", cmd, s.SideNote)
	}
	return s, nil
}
