package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/hdf5vault/hdf5vault/bench"
	"github.com/hdf5vault/hdf5vault/blosc"
	"github.com/urfave/cli/v2"
)

// boundLimit is the largest source bench reads into memory for the
// compression bound.
const boundLimit = 4 << 30

// boundRounds is how often the in-memory bound and create at defaults are
// measured, alternately (--rounds).
const boundRounds = 5

func benchCommand() *cli.Command {
	return &cli.Command{
		Name:      "bench",
		Usage:     "measure create, unpack and verify on a synthetic acquisition or a directory",
		ArgsUsage: " ",
		Description: "Generates 16-bit TIFF fields (or small files, --small) or takes --dir, then runs this\n" +
			"binary's create, unpack and verify over settings (clevel 1/5/8, zstd/lz4, jobs, writers 1-4),\n" +
			"printing wall time, MB/s, files/s, ratio and the child's peak RSS, next to the speed of\n" +
			"compressing the same files in memory on every core (no I/O). That bound and create at its\n" +
			"defaults then run alternately --rounds times, and bench prints which share of the bound\n" +
			"create reached (the goal: at least 90%).\n" +
			"With --small it runs, at create's defaults, create, ls, ls -l, cat -p of one file, verify and\n" +
			"unpack on the generated files, each beside the same job with tar + zstd (when installed):\n" +
			"tar -c | zstd -3 -T2, zstd -dc | tar -t, tar -tv, tar -xO PATH, tar -x; then the\n" +
			"hdf5vault/tar ratios of time and peak RSS. It reads the files once before timing, so that\n" +
			"neither side meets a cold page cache; with --rounds N (default 1 with --small) the whole\n" +
			"sequence runs N times and the table gives each side's medians. Last, as an anchor, it\n" +
			"compresses the same files in memory at create's defaults (no I/O, no HDF5) on every core.\n" +
			"The README's tables for 10^5 and 10^6 files come from:\n" +
			"  hdf5vault bench --small --files 100000 --size 1024 --rounds 3\n" +
			"  hdf5vault bench --generate SRC --small --files 1000000 --size 1024\n" +
			"  hdf5vault bench --small --dir SRC --work DIR",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dir", Usage: "measure this directory instead of a generated one"},
			&cli.IntFlag{Name: "fields", Value: 256, Usage: "generate `N` TIFF fields (--quick: 32)"},
			&cli.IntFlag{Name: "field-size", Value: 2 << 20, Usage: "`BYTES` of pixels per field"},
			&cli.BoolFlag{Name: "small", Usage: "generate many small files (or take --dir) and run every command on them beside tar + zstd"},
			&cli.IntFlag{Name: "files", Value: 20000, Usage: "with --small: `N` files (--quick: 2000)"},
			&cli.IntFlag{Name: "size", Value: 8192, Usage: "with --small: `BYTES` per file"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "generator seed: the same seed gives the same bytes"},
			&cli.StringFlag{Name: "csv", Usage: "also write the results to `FILE` as CSV"},
			&cli.IntFlag{Name: "rounds", Value: boundRounds, Usage: "compare create with the in-memory bound `N` times, alternately (--quick: 2); with --small: run every job `N` times (default 1)"},
			&cli.BoolFlag{Name: "quick", Usage: "a smaller acquisition and three settings"},
			&cli.StringFlag{Name: "generate", Usage: "only write the acquisition into `DIR` (no measurements)"},
			&cli.StringFlag{Name: "work", Usage: "scratch `DIR` for the acquisition and archives (default: the temp dir)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress lines on stderr, only the results"},
		},
		Action: runBench,
	}
}

func runBench(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("bench takes no arguments, got %q", c.Args().First())
	}
	spec, err := benchSpec(c)
	if err != nil {
		return err
	}
	out, log := c.App.Writer, c.App.ErrWriter
	if c.Bool("quiet") {
		log = io.Discard
	}
	if dir := c.String("generate"); dir != "" {
		return generateOnly(log, dir, spec)
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: cannot find the hdf5vault binary: %w", err)
	}
	work, err := os.MkdirTemp(c.String("work"), "hdf5vault-bench-")
	if err != nil {
		return fmt.Errorf("bench: scratch directory: %w", err)
	}
	defer os.RemoveAll(work)

	src := c.String("dir")
	if src == "" {
		src = filepath.Join(work, "acquisition")
		if err := generateOnly(log, src, spec); err != nil {
			return err
		}
	}
	tree, err := bench.TreeStats(src)
	if err != nil {
		return err
	}
	if tree.Files == 0 {
		return fmt.Errorf("bench: %s holds no regular files", src)
	}

	r := &bench.Runner{Exe: exe, Src: src, Work: work, Tree: tree}
	if c.Bool("small") {
		rounds := 1
		if c.IsSet("rounds") {
			rounds = c.Int("rounds")
		}
		return runScale(c.Context, out, log, r, rounds, c.String("csv"))
	}
	results, failed, err := runMatrix(c.Context, log, r, bench.Matrix(runtime.NumCPU(), c.Bool("quick")))
	if err != nil {
		return err
	}
	// The comparison runs last: holding the whole source in memory raises
	// our own peak RSS, which would hide the matrix children's smaller peaks.
	rounds := c.Int("rounds")
	if c.Bool("quick") && !c.IsSet("rounds") {
		rounds = 2
	}
	cmp, cmpFailed, cmpErr := compareBound(c.Context, log, r, tree, rounds)
	failed += cmpFailed
	if c.Context.Err() != nil {
		return c.Context.Err()
	}
	if cmpErr != nil {
		fmt.Fprintf(log, "in-memory bound skipped: %v\n", cmpErr)
	}
	return report(out, c.String("csv"), results, cmp, cmpErr == nil, failed)
}

