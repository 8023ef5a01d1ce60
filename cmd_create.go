package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/blosc"
	"github.com/hdf5vault/hdf5vault/h5sink"
	"github.com/hdf5vault/hdf5vault/pipeline"
	"github.com/hdf5vault/hdf5vault/setwriter"
	"github.com/hdf5vault/hdf5vault/walker"
	"github.com/hdf5vault/hdf5vault/zipsink"
)

// defaultMaxMemory bounds the part buffers in flight. Each part holds its raw
// bytes and a compression buffer of about the same size, so 128 MiB is about
// 30 parts of 2 MiB files, more than the stages hold at once on a few cores;
// the rest of the 256 MiB peak RSS target is left to libhdf5 (its metadata
// grows with the datasets per file), the encoders, the Go runtime and the
// index. Measured peak RSS at defaults (-w 2): 72-79 MB on 256 files of 2 MiB,
// 152-163 MB on 20,000 files of 8 KiB, about 300 MB on 100,000 files of 1 KiB
// (there libhdf5's metadata and the 27 MB index with its copies dominate).
const defaultMaxMemory = "128MiB"

func createCommand() *cli.Command {
	return &cli.Command{
		Name:      "create",
		Usage:     "pack SRC_DIR into the archive set ARCHIVE_BASE (BASE.h5, or BASE_<n>.h5 for several writers)",
		ArgsUsage: "SRC_DIR ARCHIVE_BASE",
		Description: "Archives every regular file under SRC_DIR, each (or each part of a split file) as one\n" +
			"Blosc2-compressed 1-D int8 dataset, into -w archive files balanced by size.\n" +
			"Flags may come before or after the arguments, as with the original:\n" +
			"   hdf5vault create /data/plate1 /archive/plate1 -c 8 -t 4 -w 4\n" +
			"writes /archive/plate1_0.h5 ... plate1_3.h5 (a base ending in .h5 is taken without it).\n" +
			"Files are written under temporary names and committed only when the whole set is complete:\n" +
			"a journal (.BASE.hdf5vault-commit) lets the next command finish a commit that was killed.\n" +
			"Final names are never taken by replacing a file; an existing set is replaced only with\n" +
			"--force, which never replaces a non-archive, another set's file or anything inside SRC_DIR.\n" +
			"One run per base: .BASE.hdf5vault-lock names the run (host, pid) holding it.\n" +
			"--json is checked before any work, and a failed run writes it too (\"complete\": false).\n" +
			"Exit status 0 only when every file is stored (with --skip-unreadable, skipped files\n" +
			"make it 1 although the set is written); 2 for a bad command line; 130 when interrupted;\n" +
			"any status but 0 otherwise means no file got a final name.\n" +
			"Memory: peak RSS stays within max(--max-memory, one part's raw + compressed bytes) + 64 MiB:\n" +
			"parts in flight share the budget, and a part larger than the whole budget is read alone.\n" +
			"Trees of very many small files need more for libhdf5's metadata and the index (about\n" +
			"300 MB at 100,000 files).\n" +
			"Temporary files (.NAME.<host>-<pid>-<random>.hdf5vault-tmp) left by a killed run are\n" +
			"removed by the next create into the same directory once that pid is gone on this host.",
		Flags:  createFlags(),
		Action: runCreate,
	}
}

func createFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "writers", Aliases: []string{"w"}, Value: 2,
			Usage: "number of archive files (writers), e.g. -w 4 gives BASE_0.h5 ... BASE_3.h5"},
		&cli.IntFlag{Name: "threads", Aliases: []string{"t"}, Value: 1,
			Usage: "threads compressing the blocks of one chunk, e.g. -t 4 (helps with few large files)"},
		&cli.IntFlag{Name: "clevel", Aliases: []string{"c"}, Value: 8,
			Usage: "compression level 1-9, e.g. -c 5 (faster, larger)"},
		&cli.StringFlag{Name: "cmethod", Aliases: []string{"m"}, Value: "blosc2",
			Usage: "compression method: blosc2, or none to store every file raw, e.g. -m none"},
		&cli.StringFlag{Name: "chunksize", Aliases: []string{"s"}, Value: strconv.Itoa(archive.DefaultChunkSize),
			Usage: fmt.Sprintf("split files larger than this many bytes into parts (at most %d), e.g. -s 500000000 or -s 512MiB", archive.MaxChunkSize)},
		&cli.BoolFlag{Name: "use-dict", Aliases: []string{"d"},
			Usage: "zstd only: train a dictionary per chunk and embed it, e.g. -d"},
		&cli.BoolFlag{Name: "zip", Aliases: []string{"z"},
			Usage: "write ZIP containers (BASE_<n>.zip) instead of HDF5, e.g. -z"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"},
			Usage: "no progress, warnings or summary (errors still go to stderr), e.g. -q"},
		&cli.BoolFlag{Name: "debug", Aliases: []string{"e"},
			Usage: "print the settings and buffer use, e.g. -e"},
		&cli.IntFlag{Name: "jobs", Aliases: []string{"j"},
			Usage: "compressor goroutines (default: all CPUs), e.g. -j 8"},
		&cli.StringFlag{Name: "codec", Value: "zstd",
			Usage: "Blosc2 codec: zstd, lz4, lz4hc or zlib, e.g. --codec lz4"},
		&cli.StringFlag{Name: "json",
			Usage: "also write the summary as JSON to FILE, or to stdout with -, e.g. --json run.json"},
		&cli.BoolFlag{Name: "force",
			Usage: "replace an existing archive set with this base (older members not rewritten are removed), e.g. --force"},
		&cli.StringFlag{Name: "max-memory", Value: defaultMaxMemory,
			Usage: "bytes of file data in flight; peak RSS stays within max(this, one part's raw + compressed) + 64 MiB (suffixes KiB MiB GiB, KB MB GB), e.g. --max-memory 1GiB"},
		&cli.BoolFlag{Name: "follow-symlinks",
			Usage: "archive what symlinks point to (loops are detected and skipped), e.g. --follow-symlinks"},
		&cli.BoolFlag{Name: "skip-unreadable",
			Usage: "list unreadable or changing files in the summary instead of failing (exit status stays 1), e.g. --skip-unreadable"},
	}
}

// createOptions are the parsed and checked command line.
type createOptions struct {
	src, base string
	writers   int
	compress  bool
	blosc     blosc.Options
	jobs      int
	chunk     int64
	zip       bool
	quiet     bool
	debug     bool
	jsonOut   string
	force     bool
	maxMemory int64
	follow    bool
	skipBad   bool
}

func runCreate(c *cli.Context) error {
	for _, a := range c.Args().Slice() {
		if a == "-h" || a == "--help" { // after the arguments, where cli does not look
			return cli.ShowSubcommandHelp(c)
		}
	}
	o, err := parseCreate(c)
	if err != nil {
		return err
	}
	return create(c, o)
}

// parseCreate reads the flags, including those after the two arguments (the
// original's usage), which the flag package leaves among the arguments.
func parseCreate(c *cli.Context) (*createOptions, error) {
	args, err := interspersed(c)
	if err != nil {
		return nil, err
	}
	if len(args) != 2 {
		return nil, usagef("create needs SRC_DIR and ARCHIVE_BASE (got %d arguments)", len(args))
	}
	o := &createOptions{
		src: args[0], base: args[1],
		writers: c.Int("writers"), jobs: c.Int("jobs"), zip: c.Bool("zip"),
		quiet: c.Bool("quiet"), debug: c.Bool("debug"), jsonOut: c.String("json"),
		force: c.Bool("force"), follow: c.Bool("follow-symlinks"), skipBad: c.Bool("skip-unreadable"),
	}
	if o.writers < 1 {
		return nil, usagef("--writers must be at least 1, got %d", o.writers)
	}
	if o.jobs < 0 {
		return nil, usagef("--jobs must not be negative, got %d", o.jobs)
	}
	if o.jobs == 0 {
		o.jobs = runtime.NumCPU()
	}
	if o.chunk, err = parseBytes(c.String("chunksize")); err != nil || o.chunk < 1 || o.chunk > archive.MaxChunkSize {
		return nil, usagef("--chunksize must be 1..%d bytes, got %q", archive.MaxChunkSize, c.String("chunksize"))
	}
	if o.maxMemory, err = parseBytes(c.String("max-memory")); err != nil || o.maxMemory < 1<<20 {
		return nil, usagef("--max-memory must be a size of at least 1MiB, e.g. 256MiB, got %q", c.String("max-memory"))
	}
	switch strings.ToLower(c.String("cmethod")) {
	case "blosc2":
		o.compress = true
	case "none":
	default:
		return nil, usagef("--cmethod must be blosc2 or none, got %q", c.String("cmethod"))
	}
	if err := o.parseBlosc(c); err != nil {
		return nil, err
	}
	return o, nil
}

