package main

// TEMPORARY scaffold: replaced by the bench command's implementation.

import (
	"errors"

	"github.com/urfave/cli/v2"
)

func benchCommand() *cli.Command {
	return &cli.Command{Name: "bench", Usage: "(not built yet)", Action: func(*cli.Context) error {
		return errors.New("bench: not implemented yet")
	}}
}
