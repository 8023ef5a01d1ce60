package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/blosc"
	"github.com/hdf5vault/hdf5vault/h5sink"
	"github.com/hdf5vault/hdf5vault/jsonl"
	"github.com/hdf5vault/hdf5vault/pipeline"
	"github.com/hdf5vault/hdf5vault/progress"
	"github.com/hdf5vault/hdf5vault/selection"
	"github.com/hdf5vault/hdf5vault/setwriter"
	"github.com/hdf5vault/hdf5vault/walker"
	"github.com/hdf5vault/hdf5vault/zipsink"
)

// defaultMaxMemory bounds the part buffers in flight. Each part holds its raw
// bytes and a compression buffer of about the same size, so 128 MiB is about
// 30 parts of 2 MiB files, more than the stages hold at once on a few cores;
// the 64 MiB above it in the memory rule is left to libhdf5, the encoders,
// the Go runtime and the index. Measured peak RSS at defaults (-w 2): 72-79 MB
// on 256 files of 2 MiB, 152-163 MB on 20,000 files of 8 KiB (measured before
// libhdf5's metadata cache was capped), 78-79 MiB on 100,000 files of 1 KiB
// (where the file records and the 12 MB index, while it is encoded, are the
// peak).
const defaultMaxMemory = "128MiB"

func createCommand() *cli.Command {
	return &cli.Command{
		Name:      "create",
		Usage:     "pack SRC_DIR into the archive set ARCHIVE_BASE (BASE.h5, or BASE_<n>.h5 for several writers)",
		ArgsUsage: "SRC_DIR ARCHIVE_BASE",
		Description: "Archives every regular file under SRC_DIR, each (or each part of a split file) as one\n" +
			"Blosc2-compressed 1-D int8 dataset, into -w archive files balanced by size.\n" +
			"Flags may come before or after the arguments, as with the original (-- ends them):\n" +
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
			"It holds for trees up to 100,000 files (of 1 KiB: about 80 MiB); what is kept per file\n" +
			"(records, the indexes, libhdf5's objects), about 0.4 KiB each, takes larger trees above it\n" +
			"(10^6 files of 1 KiB: about 450 MiB, most of it libhdf5's two copies of the JSON index).\n" +
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
			Usage: "compression level 1-9 (8 is the original's default). On synthetic 16-bit TIFF fields -c 1 took 0.46x the time of -c 8 " +
				"and stored 1.4% less, -c 5 1.6% less at 1.3x the time, -c 9 1.7% less at 26x the time " +
				"(go test ./bench/ -bench Clevel: one core, medians of 6 runs under load; see the README), e.g. -c 1"},
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
			Usage: "also write the summary as JSON to FILE (written on failure too), or with - JSON lines on stdout (status lines, then the summary), e.g. --json run.json"},
		&cli.BoolFlag{Name: "force",
			Usage: "replace an existing archive set with this base (older members not rewritten are removed), e.g. --force"},
		&cli.StringFlag{Name: "max-memory", Value: defaultMaxMemory,
			Usage: "bytes of file data in flight; peak RSS stays within max(this, one part's raw + compressed) + 64 MiB (suffixes KiB MiB GiB, KB MB GB), e.g. --max-memory 1GiB"},
		&cli.BoolFlag{Name: "follow-symlinks",
			Usage: "archive what symlinks point to (loops are detected and skipped), e.g. --follow-symlinks"},
		&cli.BoolFlag{Name: "skip-unreadable",
			Usage: "list unreadable or changing files in the summary instead of failing (exit status stays 1), e.g. --skip-unreadable"},
		shardFlag,
		excludeFlag(),
		filesFromFlag(), nullFlag(),
		&cli.BoolFlag{Name: "dry-run",
			Usage: "walk and plan only: files, bytes, parts and each archive file's estimated size; writes nothing (with --json, the plan), e.g. --dry-run"},
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
	start     time.Time
	exclude   []string
	sel       *selection.Selection // --exclude and --files-from
	dryRun    bool
}

func runCreate(c *cli.Context) error {
	o, err := parseCreate(c)
	if err != nil {
		return err
	}
	if c.String("shard") != "" {
		r, err := parseShard(c, o)
		if err != nil {
			return err
		}
		return r.run(c)
	}
	return create(c, o)
}

