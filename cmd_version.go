package main

import (
	"fmt"
	"runtime"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/h5sink"
	"github.com/urfave/cli/v2"
)

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:      "version",
		Usage:     "print the version, Go, libhdf5 and archive format versions (as --version does)",
		ArgsUsage: " ",
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("version takes no arguments, got %q", c.Args().First())
			}
			fmt.Fprint(c.App.Writer, versionText())
			return nil
		},
	}
}

// semver is the semantic version with the commit as build metadata
// (0.1.0-dev+3f2a1bc) when the build recorded one.
func semver() string {
	if commit == "" {
		return version
	}
	return version + "+" + commit
}

// versionText is what --version and the version command print.
func versionText() string {
	return fmt.Sprintf("hdf5vault %s\n"+
		"go:      %s %s/%s\n"+
		"libhdf5: %s\n"+
		"format:  HDF5Vault 0.3 archive sets, read and written (written as %s: 0.3 plus a side index)\n",
		semver(), runtime.Version(), runtime.GOOS, runtime.GOARCH, h5sink.LibVersion(), archive.Version)
}
