package main

// TEMPORARY scaffold: replaced by the ls command's implementation.

import (
	"errors"

	"github.com/urfave/cli/v2"
)

func lsCommand() *cli.Command {
	return &cli.Command{Name: "ls", Usage: "(not built yet)", Action: func(*cli.Context) error {
		return errors.New("ls: not implemented yet")
	}}
}
