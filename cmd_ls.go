package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/archiveset"
	"github.com/hdf5vault/hdf5vault/jsonl"
	"github.com/hdf5vault/hdf5vault/shellquote"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

func lsCommand() *cli.Command {
	return &cli.Command{
		Name:      "ls",
		Usage:     "list the files of an archive set",
		ArgsUsage: "ARCHIVE... | ARCHIVE_BASE",
		Description: "Prints one archived path per line. With -l: size, stored size, ratio (size/stored),\n" +
			"parts, archive number(s) and path, then the totals. Sizes of archives that do not\n" +
			"record them come from the Blosc2 chunk headers (raw payloads: the dataset size).\n" +
			"On a terminal, names with control characters or shell metacharacters are quoted as\n" +
			"GNU ls does ('a'$'\\n''b'); --quote forces that, --literal turns it off. For scripts:\n" +
			"-0 ends each path with NUL, --json writes JSON lines: a \"file\" object per file, then a\n" +
			"\"summary\" object (the schema every command's --json shares).",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "long", Aliases: []string{"l"}, Usage: "show sizes, ratio, parts and archive numbers, e.g. hdf5vault ls -l /archive/plate1"},
			&cli.BoolFlag{Name: "human-readable", Aliases: []string{"h"}, Usage: "with -l, sizes in powers of 1024 (1.5K 234M 2.0G), e.g. hdf5vault ls -lh /archive/plate1"},
			&cli.BoolFlag{Name: "null", Aliases: []string{"0"}, Usage: "end each path with NUL instead of a newline, unquoted, e.g. hdf5vault ls -0 A | xargs -0 ..."},
			&cli.BoolFlag{Name: "json", Usage: "write JSON lines: a file object per file (path, size_bytes, stored_bytes, parts, archives, mtime, mode, checksum), then a summary object"},
			&cli.BoolFlag{Name: "quote", Usage: "quote names as a shell would need them even when not on a terminal"},
			&cli.BoolFlag{Name: "literal", Aliases: []string{"N"}, Usage: "print names as they are even on a terminal"},
			openQuietFlag(),
		},
		Action: runLs,
	}
}

func runLs(c *cli.Context) error {
	if n := countTrue(c.Bool("null"), c.Bool("json"), c.Bool("long")); n > 1 {
		return usagef("ls: -0, --json and -l are different output formats; give one")
	}
	if c.Bool("quote") && c.Bool("literal") {
		return usagef("ls: --quote and --literal contradict each other")
	}
	if c.NArg() == 0 && c.Bool("human-readable") {
		return usagef("ls: no archive given (for ls, -h is --human-readable as in GNU ls; --help shows help)")
	}
	if c.Bool("json") {
		j := startJSON(c, "listing")
		return j.finish(lsJSON(c, j))
	}
	stop := readProgress(c, "listing", openDelay)
	// Names alone need only the index: no file's layout is checked (a
	// container lookup per part in the original's sets); -l needs sizes.
	s, err := openSetWith(c, "ls", archiveset.OpenOptions{Lazy: !c.Bool("long")})
	stop()
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.LayoutError(); err != nil {
		return fmt.Errorf("ls: %w", err)
	}
	w := bufio.NewWriterSize(c.App.Writer, 1<<16)
	defer w.Flush()
	name := func(p string) string { return p }
	if c.Bool("quote") || !c.Bool("literal") && isTerminal(c.App.Writer) {
		name = shellquote.Quote
	}
	switch {
	case c.Bool("null"):
		err = s.Paths(c.Context, func(p string) error {
			w.WriteString(p)
			return w.WriteByte(0)
		})
	case !c.Bool("long"):
		err = s.Paths(c.Context, func(p string) error {
			_, err := fmt.Fprintln(w, name(p))
			return err
		})
	default:
		return lsLong(c, w, s, name)
	}
	if err != nil {
		return fmt.Errorf("ls: %w", err)
	}
	return nil
}

