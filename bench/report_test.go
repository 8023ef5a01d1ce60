package bench

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"
)

func sampleResults() []Result {
	s := Setting{"zstd", 8, 2, 1}
	return []Result{
		// 100 MB in 2 s: 50 MB/s, 200 files: 100 files/s, 40 MB stored: ratio 2.5.
		{Setting: s, Op: OpCreate, Files: 200, Bytes: 100e6, Stored: 40e6, Wall: 2 * time.Second, PeakRSS: 64 << 20},
		{Setting: s, Op: OpUnpack, Files: 200, Bytes: 100e6, Stored: 40e6, Wall: 500 * time.Millisecond},
		{Setting: Setting{"lz4", 1, 2, 3}, Op: OpCreate, Files: 200, Bytes: 100e6, Err: "exit status 1: disk full"},
	}
}

func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTable(&b, sampleResults()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines:\n%s", len(lines), b.String())
	}
	fields := strings.Fields(lines[1])
	want := []string{"zstd", "c8", "j2", "w1", "create", "2.00", "50.0", "100", "2.500", "64"}
	if strings.Join(fields, " ") != strings.Join(want, " ") {
		t.Errorf("create row %q, want %q", fields, want)
	}
	if f := strings.Fields(lines[2]); f[5] != "0.50" || f[6] != "200.0" || f[7] != "400" || f[9] != "-" {
		t.Errorf("unpack row %q: want 0.50 s, 200.0 MB/s, 400 files/s, no RSS", f)
	}
	if !strings.Contains(lines[3], "FAILED") || !strings.Contains(lines[4], "create lz4 c1 j2 w3: exit status 1: disk full") {
		t.Errorf("failure not reported:\n%s", b.String())
	}
	// Columns line up: every row is as wide as the header.
	for _, l := range lines[1:4] {
		if len(l) != len(lines[0]) {
			t.Errorf("row %q is %d wide, header %d", l, len(l), len(lines[0]))
		}
	}
}

func TestWriteCSV(t *testing.T) {
	var b bytes.Buffer
	if err := WriteCSV(&b, sampleResults()); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows", len(rows))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	r := rows[1]
	checks := map[string]string{"setting": "zstd c8 j2 w1", "codec": "zstd", "clevel": "8", "jobs": "2",
		"writers": "1", "op": "create", "files": "200", "bytes": "100000000", "stored_bytes": "40000000",
		"seconds": "2.000", "mb_per_s": "50.0", "files_per_s": "100.0", "ratio": "2.5000",
		"peak_rss_bytes": "67108864", "error": ""}
	for name, want := range checks {
		i, ok := col[name]
		if !ok {
			t.Errorf("no column %s", name)
			continue
		}
		if r[i] != want {
			t.Errorf("%s = %q, want %q", name, r[i], want)
		}
	}
	if got := rows[3][col["error"]]; got != "exit status 1: disk full" {
		t.Errorf("error column %q", got)
	}
}
