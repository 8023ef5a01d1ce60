package main

import (
	"fmt"

	"github.com/hdf5vault/hdf5vault/archiveset"
	"github.com/hdf5vault/hdf5vault/blosc"
	"github.com/urfave/cli/v2"
)

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "read and decode a whole archive set and compare it with its stored checksums",
		ArgsUsage: "ARCHIVE... | ARCHIVE_BASE",
		Description: "Needs no source tree. Every file is decoded and compared with the sizes and XXH3-128\n" +
			"checksums the archive records; each damaged file is named and the exit status is 3.\n" +
			"Example: hdf5vault verify /archive/plate1 (or the member files /archive/plate1_*.h5).\n" +
			"Archives written by the original HDF5Vault record no checksums: they are still decoded\n" +
			"in full and their sizes checked. Parts written by create -d before it kept its dictionaries\n" +
			"within C-Blosc2's limit are read, but listed as NOT-C-READABLE (exit 3): other readers fail on them.",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "workers", Aliases: []string{"w"}, Value: archiveset.Workers(), Usage: "files decoded in parallel, e.g. -w 4"},
			quietFlag(),
		},
		OnUsageError: readUsageError,
		Action:       runVerify,
	}
}

func runVerify(c *cli.Context) error {
	if c.Int("workers") < 1 {
		return usagef("verify: -w must be at least 1")
	}
	stop := readProgress(c, "verifying")
	defer stop()
	s, err := openSet(c, "verify")
	if err != nil {
		return err
	}
	defer s.Close()
	// Files refused by the layout check are reported as damaged by Verify.
	res, err := s.Verify(c.Context, c.Int("workers"))
	stop()
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	w := c.App.Writer
	for _, n := range res.Notes {
		fmt.Fprintln(c.App.ErrWriter, "verify: note:", n)
	}
	for _, d := range res.Damaged {
		fmt.Fprintln(w, "DAMAGED", d)
	}
	for _, d := range res.NotCReadable {
		fmt.Fprintln(w, "NOT-C-READABLE", d)
	}
	if n := len(res.Damaged); n > 0 {
		return mismatchError{fmt.Errorf("verify: %d of %d files damaged", n, res.Files)}
	}
	if n := len(res.NotCReadable); n > 0 {
		return mismatchError{fmt.Errorf("verify: %d of %d files are intact and read by hdf5vault, but C-Blosc2 "+
			"(python-blosc2, the original's unpack) cannot read them: their dictionaries exceed its limit of %d bytes "+
			"(written by create -d before it kept to it); unpack and create again to fix", n, res.Files, blosc.MaxDictSize)}
	}
	if res.Files == 0 {
		fmt.Fprintln(w, "verified an empty set: it holds no files")
		return nil
	}
	if !res.HasChecksum {
		by := "an unknown version"
		if s.Version != "" {
			by = "HDF5Vault " + s.Version
		}
		fmt.Fprintf(w, "verified %d files (%d bytes): all decoded and sizes match; checksums not available "+
			"(the archive, written by %s, records none)\n", res.Files, res.Bytes, by)
		return nil
	}
	fmt.Fprintf(w, "verified %d files (%d bytes): all decoded, sizes match, %d of %d match their stored checksum\n",
		res.Files, res.Bytes, res.WithSum, res.Files)
	return nil
}
