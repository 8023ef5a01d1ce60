package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"
)

// normalizeArgs rewrites a command line so that urfave/cli, whose flag
// parsing stops at the first argument, sees every flag of the command:
// flags (with their values) move before the arguments, combined short flags
// are split (-lh → -l -h, -j4 → -j 4), -h means --help where the command has
// no -h of its own, and "--" ends the flags (everything after it is an
// argument). The result is argv[0], the global flags, the command, its flags,
// then "--" and the arguments.
//
// It returns a usageError for what cli would misreport: no command, an
// unknown command (with a suggestion), a flag before the command that is not
// a global one. Unknown flags of a command are passed on for cli to report.
func normalizeArgs(app *cli.App, argv []string) ([]string, error) {
	out := []string{argv[0]}
	rest := argv[1:]
	if len(rest) > 0 && strings.HasPrefix(rest[0], "-") && rest[0] != "-" && rest[0] != "--" {
		switch rest[0] {
		case "-h", "--help", "-help":
			return append(out, "--help"), nil
		case "--version", "-version":
			return append(out, "--version"), nil
		}
		return nil, usagef("unknown flag %s before the command (try: hdf5vault --help)", rest[0])
	}
	if len(rest) > 0 && rest[0] == "--" {
		rest = rest[1:]
	}
	if len(rest) == 0 {
		return nil, usagef("no command given; commands: %s (hdf5vault --help explains them)", strings.Join(commandNames(app), ", "))
	}
	name := rest[0]
	if name == "help" || name == "h" { // hdf5vault help [COMMAND]
		if len(rest) == 1 {
			return append(out, "--help"), nil
		}
		if _, err := command(app, rest[1]); err != nil {
			return nil, err
		}
		return append(out, rest[1], "--help"), nil
	}
	cmd, err := command(app, name)
	if err != nil {
		return nil, err
	}
	flags, args, err := splitFlags(cmd.Flags, rest[1:])
	if err != nil {
		return nil, usagef("%s: %v (hdf5vault %s --help lists its flags)", name, err, name)
	}
	out = append(out, name)
	out = append(out, flags...)
	if len(args) > 0 {
		out = append(out, "--")
		out = append(out, args...)
	}
	return out, nil
}

// command finds the command called name, or says which one was meant.
func command(app *cli.App, name string) (*cli.Command, error) {
	if cmd := app.Command(name); cmd != nil {
		return cmd, nil
	}
	msg := fmt.Sprintf("unknown command %q", name)
	if s := suggest(name, commandNames(app)); s != "" {
		msg += fmt.Sprintf("; did you mean %s?", s)
	}
	return nil, usagef("%s (commands: %s)", msg, strings.Join(commandNames(app), ", "))
}

// splitFlags separates a command's flag tokens (each value kept after its
// flag) from its arguments, in their order. A flag that needs a value and is
// the last token is an error here: after the move, cli would take the "--"
// before the arguments for its value.
func splitFlags(defs []cli.Flag, tokens []string) (flags, args []string, err error) {
	byName := map[string]cli.Flag{}
	for _, f := range defs {
		for _, n := range f.Names() {
			byName[n] = f
		}
	}
	for i := 0; i < len(tokens); i++ {
		t := tokens[i]
		if t == "--" {
			return flags, append(args, tokens[i+1:]...), nil
		}
		if len(t) < 2 || t[0] != '-' {
			args = append(args, t)
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(t, "-"), "=")
		if f, ok := byName[name]; ok {
			flags = append(flags, t)
			if takesValue(f) && !hasValue {
				if i+1 == len(tokens) {
					return nil, nil, fmt.Errorf("flag %s needs a value", t)
				}
				i++
				flags = append(flags, tokens[i])
			}
			continue
		}
		if name == "help" || name == "h" {
			flags = append(flags, "--help")
			continue
		}
		if strings.HasPrefix(t, "--") || hasValue {
			flags = append(flags, t) // unknown: cli reports it
			continue
		}
		// -lh, -qj4: single letters, each a flag; the first that takes a
		// value takes the rest of the token, or the next token.
		split, needsNext, ok := splitShort(t[1:], byName)
		if !ok {
			flags = append(flags, t) // unknown: cli reports it
			continue
		}
		flags = append(flags, split...)
		if needsNext {
			if i+1 == len(tokens) {
				return nil, nil, fmt.Errorf("flag %s needs a value", split[len(split)-1])
			}
			i++
			flags = append(flags, tokens[i])
		}
	}
	return flags, args, nil
}

// splitShort splits the letters of a combined short flag token (without its
// dash). ok is false when a letter is not a flag of the command.
func splitShort(letters string, byName map[string]cli.Flag) (split []string, needsNext, ok bool) {
	for i, r := range letters {
		l := string(r)
		f, known := byName[l]
		if !known && l != "h" {
			return nil, false, false
		}
		if !known { // -h where the command has no -h of its own
			split = append(split, "--help")
			continue
		}
		split = append(split, "-"+l)
		if takesValue(f) {
			if v := letters[i+len(l):]; v != "" {
				return append(split, v), false, true
			}
			return split, true, true
		}
	}
	return split, false, true
}

// takesValue reports whether f is given a value (-j 4), not alone (-q).
func takesValue(f cli.Flag) bool {
	d, ok := f.(cli.DocGenerationFlag)
	return ok && d.TakesValue()
}

// visibleCommands are the commands --help lists, in its order.
func visibleCommands(app *cli.App) []*cli.Command {
	var cs []*cli.Command
	for _, c := range app.Commands {
		if !c.Hidden {
			cs = append(cs, c)
		}
	}
	return cs
}

// commandNames lists the visible commands, in the order of --help.
func commandNames(app *cli.App) []string {
	var names []string
	for _, c := range visibleCommands(app) {
		names = append(names, c.Name)
	}
	return names
}

// suggest returns the name closest to s when it is close enough to be a
// typo (at most 2 edits, and at most one per 3 letters of the name), or "".
func suggest(s string, names []string) string {
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	for _, n := range names {
		if d := editDistance(s, n); d <= 2 && 3*d <= len(n)+1 {
			cs = append(cs, cand{n, d})
		}
	}
	if len(cs) == 0 {
		return ""
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	return cs[0].name
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of two neighbours (craete → create).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