// lsLong writes one line per file with sizes, ratio, parts and archive
// numbers, then the totals.
func lsLong(c *cli.Context, w *bufio.Writer, s *archiveset.Set, name func(string) string) error {
	fmt.Fprintf(w, "%14s %14s %9s %5s %7s  %s\n", "SIZE", "STORED", "RATIO", "PARTS", "ARCHIVE", "PATH")
	size := func(n int64) string { return strconv.FormatInt(n, 10) }
	if c.Bool("human-readable") {
		size = humanSize
	}
	var total, stored int64
	files, parts := 0, 0
	err := s.Walk(c.Context, func(f *archiveset.File) error {
		total += f.Size
		stored += f.Stored
		parts += len(f.Parts)
		files++
		_, err := fmt.Fprintf(w, "%14s %14s %9s %5d %7s  %s\n", size(f.Size), size(f.Stored), ratio(f.Size, f.Stored),
			len(f.Parts), archives(f.Members()), name(f.Path))
		return err
	})
	if err != nil {
		return fmt.Errorf("ls: %w", err)
	}
	fmt.Fprintf(w, "%14s %14s %9s %5d %7s  total: %d files in %d archive file(s)\n",
		size(total), size(stored), ratio(total, stored), parts, "", files, len(s.Members))
	return nil
}

// lsJSON writes a "file" line per file; control characters in names come
// out as JSON escapes. The summary counts what was listed.
func lsJSON(c *cli.Context, j *jsonRun) error {
	s, err := openSet(c, "ls")
	if err != nil {
		return err
	}
	defer s.Close()
	j.set(s)
	if err := s.LayoutError(); err != nil {
		return fmt.Errorf("ls: %w", err)
	}
	sum := j.sum
	j.lines.Buffered(1 << 16)
	err = s.Walk(c.Context, func(f *archiveset.File) error {
		sum.Files++
		sum.Parts += int64(len(f.Parts))
		sum.RawBytes += f.Size
		sum.StoredBytes += f.Stored
		j.lines.Write(fileLine(f))
		return j.lines.Err()
	})
	if err != nil {
		return fmt.Errorf("ls: %w", err)
	}
	return nil
}

func fileLine(f *archiveset.File) jsonl.FileLine {
	l := jsonl.FileLine{MessageType: jsonl.TypeFile, Path: f.Path, SizeBytes: f.Size, StoredBytes: f.Stored,
		Parts: len(f.Parts), Archives: f.Members()}
	if f.MtimeNs != nil {
		l.Mtime = time.Unix(0, *f.MtimeNs).UTC().Format(time.RFC3339Nano)
	}
	if f.Mode != nil {
		l.Mode = fmt.Sprintf("%04o", *f.Mode&0o7777)
	}
	if f.Checksum != nil {
		l.Checksum = archive.FormatChecksum(f.Checksum)
	}
	return l
}

// isTerminal reports whether w is a terminal (names are then quoted).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// humanSize writes n bytes as GNU ls -h does: powers of 1024, one decimal
// below 10 (rounded up, so a size is never shown smaller than it is).
func humanSize(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10)
	}
	v := float64(n)
	unit := 0
	for v >= 1024 && unit < 5 {
		v /= 1024
		unit++
	}
	if v < 10 {
		v = math.Ceil(v*10) / 10
	} else {
		v = math.Ceil(v)
	}
	if v >= 1024 && unit < 5 { // 1023.9K rounds up to 1.0M
		v, unit = 1, unit+1
	}
	format := "%.0f%c"
	if v < 10 {
		format = "%.1f%c"
	}
	return fmt.Sprintf(format, v, "KMGTPE"[unit-1])
}

func countTrue(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

func ratio(size, stored int64) string {
	if stored == 0 {
		return "-"
	}
	return strconv.FormatFloat(float64(size)/float64(stored), 'f', 3, 64)
}

func archives(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}