func (o *createOptions) parseBlosc(c *cli.Context) error {
	b := blosc.DefaultOptions() // typesize 8, byte shuffle, auto split: the original's
	var err error
	if b.Codec, err = blosc.ParseCodec(c.String("codec")); err != nil {
		return usagef("--codec: %v", err)
	}
	if b.Level = c.Int("clevel"); b.Level < 1 || b.Level > 9 {
		return usagef("--clevel must be 1..9, got %d", b.Level)
	}
	if b.Threads = c.Int("threads"); b.Threads < 1 {
		return usagef("--threads must be at least 1, got %d", b.Threads)
	}
	b.UseDict = c.Bool("use-dict")
	if _, err := blosc.NewEncoder(b); err != nil { // the encoder is the judge of combinations
		return usagef("compression settings: %v", err)
	}
	o.blosc = b
	return nil
}

// interspersed parses flags found among the arguments and returns the
// positional arguments.
func interspersed(c *cli.Context) ([]string, error) {
	rest := c.Args().Slice()
	set := flag.NewFlagSet("create", flag.ContinueOnError)
	set.SetOutput(io.Discard)
	primary := map[string][]string{}
	for _, f := range c.Command.Flags {
		if err := f.Apply(set); err != nil {
			return nil, err
		}
		for _, n := range f.Names() {
			primary[n] = f.Names()
		}
	}
	var args []string
	for {
		if err := set.Parse(rest); err != nil {
			return nil, usagef("%v", err)
		}
		rest = set.Args()
		if len(rest) == 0 {
			break
		}
		if rest[0] == "--" {
			args = append(args, rest[1:]...)
			break
		}
		args, rest = append(args, rest[0]), rest[1:]
	}
	var err error
	set.Visit(func(f *flag.Flag) {
		for _, n := range primary[f.Name] {
			if e := c.Set(n, f.Value.String()); e != nil && err == nil {
				err = usagef("%v", e)
			}
		}
	})
	return args, err
}

// parseBytes reads "1000", "256MiB", "1.5GB".
func parseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := s, ""
	if i >= 0 {
		num, unit = s[:i], strings.TrimSpace(s[i:])
	}
	mult := map[string]float64{
		"": 1, "b": 1,
		"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
		"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
		"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
		"t": 1 << 40, "tib": 1 << 40, "tb": 1e12,
	}[strings.ToLower(unit)]
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || mult == 0 || v < 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	v *= mult
	if v > 1<<62 {
		return 0, fmt.Errorf("size %q too large", s)
	}
	return int64(v), nil
}

// create runs the archiving job: the --json path and the set's names are
// checked before any work, the set is written under temporary names and
// committed by its owner (setwriter), and the summary takes its name last.
func create(c *cli.Context, o *createOptions) error {
	start := time.Now()
	ctx := c.Context
	say := func(s string) {
		if !o.quiet {
			fmt.Fprintln(os.Stderr, "hdf5vault:", s)
		}
	}
	if fi, err := os.Stat(o.src); err != nil || !fi.IsDir() {
		if err == nil {
			err = errors.New("not a directory")
		}
		return fmt.Errorf("source %s: %w", o.src, err)
	}
	if err := o.trimBaseExt(say); err != nil {
		return err
	}
	js, err := openSummary(o, say)
	if err != nil {
		return err
	}
	defer js.discard()
	var res *pipeline.Result
	var sum *pipeline.Summary
	opts := setwriter.Options{Base: o.base, Writers: o.writers, Zip: o.zip, Force: o.force, Source: o.src, Note: say}
	open := func(p string) (archive.Writer, error) { return openWriter(p, o.zip) }
	set, err := setwriter.Write(opts, open, func(s *setwriter.Set, ws []archive.Writer) error {
		progress := newProgress(o.quiet)
		cfg := o.pipelineConfig(ws, progress, s.Exclude, say)
		cfg.Members = s.Final
		if o.debug {
			fmt.Fprintf(os.Stderr, "hdf5vault: create %s -> %v; compress=%v %+v jobs=%d chunk=%d max-memory=%d\n",
				o.src, s.Final, o.compress, o.blosc, o.jobs, o.chunk, o.maxMemory)
		}
		var err error
		res, err = pipeline.Run(ctx, cfg)
		progress.Close()
		if err != nil {
			return err
		}
		sum = pipeline.NewSummary(o.src, res, s.Temp, time.Since(start), o.maxMemory)
		for i := range sum.Archives {
			sum.Archives[i].Path = s.Final[i]
		}
		return js.prepare(sum) // everything that can fail happens before the commit
	})
	if err != nil {
		js.fail(o, res, err, time.Since(start))
		return err
	}
	js.publish()
	for _, p := range set.Replaced() {
		say("replaced " + p + " (--force)")
	}
	if !o.quiet {
		sum.WriteText(os.Stderr)
	}
	if o.debug {
		fmt.Fprintf(os.Stderr, "hdf5vault: peak buffered %d of %d bytes\n", res.HighWater, o.maxMemory)
	}
	o.warnEmpty(res, say)
	if !sum.CompleteStore {
		return fmt.Errorf("%d unreadable files were not archived (first: %s: %s); the rest is in %s",
			len(sum.Unreadable), sum.Unreadable[0].Path, sum.Unreadable[0].Reason, strings.Join(set.Final, ", "))
	}
	return nil
}

