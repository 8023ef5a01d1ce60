package main

// TEMPORARY scaffold: replaced by the create command's implementation.

import (
	"errors"

	"github.com/urfave/cli/v2"
)

func createCommand() *cli.Command {
	return &cli.Command{Name: "create", Usage: "(not built yet)", Action: func(*cli.Context) error {
		return errors.New("create: not implemented yet")
	}}
}
