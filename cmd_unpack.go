package main

// TEMPORARY scaffold: replaced by the unpack command's implementation.

import (
	"errors"

	"github.com/urfave/cli/v2"
)

func unpackCommand() *cli.Command {
	return &cli.Command{Name: "unpack", Usage: "(not built yet)", Action: func(*cli.Context) error {
		return errors.New("unpack: not implemented yet")
	}}
}