// runScale runs every command on the many small files at create's
// defaults and, when tar and zstd are installed, the same jobs with them,
// then prints both tables and writes the CSV.
func runScale(ctx context.Context, out, log io.Writer, r *bench.Runner, rounds int, csvPath string) error {
	tar, missing := bench.HaveTar()
	if !tar {
		fmt.Fprintf(log, "%s not installed: measuring hdf5vault alone\n", missing)
	}
	defaults := bench.Setting{Codec: "zstd", Level: 8, Jobs: runtime.NumCPU(), Writers: 2} // create's
	failed := 0
	fmt.Fprintf(log, "reading the %d source files once, so that no job meets a cold page cache\n", r.Tree.Files)
	if err := bench.Warm(ctx, r.Src); err != nil {
		return err
	}
	results, err := r.Scale(ctx, defaults, tar, rounds, func(res bench.Result) {
		if logResult(log, res) {
			failed++
		}
	})
	if err != nil {
		return err
	}
	bound, err := scaleBound(ctx, log, r, rounds)
	if err != nil {
		return err
	}
	results = append(results, bound...)
	if err := report(out, csvPath, results, bench.Comparison{}, false, failed); err != nil {
		return err
	}
	if !tar {
		return nil
	}
	fmt.Fprintln(out)
	return bench.WriteVersus(out, results)
}

// scaleBound measures, rounds times, the in-memory bound at create's
// defaults on the files Scale ran on: the time create would take if reading,
// writing and libhdf5 cost nothing, the anchor that says how much of
// create's time the format's compression alone costs. A source larger than
// boundLimit is skipped, saying so.
func scaleBound(ctx context.Context, log io.Writer, r *bench.Runner, rounds int) ([]bench.Result, error) {
	if r.Tree.Bytes > boundLimit {
		fmt.Fprintf(log, "in-memory bound skipped: %s holds %d bytes, more than the %d read into memory\n", r.Src, r.Tree.Bytes, boundLimit)
		return nil, nil
	}
	files, err := bench.LoadTree(r.Src)
	if err != nil {
		return nil, err
	}
	var out []bench.Result
	for i := range max(rounds, 1) {
		res, err := bench.CompressBound(ctx, files, blosc.DefaultOptions(), runtime.NumCPU())
		if err != nil {
			return nil, err
		}
		res.Round = i
		logResult(log, res)
		out = append(out, res)
	}
	return out, nil
}

// compareBound measures the in-memory bound (the source compressed from
// memory with create's defaults on every core) and create at its defaults
// alternately, rounds times. failed counts the creates that failed.
func compareBound(ctx context.Context, log io.Writer, r *bench.Runner, tree bench.Stats, rounds int) (cmp bench.Comparison, failed int, err error) {
	if tree.Bytes > boundLimit {
		return cmp, 0, fmt.Errorf("%s holds %d bytes, more than the %d read into memory", r.Src, tree.Bytes, boundLimit)
	}
	files, err := bench.LoadTree(r.Src)
	if err != nil {
		return cmp, 0, err
	}
	cpus := runtime.NumCPU()
	defaults := bench.Setting{Codec: "zstd", Level: 8, Jobs: cpus, Writers: 2} // create's
	var pairs []bench.Pair
	for i := range rounds {
		bound, err := bench.CompressBound(ctx, files, blosc.DefaultOptions(), cpus)
		if err != nil {
			return cmp, failed, err
		}
		create, err := r.Create(ctx, defaults, 100+i)
		if err != nil {
			return cmp, failed, err
		}
		p := bench.Pair{Bound: bound, Create: create}
		if create.Err != "" {
			failed++
			fmt.Fprintf(log, "round %d: bound %.1f MB/s, create FAILED: %s\n", i+1, bound.MBps(), create.Err)
		} else {
			fmt.Fprintf(log, "round %d: bound %.1f MB/s, create %.1f MB/s (%.0f%%)\n", i+1, bound.MBps(), create.MBps(), 100*p.Share())
		}
		pairs = append(pairs, p)
	}
	cmp, ok := bench.Compare(pairs)
	if !ok {
		return cmp, failed, fmt.Errorf("no create at defaults succeeded: %s", cmp.FailedCreate)
	}
	return cmp, failed, nil
}

