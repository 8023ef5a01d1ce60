package main

// Selection flags shared by create, unpack and check: --include, --exclude,
// --files-from (with --null) and unpack's PATH arguments.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/selection"
)

const globHelp = "GLOB is matched against archive paths (as ls prints them): * and ? stop at /, ** spans directories; " +
	"without a / it matches a name at any depth; a directory selects everything below it; a trailing / matches directories only"

func excludeFlag() cli.Flag {
	return &cli.GenericFlag{Name: "exclude", Value: &globList{}, Usage: "leave out paths matching `GLOB` (repeatable; wins over the rest), e.g. --exclude '*.tmp' --exclude Plate1/B03. " + globHelp}
}

func includeFlag() cli.Flag {
	return &cli.GenericFlag{Name: "include", Value: &globList{}, Usage: "only paths matching `GLOB` (repeatable; adds to the PATHs given), e.g. --include 'Plate1/*/B03_*.tif'"}
}

// globList is a repeatable flag's values, each kept whole: cli's
// StringSliceFlag would split "a,b" at the comma and trim spaces, which
// names may hold.
type globList []string

// globListPrefix marks String's serialization, which Set reads back
// whole: a flag value re-set from its String (create's flags after the
// arguments) must not become one more glob.
const globListPrefix = "\x00globs:"

func (g *globList) Set(v string) error {
	if rest, ok := strings.CutPrefix(v, globListPrefix); ok {
		return json.Unmarshal([]byte(rest), (*[]string)(g))
	}
	*g = append(*g, v)
	return nil
}

func (g *globList) String() string {
	if g == nil || len(*g) == 0 {
		return ""
	}
	b, _ := json.Marshal([]string(*g))
	return globListPrefix + string(b)
}

// globs returns a glob flag's values.
func globs(c *cli.Context, name string) []string {
	if g, ok := c.Generic(name).(*globList); ok && g != nil {
		return *g
	}
	return nil
}

func filesFromFlag() cli.Flag {
	return &cli.StringFlag{Name: "files-from", Usage: "only the paths listed in `FILE` (- for stdin), one per line, relative to the directory; a directory lists everything below it, e.g. --files-from todo.txt"}
}

func nullFlag() cli.Flag {
	return &cli.BoolFlag{Name: "null", Usage: "--files-from's paths are separated by NUL bytes (find -print0), not newlines, e.g. --null"}
}

// newSelection parses literal paths, --include and --exclude; a bad glob or
// path is a usage error naming it.
func newSelection(cmd string, paths, include, exclude []string) (*selection.Selection, error) {
	sel, err := selection.New(paths, include, exclude)
	if err != nil {
		return nil, usagef("%s: %v", cmd, err)
	}
	return sel, nil
}

// readFilesFrom reads --files-from: paths relative to dir, one per line (or
// NUL-separated with --null), empty entries skipped. Every path must exist
// under dir (lstat); the missing ones are named together (exit 1). A path
// that is absolute or leaves the tree is a usage error naming its line.
func readFilesFrom(c *cli.Context, cmd, dir string) ([]string, error) {
	name := c.String("files-from")
	if name == "" {
		if c.Bool("null") {
			return nil, usagef("%s: --null only applies to --files-from", cmd)
		}
		return nil, nil
	}
	var r io.Reader = os.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("%s: --files-from %w", cmd, err)
		}
		defer f.Close()
		r = f
	}
	list, err := selection.ReadList(r, c.Bool("null"))
	if err != nil {
		return nil, fmt.Errorf("%s: --files-from %s: %w", cmd, name, err)
	}
	var missing []string
	for i, p := range list {
		clean, err := selection.CleanPath(p)
		if err != nil {
			return nil, usagef("%s: --files-from %s, entry %d: %v", cmd, name, i+1, err)
		}
		if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(clean))); err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("%s: --files-from %s: %w", cmd, name, err)
			}
			missing = append(missing, p)
		}
		list[i] = clean
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: --files-from %s lists %d path(s) missing in %s: %s", cmd, name, len(missing), dir, firstFew(missing))
	}
	if len(list) == 0 {
		return nil, usagef("%s: --files-from %s lists no path", cmd, name)
	}
	return list, nil
}

func firstFew(list []string) string {
	const show = 10
	s := strings.Join(list[:min(show, len(list))], ", ")
	if len(list) > show {
		s += fmt.Sprintf(" and %d more", len(list)-show)
	}
	return s
}

// splitSetArgs separates unpack's arguments: the first names the set (a
// base or a member file); the next ones that are existing .h5/.zip files
// (or absolute .h5/.zip paths, which no archive path is) are further
// members; the rest are paths in the set.
func splitSetArgs(args []string) (set, paths []string) {
	n := 1
	for n < len(args) && archive.IsArchiveName(args[n]) {
		if _, err := os.Stat(args[n]); err != nil && !filepath.IsAbs(args[n]) {
			break
		}
		n++
	}
	return args[:n], args[n:]
}