func (o *createOptions) pipelineConfig(ws []archive.Writer, progress pipeline.Progress, exclude func(dir, name string) bool, say func(string)) pipeline.Config {
	return pipeline.Config{
		Source: o.src, ChunkSize: o.chunk, Compress: o.compress, Blosc: o.blosc,
		Jobs: o.jobs, MaxMemory: o.maxMemory, Writers: ws, SkipUnreadable: o.skipBad,
		Root:     archive.RootAttrs{Description: archive.Description, Version: archive.Version, ChunkSize: o.chunk},
		Progress: progress,
		Walk: walker.Options{
			FollowSymlinks: o.follow,
			Exclude:        exclude,
			Warn:           func(s walker.Skip) { say(fmt.Sprintf("skipping %s: %s", s.Path, s.Reason)) },
			Note:           func(rel, msg string) { say(fmt.Sprintf("%s: %s", rel, msg)) },
		},
	}
}

// trimBaseExt takes "out/a.h5" as the base "out/a", saying so; an extension
// of the other container kind is refused with the fix.
func (o *createOptions) trimBaseExt(say func(string)) error {
	ext := archive.ExtOf(o.base)
	if ext == "" {
		return nil
	}
	trimmed := strings.TrimSuffix(o.base, ext)
	if ext != archive.Ext(o.zip) {
		fix := "add -z for zip containers"
		if !strings.HasSuffix(ext, "zip") {
			fix = "drop -z for HDF5 files"
		}
		return usagef("ARCHIVE_BASE %s ends in %s: give the base without extension (%s), and %s", o.base, ext, trimmed, fix)
	}
	if filepath.Base(trimmed) == "" || filepath.Base(trimmed) == "." {
		return usagef("ARCHIVE_BASE %s has no name before %s", o.base, ext)
	}
	first := filepath.Join(filepath.Dir(trimmed), archive.FileName(filepath.Base(trimmed), 0, o.writers, o.zip))
	say(fmt.Sprintf("ARCHIVE_BASE %s is taken as the base %s (the set's first file: %s)", o.base, trimmed, first))
	o.base = trimmed
	return nil
}

// warnEmpty warns when archive files of the set hold nothing.
func (o *createOptions) warnEmpty(res *pipeline.Result, say func(string)) {
	switch {
	case res.Files == 0:
		say(fmt.Sprintf("warning: the source %s holds no files: the set's %d archive files hold no data", o.src, o.writers))
	case res.Parts < int64(o.writers):
		say(fmt.Sprintf("warning: -w %d but only %d files (%d datasets): %d archive files hold no data; use -w %d or less",
			o.writers, res.Files, res.Parts, int64(o.writers)-res.Parts, res.Parts))
	}
}

func openWriter(path string, zip bool) (archive.Writer, error) {
	if zip {
		return zipsink.Create(path)
	}
	return h5sink.Create(path, h5sink.Options{})
}

// newProgress picks the display: a bar on a terminal, a log line every 5 s
// otherwise (cron), nothing with -q.
func newProgress(quiet bool) pipeline.Progress {
	switch {
	case quiet:
		return pipeline.NoProgress{}
	case term.IsTerminal(int(os.Stderr.Fd())):
		return pipeline.NewBar(os.Stderr)
	}
	return pipeline.NewLogLines(os.Stderr, 5*time.Second)
}
