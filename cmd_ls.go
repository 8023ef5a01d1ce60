package main

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hdf5vault/hdf5vault/archiveset"
)

func lsCommand() *cli.Command {
	return &cli.Command{
		Name:      "ls",
		Usage:     "list the files of an archive set",
		ArgsUsage: "ARCHIVE... | ARCHIVE_BASE",
		Description: "Prints one archived path per line. With -l: size, stored size, ratio (size/stored),\n" +
			"parts, archive number(s) and path, then the totals. Sizes of archives that do not\n" +
			"record them come from the Blosc2 chunk headers (raw payloads: the dataset size).",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "long", Aliases: []string{"l"}, Usage: "show sizes, ratio, parts and archive numbers, e.g. hdf5vault ls -l /archive/plate1"},
		},
		OnUsageError: readUsageError,
		Action:       runLs,
	}
}

func runLs(c *cli.Context) error {
	s, err := openSet(c, "ls")
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.LayoutError(); err != nil {
		return fmt.Errorf("ls: %w", err)
	}
	w := bufio.NewWriterSize(c.App.Writer, 1<<16)
	defer w.Flush()
	if !c.Bool("long") {
		err := s.Walk(c.Context, func(f *archiveset.File) error {
			_, err := fmt.Fprintln(w, f.Path)
			return err
		})
		if err != nil {
			return fmt.Errorf("ls: %w", err)
		}
		return nil
	}
	fmt.Fprintf(w, "%14s %14s %9s %5s %7s  %s\n", "SIZE", "STORED", "RATIO", "PARTS", "ARCHIVE", "PATH")
	var size, stored int64
	files, parts := 0, 0
	err = s.Walk(c.Context, func(f *archiveset.File) error {
		size += f.Size
		stored += f.Stored
		parts += len(f.Parts)
		files++
		_, err := fmt.Fprintf(w, "%14d %14d %9s %5d %7s  %s\n", f.Size, f.Stored, ratio(f.Size, f.Stored),
			len(f.Parts), archives(f.Members()), f.Path)
		return err
	})
	if err != nil {
		return fmt.Errorf("ls: %w", err)
	}
	fmt.Fprintf(w, "%14d %14d %9s %5d %7s  total: %d files in %d archive file(s)\n",
		size, stored, ratio(size, stored), parts, "", files, len(s.Members))
	return nil
}

func ratio(size, stored int64) string {
	if stored == 0 {
		return "-"
	}
	return strconv.FormatFloat(float64(size)/float64(stored), 'f', 3, 64)
}

func archives(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}