// parseCreate reads the flags (those after the two arguments too, the
// original's usage: normalizeArgs moved them) and checks them.
func parseCreate(c *cli.Context) (*createOptions, error) {
	args := c.Args().Slice()
	if len(args) != 2 {
		return nil, usagef("create needs SRC_DIR and ARCHIVE_BASE (got %d arguments)", len(args))
	}
	o := &createOptions{
		src: args[0], base: args[1],
		writers: c.Int("writers"), jobs: c.Int("jobs"), zip: c.Bool("zip"),
		quiet: c.Bool("quiet"), debug: c.Bool("debug"), jsonOut: c.String("json"),
		force: c.Bool("force"), follow: c.Bool("follow-symlinks"), skipBad: c.Bool("skip-unreadable"),
		exclude: globs(c, "exclude"), dryRun: c.Bool("dry-run"),
	}
	if _, err := newSelection("create", nil, nil, o.exclude); err != nil {
		return nil, err
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
	var err error
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
	o.start = time.Now()
	ctx := c.Context
	say := func(s string) {
		if !o.quiet {
			fmt.Fprintln(os.Stderr, "hdf5vault:", s)
		}
	}
	if err := o.trimBaseExt(say); err != nil {
		return err
	}
	listed, err := readFilesFrom(c, "create", o.src)
	if err != nil {
		return err
	}
	if o.sel, err = newSelection("create", listed, nil, o.exclude); err != nil {
		return err
	}
	if o.dryRun {
		return dryRun(c, o)
	}
	js, err := openSummary(o, say)
	if err != nil {
		return err
	}
	defer js.discard()
	if fi, err := os.Stat(o.src); err != nil || !fi.IsDir() {
		if err == nil {
			err = errors.New("not a directory")
		}
		err = fmt.Errorf("source %s: %w", o.src, err)
		js.fail(ctx, o, nil, err)
		return err
	}
	var res *pipeline.Result
	var sum *jsonl.Summary
	var incomplete error // the set is written, but files were left out (--skip-unreadable)
	opts := setwriter.Options{Base: o.base, Writers: o.writers, Zip: o.zip, Force: o.force, Source: o.src, Note: say}
	open := func(p string) (archive.Writer, error) { return openWriter(p, o.zip) }
	set, err := setwriter.Write(opts, open, func(s *setwriter.Set, ws []archive.Writer) error {
		show, note := runProgress(o.quiet, js, say)
		cfg := o.pipelineConfig(ws, show, s.Exclude, note)
		cfg.Names = s.Final
		if o.debug {
			fmt.Fprintf(os.Stderr, "hdf5vault: create %s -> %v; compress=%v %+v jobs=%d chunk=%d max-memory=%d\n",
				o.src, s.Final, o.compress, o.blosc, o.jobs, o.chunk, o.maxMemory)
		}
		var err error
		res, err = pipeline.Run(ctx, cfg)
		show.Close()
		if err != nil {
			return err
		}
		sum = createSummary(o, res, s.Final, s.Temp)
		if n := len(sum.Failed); n > 0 {
			incomplete = fmt.Errorf("%d unreadable files were not archived (first: %s: %s); the rest is in %s",
				n, sum.Failed[0].Path, sum.Failed[0].Reason, strings.Join(s.Final, ", "))
		}
		sum.Finish(o.start, time.Now(), incomplete, exitStatus(incomplete, false))
		return js.prepare(sum) // everything that can fail happens before the commit
	})
	if err != nil {
		jsonPath := js.path
		js.fail(ctx, o, res, nameInterrupt(ctx, err))
		if ctx.Err() != nil {
			return interruptedRun{err, leftAfter(set, o.base, jsonPath)}
		}
		return err
	}
	js.publish()
	for _, p := range set.Replaced() {
		say("replaced " + p + " (--force)")
	}
	if !o.quiet {
		progress.WriteSummary(os.Stderr, sum)
	}
	if o.debug {
		fmt.Fprintf(os.Stderr, "hdf5vault: peak buffered %d of %d bytes\n", res.HighWater, o.maxMemory)
	}
	o.warnEmpty(res, say)
	if res.Walk != nil && res.Walk.Excluded > 0 {
		say(fmt.Sprintf("left out %d files and directories (--exclude, --files-from)", res.Walk.Excluded))
	}
	return incomplete
}

// interruptedRun is the error of a run stopped by a signal, with what it
// leaves behind; main names the signal and then says what.
type interruptedRun struct {
	err  error
	left string
}

func (e interruptedRun) Error() string { return e.err.Error() + "; " + e.left }
func (e interruptedRun) Unwrap() error { return e.err }

// leftAfter says what an interrupted run leaves, from what is on disk
// after setwriter's Abort, not from what it meant to do.
// jsonPath is --json FILE ("" without one), whose failed-run summary is
// written by now unless a warning said otherwise.
func leftAfter(set *setwriter.Set, base, jsonPath string) string {
	nothing := "nothing written"
	summary := false
	if jsonPath != "" {
		_, err := os.Stat(jsonPath)
		summary = err == nil
	}
	if summary {
		nothing = "no archive written"
	}
	var say []string
	temps, pending := []string(nil), false
	if set != nil {
		temps, pending = set.Left()
	}
	switch {
	case pending:
		say = append(say, "the commit was under way: the next command on "+base+" finishes or undoes it")
	case len(temps) > 0:
		say = append(say, nothing+" under a final name; temporary files left (the next create in this directory removes them): "+
			strings.Join(temps, ", "))
	case set == nil:
		say = append(say, nothing)
	default:
		say = append(say, nothing+"; temporary files removed")
	}
	if summary {
		say = append(say, "the run's summary (\"complete\": false) is in "+jsonPath)
	}
	return strings.Join(say, "; ")
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
			Keep:           o.keep(),
			Warn:           func(s walker.Skip) { say(fmt.Sprintf("skipping %s: %s", s.Path, s.Reason)) },
			Note:           func(rel, msg string) { say(fmt.Sprintf("%s: %s", rel, msg)) },
		},
	}
}

// keep is the walk's selection (--exclude, --files-from); nil: every file.
func (o *createOptions) keep() func(rel string, dir bool) bool {
	if o.sel.Empty() {
		return nil
	}
	return o.sel.Keep
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
		say(fmt.Sprintf("warning: -w %d but only %d files (%d parts): %d archive files hold no data; use -w %d or less",
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
// runProgress is what a run shows (the bar, log lines or --json - status
// lines) and how the walk's warnings are printed: clear of the bar.
func runProgress(quiet bool, js *summaryFile, say func(string)) (pipeline.Progress, func(string)) {
	show := newProgress(quiet)
	if js.lines != nil {
		show = js.status()
	}
	note := say
	if a, ok := show.(*progress.Archiving); ok {
		note = func(s string) { a.Note("hdf5vault: " + s) }
	}
	return show, note
}

func newProgress(quiet bool) pipeline.Progress {
	if quiet {
		return pipeline.NoProgress{}
	}
	return progress.StartArchiving(os.Stderr, displayOptions("hdf5vault"))
}
