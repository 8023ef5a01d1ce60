package main

// TEMPORARY scaffold: replaced by the cat command's implementation.

import (
	"errors"

	"github.com/urfave/cli/v2"
)

func catCommand() *cli.Command {
	return &cli.Command{Name: "cat", Usage: "(not built yet)", Action: func(*cli.Context) error {
		return errors.New("cat: not implemented yet")
	}}
}
