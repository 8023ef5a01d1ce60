package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hdf5vault/hdf5vault/bench"
)

func runApp(args ...string) int {
	return exitCode(newApp().Run(append([]string{"hdf5vault"}, args...)), false)
}

func TestBenchRejectsConflictingFlags(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"bench", "--dir", dir, "--fields", "3"},
		{"bench", "--dir", dir, "--small", "--files", "10"},
		{"bench", "--dir", dir, "--size", "10"},
		{"bench", "--dir", dir, "--generate", filepath.Join(dir, "g")},
		{"bench", "--small", "--fields", "3"},
		{"bench", "--fields", "0"},
		{"bench", "--field-size", "1"},
		{"bench", "--small", "--files", "-1"},
		{"bench", "extra-argument"},
		{"bench", "--rounds", "0"},
	} {
		if code := runApp(args...); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
	}
}

func TestBenchGenerateOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "acq")
	if code := runApp("bench", "--generate", dir, "--fields", "3", "--field-size", "2048"); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	// 3 fields of 32x32 pixels (2048 bytes) plus the plate's two sidecars.
	tifs, _ := filepath.Glob(filepath.Join(dir, "Plate1", "*", "*.tif"))
	side, _ := filepath.Glob(filepath.Join(dir, "Plate1", "Plate1_*"))
	if len(tifs) != 3 || len(side) != 2 {
		t.Fatalf("%d fields, %d sidecars", len(tifs), len(side))
	}
	fi, err := os.Stat(tifs[0])
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() < 2048 || fi.Size() > 2048+1024 {
		t.Errorf("field %s: %v bytes, want 2048 of pixels and a small header", tifs[0], fi.Size())
	}

	small := filepath.Join(t.TempDir(), "small")
	if code := runApp("bench", "--generate", small, "--small", "--files", "30", "--size", "100"); code != exitOK {
		t.Fatalf("--small: exit %d", code)
	}
	files, _ := filepath.Glob(filepath.Join(small, "small", "*", "*.dat"))
	if len(files) != 30 {
		t.Errorf("--small made %d files, want 30", len(files))
	}
}

func TestBenchReport(t *testing.T) {
	rs := []bench.Result{{Setting: bench.Setting{Codec: "zstd", Level: 8, Jobs: 2, Writers: 1}, Op: bench.OpCreate,
		Files: 2, Bytes: 100e6, Stored: 50e6, Wall: time.Second}}
	bound := bench.Result{Setting: bench.Setting{Codec: "zstd", Level: 8, Jobs: 2}, Op: bench.OpMemory,
		Bytes: 100e6, Wall: 500 * time.Millisecond}
	paired := bench.Result{Setting: bench.Setting{Codec: "zstd", Level: 8, Jobs: 2, Writers: 2}, Op: bench.OpCreate,
		Bytes: 100e6, Wall: 625 * time.Millisecond}
	cmp, ok := bench.Compare([]bench.Pair{{Bound: bound, Create: paired}, {Bound: bound, Create: paired}})
	if !ok {
		t.Fatal("no comparison")
	}
	var out bytes.Buffer
	csvPath := filepath.Join(t.TempDir(), "b.csv")
	if err := report(&out, csvPath, rs, cmp, true, 0); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"compress-in-memory", "create zstd c8 j2 w2 reached 80% of the in-memory bound"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in:\n%s", want, out.String())
		}
	}
	// A header, the matrix row, and two rounds of bound and create.
	b, err := os.ReadFile(csvPath)
	if err != nil || strings.Count(string(b), "\n") != 6 || strings.Count(string(b), bench.OpPaired) != 2 {
		t.Errorf("CSV %q, %v", b, err)
	}
	if err := report(&out, filepath.Join(t.TempDir(), "missing", "b.csv"), rs, cmp, true, 0); err == nil {
		t.Error("an unwritable CSV path was not reported")
	}
	if err := report(&out, "", rs, cmp, false, 1); err == nil || !strings.Contains(err.Error(), "1 runs failed") {
		t.Errorf("failed runs: %v", err)
	}
}

