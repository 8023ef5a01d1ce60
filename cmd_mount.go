package main

import (
	"fmt"
	"os"

	"github.com/hdf5vault/hdf5vault/archiveset"
	"github.com/hdf5vault/hdf5vault/mount"
	"github.com/urfave/cli/v2"
)

func mountCommand() *cli.Command {
	return &cli.Command{
		Name:      "mount",
		Usage:     "serve an archive set as a read-only file system (FUSE) until unmounted",
		ArgsUsage: "ARCHIVE_BASE|ARCHIVE... MOUNTPOINT",
		Description: "Shows the set's files under MOUNTPOINT with their original paths, sizes, mtimes and\n" +
			"modes; tools read them in place. A read decodes only the Blosc2 blocks it covers, through\n" +
			"a cache of decoded blocks (--cache-size). Runs in the foreground; SIGINT, SIGTERM or\n" +
			"`fusermount3 -u MOUNTPOINT` unmount it (exit 0). A file that fails to decode, or whose\n" +
			"bytes fail the stored checksum once read to the end, gives EIO and is logged to stderr.\n" +
			"Needs /dev/fuse and fusermount3 (Debian: fuse3).\n" +
			"Example: hdf5vault mount /archive/plate1 /mnt/plate1",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "cache-size", Value: "64MiB", Usage: "bytes of decoded blocks kept in memory (suffixes KiB MiB GiB), e.g. --cache-size 256MiB"},
			&cli.BoolFlag{Name: "debug", Aliases: []string{"e"}, Usage: "log every FUSE request to stderr"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no start-up line or warning on stderr (files that fail still log there), e.g. -q"},
		},
		Action: runMount,
	}
}

func runMount(c *cli.Context) error {
	if c.NArg() < 2 {
		return usagef("mount: want ARCHIVE_BASE (or its member files) and MOUNTPOINT, got %d argument(s)", c.NArg())
	}
	cacheSize, err := parseBytes(c.String("cache-size"))
	if err != nil || cacheSize < 1<<20 {
		return usagef("mount: --cache-size %q: want at least 1MiB, e.g. 64MiB", c.String("cache-size"))
	}
	args := c.Args().Slice()
	mountpoint := args[len(args)-1]
	if st, err := os.Stat(mountpoint); err != nil || !st.IsDir() {
		return fmt.Errorf("mount: mount point %s is not a directory (%v)", mountpoint, err)
	}
	s, err := archiveset.OpenArgs(c.Context, args[:len(args)-1])
	if err != nil {
		return fmt.Errorf("mount: %w", err)
	}
	defer s.Close()
	log := c.App.ErrWriter
	if err := s.LayoutError(); err != nil && !c.Bool("quiet") {
		fmt.Fprintf(log, "hdf5vault mount: these files give EIO: %v\n", err)
	}
	o := mount.Options{CacheSize: cacheSize, Log: log, Name: s.Members[0].Path, Debug: c.Bool("debug")}
	err = mount.Serve(c.Context, s, mountpoint, o, func() {
		if c.Bool("quiet") {
			return
		}
		fmt.Fprintf(log, "hdf5vault mount: %d files of %s on %s (read-only); unmount with Ctrl-C or fusermount3 -u %s\n",
			s.Len(), s.Stem, mountpoint, mountpoint)
	})
	if err != nil {
		return fmt.Errorf("mount: %w", err)
	}
	return nil
}
