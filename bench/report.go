package bench

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"
)

// Ops measured per setting; OpMemory is the no-I/O compression bound.
const (
	OpCreate = "create"
	OpUnpack = "unpack"
	OpVerify = "verify"
	OpMemory = "compress-in-memory"
	OpPaired = "create-vs-bound" // create at defaults, run right after a bound
)

// Result is one measured run.
type Result struct {
	Setting Setting
	Op      string
	Files   int           // source files
	Bytes   int64         // source bytes
	Stored  int64         // archive bytes (0 if unknown)
	Wall    time.Duration // elapsed
	PeakRSS int64         // the child's peak resident set, bytes (0 if unknown)
	Err     string        // why the run failed; empty if it did not
	Round   int           // which of the repeated runs (bench --small --rounds), from 0
}

// MBps is source megabytes (10^6) per second.
func (r Result) MBps() float64 { return rate(float64(r.Bytes)/1e6, r.Wall) }

// FilesPerSec is source files per second.
func (r Result) FilesPerSec() float64 { return rate(float64(r.Files), r.Wall) }

// Ratio is source bytes over archive bytes (0 if unknown).
func (r Result) Ratio() float64 {
	if r.Stored <= 0 {
		return 0
	}
	return float64(r.Bytes) / float64(r.Stored)
}

func rate(x float64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return x / d.Seconds()
}

// WriteTable prints results as an aligned table; failed runs show FAILED
// in the table and their errors below it.
func WriteTable(w io.Writer, rs []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "setting\top\tseconds\tMB/s\tfiles/s\tratio\tpeak RSS MiB\t")
	var failures []string
	for _, r := range rs {
		if r.Err != "" {
			fmt.Fprintf(tw, "%s\t%s\tFAILED\t-\t-\t-\t-\t\n", r.Setting, r.Op)
			failures = append(failures, fmt.Sprintf("%s %s: %s", r.Op, r.Setting, r.Err))
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2f\t%.1f\t%.0f\t%s\t%s\t\n", r.Setting, r.Op, r.Wall.Seconds(),
			r.MBps(), r.FilesPerSec(), orDash(r.Ratio(), "%.3f"), orDash(mib(r.PeakRSS), "%.0f"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, f := range failures {
		if _, err := fmt.Fprintln(w, f); err != nil {
			return err
		}
	}
	return nil
}

func orDash(v float64, format string) string {
	if v <= 0 {
		return "-"
	}
	return fmt.Sprintf(format, v)
}

// csvHeader names WriteCSV's columns; sizes in bytes, times in seconds.
var csvHeader = []string{"setting", "codec", "clevel", "jobs", "writers", "op", "files", "bytes",
	"stored_bytes", "seconds", "mb_per_s", "files_per_s", "ratio", "peak_rss_bytes", "error", "round"}

// WriteCSV writes results as CSV with a header row.
func WriteCSV(w io.Writer, rs []Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	f := func(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }
	for _, r := range rs {
		s := r.Setting
		row := []string{s.String(), s.Codec, strconv.Itoa(s.Level), strconv.Itoa(s.Jobs), strconv.Itoa(s.Writers),
			r.Op, strconv.Itoa(r.Files), strconv.FormatInt(r.Bytes, 10), strconv.FormatInt(r.Stored, 10),
			f(r.Wall.Seconds(), 3), f(r.MBps(), 1), f(r.FilesPerSec(), 1), f(r.Ratio(), 4),
			strconv.FormatInt(r.PeakRSS, 10), r.Err, strconv.Itoa(r.Round)}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteVersus prints, per op, hdf5vault's runs (any setting but
// TarSetting) beside tar's: the median seconds, files/s and peak RSS of
// each side's successful runs, the hdf5vault/tar ratios of those medians
// and how many runs each median is of. Ops without a successful run on
// both sides show "-" for what is missing.
func WriteVersus(w io.Writer, rs []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "op\thdf5vault s\tfiles/s\tRSS MiB\ttar+zstd s\tfiles/s\tRSS MiB\ttime ratio\tRSS ratio\truns\t")
	for _, op := range versusOps(rs) {
		v, nv := median(rs, op, false)
		t, nt := median(rs, op, true)
		runs := strconv.Itoa(nv)
		if nt > 0 {
			runs += "/" + strconv.Itoa(nt)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", op,
			seconds(v), orDash(v.FilesPerSec(), "%.0f"), orDash(mib(v.PeakRSS), "%.0f"),
			seconds(t), orDash(t.FilesPerSec(), "%.0f"), orDash(mib(t.PeakRSS), "%.0f"),
			orDash(ratioOf(v.Wall.Seconds(), t.Wall.Seconds()), "%.2f"), orDash(ratioOf(mib(v.PeakRSS), mib(t.PeakRSS)), "%.2f"), runs)
	}
	return tw.Flush()
}

// versusOps lists the ops of rs in their first order.
func versusOps(rs []Result) []string {
	var ops []string
	for _, r := range rs {
		if !slices.Contains(ops, r.Op) {
			ops = append(ops, r.Op)
		}
	}
	return ops
}

// median returns op's successful runs on one side folded into one Result
// with the median wall time and the median peak RSS (the lower middle of
// an even count), and how many runs there were; a zero Result if none.
func median(rs []Result, op string, tar bool) (Result, int) {
	var ok []Result
	for _, r := range rs {
		if r.Op == op && (r.Setting == TarSetting) == tar && r.Err == "" {
			ok = append(ok, r)
		}
	}
	if len(ok) == 0 {
		return Result{}, 0
	}
	mid := (len(ok) - 1) / 2
	slices.SortFunc(ok, func(a, b Result) int { return cmp.Compare(a.PeakRSS, b.PeakRSS) })
	rss := ok[mid].PeakRSS
	slices.SortFunc(ok, func(a, b Result) int { return cmp.Compare(a.Wall, b.Wall) })
	m := ok[mid]
	m.PeakRSS = rss
	return m, len(ok)
}

func seconds(r Result) string { return orDash(r.Wall.Seconds(), "%.2f") }

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func ratioOf(a, b float64) float64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	return a / b
}