// TestCompareBoundCountsFailures: a create that fails in the rounds counts
// as a failed run, and with none succeeding there is no comparison.
func TestCompareBoundCountsFailures(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "hdf5vault")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\necho 'hdf5vault: disk full' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "src")
	os.Mkdir(src, 0o755)
	os.WriteFile(filepath.Join(src, "a"), bytes.Repeat([]byte("field "), 1000), 0o644)
	tree, err := bench.TreeStats(src)
	if err != nil {
		t.Fatal(err)
	}
	r := &bench.Runner{Exe: exe, Src: src, Work: filepath.Join(dir, "work"), Tree: tree}
	var log bytes.Buffer
	_, failed, err := compareBound(t.Context(), &log, r, tree, 3)
	if failed != 3 || err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("failed %d, err %v", failed, err)
	}
	if strings.Count(log.String(), "create FAILED") != 3 {
		t.Errorf("log:\n%s", log.String())
	}
}

// TestBenchSmallBesideTar: bench --small runs every command on the
// generated files and the same jobs with tar + zstd, each correct (cat's
// bytes, unpack's file count), --rounds times, and prints the side-by-side
// table of medians.
func TestBenchSmallBesideTar(t *testing.T) {
	t.Parallel()
	if ok, missing := bench.HaveTar(); !ok {
		t.Skipf("%s not installed", missing)
	}
	csvPath := filepath.Join(t.TempDir(), "small.csv")
	r := runBin(t, "bench", "--small", "--files", "300", "--size", "512", "--rounds", "2", "--csv", csvPath, "--work", t.TempDir())
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	rows := readCSV(t, csvPath)
	var got []string
	for _, row := range rows[1:] {
		got = append(got, row[0]+"/"+row[5])
		if row[14] != "" || row[9] == "0.000" {
			t.Errorf("row %q", row)
		}
	}
	vault, tar := fmt.Sprintf("zstd c8 j%d w2/", runtime.NumCPU()), "tar+zstd c3 j2/"
	want := strings.Join([]string{vault + "create", tar + "create", vault + "ls", tar + "ls", vault + "ls -l", tar + "ls -l",
		vault + "cat", tar + "cat", vault + "verify", vault + "unpack", tar + "unpack"}, ",")
	want += "," + want // two rounds, then the in-memory bound twice
	bound := fmt.Sprintf("zstd c8 j%d/compress-in-memory", runtime.NumCPU())
	want += "," + bound + "," + bound
	if strings.Join(got, ",") != want {
		t.Errorf("rows\n%s\nwant\n%s", strings.Join(got, ","), want)
	}
	for _, s := range []string{"time ratio", "RSS ratio", "ls -l", " 2/2", "compress-in-memory"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("no %q in the output:\n%s", s, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "reading the 300 source files once") {
		t.Errorf("no warm-up line:\n%s", r.stderr)
	}
}

// TestBenchSmallWithoutTar: without tar or zstd on PATH, bench --small
// measures hdf5vault alone and says why.
func TestBenchSmallWithoutTar(t *testing.T) {
	t.Parallel()
	csvPath := filepath.Join(t.TempDir(), "small.csv")
	r := runEnv(t, []string{"PATH=" + t.TempDir()}, "bench", "--small", "--files", "50", "--size", "100",
		"--csv", csvPath, "--work", t.TempDir())
	if r.code != exitOK || !strings.Contains(r.stderr, "tar not installed: measuring hdf5vault alone") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	b, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n != 8 || strings.Contains(string(b), "tar+zstd") || strings.Contains(r.stdout, "time ratio") {
		t.Errorf("%d CSV lines:\n%s\n%s", n, b, r.stdout)
	}
}

// TestBenchSmallDir: --small --dir runs the many-files jobs on a directory
// of the user's, counting its files.
func TestBenchSmallDir(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	for i := range 20 {
		if err := os.WriteFile(filepath.Join(src, fmt.Sprintf("f%02d", i)), bytes.Repeat([]byte{byte(i)}, 100+i), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	csvPath := filepath.Join(t.TempDir(), "dir.csv")
	r := runEnv(t, []string{"PATH=" + t.TempDir()}, "bench", "--small", "--dir", src, "--csv", csvPath, "--work", t.TempDir())
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if rows := readCSV(t, csvPath); len(rows) != 8 { // header, six jobs, the in-memory bound
		t.Fatalf("CSV rows %q", rows)
	}
	for _, row := range readCSV(t, csvPath)[1:] {
		if want := "20"; row[5] != "cat" && row[6] != want || row[14] != "" {
			t.Errorf("row %q: want %s files, no error", row, want)
		}
	}
}

// readCSV reads bench's CSV file.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("%v: CSV\n%s", err, b)
	}
	return rows
}