// runMatrix runs every setting, logging each result as it comes, and counts
// the failed runs.
func runMatrix(ctx context.Context, log io.Writer, r *bench.Runner, settings []bench.Setting) ([]bench.Result, int, error) {
	var results []bench.Result
	failed := 0
	for i, s := range settings {
		rs, err := r.Run(ctx, s, i)
		if err != nil {
			return nil, 0, err
		}
		for _, res := range rs {
			if logResult(log, res) {
				failed++
			}
		}
		results = append(results, rs...)
	}
	return results, failed, nil
}

// logResult logs one run as it ends and reports whether it failed.
func logResult(log io.Writer, res bench.Result) (failed bool) {
	if res.Err != "" {
		fmt.Fprintf(log, "%s %s: FAILED: %s\n", res.Op, res.Setting, res.Err)
		return true
	}
	fmt.Fprintf(log, "%s %s: %.2f s, %.1f MB/s, %.0f files/s\n", res.Op, res.Setting, res.Wall.Seconds(), res.MBps(), res.FilesPerSec())
	return false
}

// generateOnly writes the acquisition and says how long it took.
func generateOnly(log io.Writer, dir string, spec bench.Spec) error {
	start := time.Now()
	st, err := bench.Generate(dir, spec)
	if err != nil {
		return err
	}
	d := time.Since(start)
	fmt.Fprintf(log, "generated %d files, %.1f MB in %.2f s (%.0f MB/s) into %s\n",
		st.Files, float64(st.Bytes)/1e6, d.Seconds(), float64(st.Bytes)/1e6/d.Seconds(), dir)
	return nil
}

// benchSpec checks the flags and returns what to generate.
func benchSpec(c *cli.Context) (bench.Spec, error) {
	quick := c.Bool("quick")
	fields, files := c.Int("fields"), c.Int("files")
	if quick && !c.IsSet("fields") {
		fields = 32
	}
	if quick && !c.IsSet("files") {
		files = 2000
	}
	switch {
	case c.IsSet("dir") && (c.IsSet("fields") || c.IsSet("field-size") || c.IsSet("files") || c.IsSet("size") || c.IsSet("generate")):
		return bench.Spec{}, usagef("--dir measures an existing directory: drop --fields, --field-size, --files, --size and --generate")
	case c.Bool("small") && (c.IsSet("fields") || c.IsSet("field-size")):
		return bench.Spec{}, usagef("--small generates small files: use --files and --size, not --fields")
	case c.Int("rounds") < 1:
		return bench.Spec{}, usagef("--rounds must be at least 1, got %d", c.Int("rounds"))
	case fields <= 0 || c.Int("field-size") < 2 || files <= 0 || c.Int("size") < 0:
		return bench.Spec{}, usagef("--fields, --files must be positive, --field-size at least 2, --size not negative")
	}
	if c.Bool("small") {
		return bench.Spec{Seed: c.Uint64("seed"), SmallFiles: files, SmallSize: c.Int("size")}, nil
	}
	return bench.FieldSpec(fields, c.Int("field-size"), c.Uint64("seed")), nil
}

// report prints the table (with the fastest bound first) and the
// comparison, and writes the CSV (with every round of the comparison).
func report(out io.Writer, csvPath string, results []bench.Result, cmp bench.Comparison, haveCmp bool, failed int) error {
	table, rows := results, results
	if haveCmp {
		table = append([]bench.Result{cmp.Bound}, results...)
		rows = append(cmp.Rows(), results...)
	}
	fmt.Fprintln(out)
	if err := bench.WriteTable(out, table); err != nil {
		return err
	}
	if haveCmp {
		fmt.Fprintln(out)
		if err := cmp.Write(out); err != nil {
			return err
		}
	}
	if csvPath != "" {
		f, err := os.Create(csvPath)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		if err := bench.WriteCSV(f, rows); err != nil {
			f.Close()
			return fmt.Errorf("bench: write %s: %w", csvPath, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("bench: write %s: %w", csvPath, err)
		}
	}
	if failed > 0 {
		return fmt.Errorf("bench: %d runs failed (see the table)", failed)
	}
	return nil
}
