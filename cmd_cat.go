package main

import (
	"bufio"
	"fmt"

	"github.com/hdf5vault/hdf5vault/archiveset"

	"github.com/urfave/cli/v2"
)

func catCommand() *cli.Command {
	return &cli.Command{
		Name:      "cat",
		Usage:     "write one archived file to standard output",
		ArgsUsage: "--path PATH ARCHIVE... | ARCHIVE_BASE",
		Description: "PATH is the file's path inside the archive, exactly as `hdf5vault ls` prints it.\n" +
			"It is a flag so that no archive name can be mistaken for it. The stored size and\n" +
			"checksum are checked after the bytes are written: on a mismatch the exit status is\n" +
			"non-zero (and the output must be discarded).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "path", Aliases: []string{"p"}, Usage: "archived file `PATH` (required), e.g. -p Plate1/B03/B03_f07_ch1.tif > field.tif"},
			openQuietFlag(),
		},
		Action: runCat,
	}
}

func runCat(c *cli.Context) error {
	if !c.IsSet("path") {
		return usagef("cat: --path PATH is required")
	}
	stop := readProgress(c, "finding the file", openDelay)
	defer stop()
	s, err := openSetWith(c, "cat", archiveset.OpenOptions{Lazy: true}) // Lookup checks the one file
	if err != nil {
		return err
	}
	defer s.Close()
	p := c.String("path")
	f, err := s.Lookup(p)
	stop()
	if err != nil {
		return fmt.Errorf("cat: %w", err)
	}
	if f == nil {
		return fmt.Errorf("cat: %q is not in the archive set (%d files; `hdf5vault ls` lists them)", p, s.Len())
	}
	if f.Problem != nil {
		return fmt.Errorf("cat: refusing %w", f.Problem)
	}
	w := bufio.NewWriterSize(c.App.Writer, 1<<20)
	err = s.WriteFile(c.Context, f, w)
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return fmt.Errorf("cat: %w", err)
	}
	return nil
}
