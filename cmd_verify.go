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
			&cli.IntFlag{Name: "jobs", Aliases: []string{"j", "workers"}, Value: archiveset.Workers(), Usage: "files decoded in parallel (--workers is the old name), e.g. -j 4"},
			quietFlag(),
			jsonFlag(),
		},
		Action: runVerify,
	}
}

func runVerify(c *cli.Context) error {
	if c.Int("jobs") < 1 {
		return usagef("verify: -j must be at least 1")
	}
	if !c.Bool("json") {
		return verifyText(c)
	}
	j := startJSON(c, "verifying")
	j.sum.Settings.Workers = c.Int("jobs")
	res, _, err := verify(c, j)
	if err == nil {
		err = verifyDamage(res)
	}
	for _, d := range res.NotCReadable {
		j.sum.Notes = append(j.sum.Notes, "NOT-C-READABLE "+d)
	}
	j.sum.Files, j.sum.Parts, j.sum.RawBytes, j.sum.StoredBytes = int64(res.Files), int64(res.Parts), res.Bytes, res.Stored
	j.sum.ChecksumsCompared = int64(res.WithSum)
	if err == nil && res.Files > 0 && !res.HasChecksum {
		j.sum.Notes = append(j.sum.Notes, "checksums not available: the archive records none; every file was decoded and its size checked")
	}
	return j.finish(err)
}

// verify opens the set and reads it whole (j: for --json, else nil). It
// returns the version that wrote the set too.
func verify(c *cli.Context, j *jsonRun) (archiveset.VerifyResult, string, error) {
	s, err := openSet(c, "verify")
	if err != nil {
		return archiveset.VerifyResult{}, "", err
	}
	defer s.Close()
	if j != nil {
		j.set(s)
	}
	// Files refused by the layout check are reported as damaged by Verify.
	res, err := s.Verify(c.Context, c.Int("jobs"))
	if err != nil {
		return res, s.Version, fmt.Errorf("verify: %w", err)
	}
	return res, s.Version, nil
}

func verifyDamage(res archiveset.VerifyResult) error {
	if n := len(res.Damaged); n > 0 {
		return mismatchError{fmt.Errorf("verify: %d of %d files damaged", n, res.Files)}
	}
	if n := len(res.NotCReadable); n > 0 {
		return mismatchError{fmt.Errorf("verify: %d of %d files are intact and read by hdf5vault, but C-Blosc2 "+
			"(python-blosc2, the original's unpack) cannot read them: their dictionaries exceed its limit of %d bytes "+
			"(written by create -d before it kept to it); unpack and create again to fix", n, res.Files, blosc.MaxDictSize)}
	}
	return nil
}

// verifyText reports in text: damaged files on stdout, notes on stderr.
func verifyText(c *cli.Context) error {
	stop := readProgress(c, "verifying", 0)
	defer stop()
	res, by, err := verify(c, nil)
	stop()
	if err != nil {
		return err
	}
	w := c.App.Writer
	for _, d := range res.Damaged {
		fmt.Fprintln(w, "DAMAGED", d)
	}
	for _, d := range res.NotCReadable {
		fmt.Fprintln(w, "NOT-C-READABLE", d)
	}
	if err := verifyDamage(res); err != nil {
		return err
	}
	if res.Files == 0 {
		fmt.Fprintln(w, "verified an empty set: it holds no files")
		return nil
	}
	if !res.HasChecksum {
		fmt.Fprintf(w, "verified %d files (%d bytes): all decoded and sizes match; checksums not available "+
			"(the archive, written by %s, records none)\n", res.Files, res.Bytes, writtenBy(by))
		return nil
	}
	fmt.Fprintf(w, "verified %d files (%d bytes): all decoded, sizes match, %d of %d match their stored checksum\n",
		res.Files, res.Bytes, res.WithSum, res.Files)
	return nil
}

func writtenBy(v string) string {
	if v == "" {
		return "an unknown version"
	}
	return "HDF5Vault " + v
}
