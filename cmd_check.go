package main

// TEMPORARY scaffold: replaced by the check command's implementation.

import (
	"errors"

	"github.com/urfave/cli/v2"
)

func checkCommand() *cli.Command {
	return &cli.Command{Name: "check", Usage: "(not built yet)", Action: func(*cli.Context) error {
		return errors.New("check: not implemented yet")
	}}
}
