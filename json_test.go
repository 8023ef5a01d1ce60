package main

// --json of every command: JSON lines on stdout, each an object with a
// message_type, ending in the one summary schema (jsonl.Summary). Every
// line of every run is parsed and its keys and types checked, and the
// summary's counts are compared with what the set holds, read by h5py and
// xxh128sum.

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// lastLine is the last line of out: the summary of a --json run.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	return lines[len(lines)-1]
}

// runJSON runs the binary with status lines every few milliseconds, so
// that even a short run writes some.
func runJSON(t *testing.T, args ...string) runResult {
	t.Helper()
	t.Setenv(progressIntervalEnv, "2ms")
	return runBin(t, args...)
}

// jsonLines parses every line of a --json run's stdout and checks it: an
// object with a known message_type and that type's keys, the summary last
// and only there, an "error" line just before it exactly when the summary
// has an error, and the summary's problem lists equal to the problem lines.
// It returns the lines (the summary included) and the summary.
func jsonLines(t *testing.T, r runResult, command string) (lines []map[string]any, sum map[string]any) {
	t.Helper()
	if !strings.HasSuffix(r.stdout, "\n") {
		t.Fatalf("%s --json: output does not end in a line: %q", command, r.stdout)
	}
	problems := map[string][]any{"damaged": {}, "differs": {}, "failed": {}}
	for i, text := range strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(text), &m); err != nil {
			t.Fatalf("%s --json: line %d is not a JSON object: %v\n%s", command, i+1, err, text)
		}
		lines = append(lines, m)
		typ, _ := m["message_type"].(string)
		switch typ {
		case "status":
			wantKeys(t, text, m, map[string]string{"stage": "string", "seconds_elapsed": "number",
				"files_done": "count", "total_files": "count", "bytes_done": "count", "total_bytes": "count", "percent_done": "number"})
			if p := m["percent_done"].(float64); p < 0 || p > 100 {
				t.Errorf("percent_done %v: %s", p, text)
			}
		case "file":
			wantKeys(t, text, m, map[string]string{"path": "string", "size_bytes": "count", "stored_bytes": "count",
				"parts": "count", "archives": "array"})
		case "damaged", "differs", "failed":
			wantKeys(t, text, m, map[string]string{"path": "string", "reason": "text"})
			problems[typ] = append(problems[typ], map[string]any{"path": m["path"], "reason": m["reason"]})
		case "error":
			wantKeys(t, text, m, map[string]string{"error": "text"})
		case "summary":
			sum = m
		default:
			t.Fatalf("%s --json: line %d has message_type %q\n%s", command, i+1, typ, text)
		}
		if sum != nil && typ != "summary" {
			t.Fatalf("%s --json: a line after the summary: %s", command, text)
		}
	}
	if sum == nil {
		t.Fatalf("%s --json: no summary line:\n%s", command, r.stdout)
	}
	checkSummarySchema(t, sum, command, r.code)
	hasError := len(lines) > 1 && lines[len(lines)-2]["message_type"] == "error"
	if hasError != (sum["error"] != "") {
		t.Errorf("%s --json: error line %v, summary error %q", command, hasError, sum["error"])
	}
	for k, l := range problems {
		if !sameProblems(l, sum[k].([]any)) {
			t.Errorf("%s --json: %s lines %v, summary lists %v", command, k, l, sum[k])
		}
	}
	return lines, sum
}

// checkSummarySchema checks the summary's required keys and types, and
// that its outcome agrees with the exit status.
func checkSummarySchema(t *testing.T, sum map[string]any, command string, code int) {
	t.Helper()
	text, _ := json.Marshal(sum)
	wantKeys(t, string(text), sum, map[string]string{
		"schema_version": "count", "tool": "text", "version": "text", "command": "text",
		"start_time": "string", "end_time": "string", "wall_seconds": "number", "settings": "object",
		"archives": "array", "files": "count", "parts": "count", "raw_bytes": "count", "stored_bytes": "count",
		"ratio": "number", "raw_bytes_per_second": "number",
		"complete": "bool", "exit_code": "count", "error": "string",
		"failed": "array", "damaged": "array", "differs": "array",
	})
	if sum["schema_version"] != 1.0 || sum["tool"] != "hdf5vault" || sum["command"] != command {
		t.Errorf("summary: schema %v, tool %v, command %v (want 1, hdf5vault, %s)", sum["schema_version"], sum["tool"], sum["command"], command)
	}
	start, err1 := time.Parse(time.RFC3339Nano, sum["start_time"].(string))
	end, err2 := time.Parse(time.RFC3339Nano, sum["end_time"].(string))
	if err1 != nil || err2 != nil || end.Before(start) || time.Since(start) > time.Hour {
		t.Errorf("summary times %v %v: %v %v", sum["start_time"], sum["end_time"], err1, err2)
	}
	if int(sum["exit_code"].(float64)) != code {
		t.Errorf("summary exit_code %v, the process exited %d", sum["exit_code"], code)
	}
	complete := sum["complete"].(bool)
	if complete != (code == 0) || complete != (sum["error"] == "") {
		t.Errorf("summary complete %v, error %q, exit %d", complete, sum["error"], code)
	}
	for _, a := range sum["archives"].([]any) {
		wantKeys(t, string(text), a.(map[string]any), map[string]string{"path": "text", "bytes": "count"})
	}
	for _, k := range []string{"failed", "damaged", "differs"} {
		for _, p := range sum[k].([]any) {
			wantKeys(t, string(text), p.(map[string]any), map[string]string{"path": "string", "reason": "text"})
		}
	}
	for k, v := range sum["settings"].(map[string]any) {
		if strings.HasSuffix(k, "_bytes") && !isCount(v) {
			t.Errorf("settings.%s = %v, want a byte count", k, v)
		}
	}
}

// wantKeys checks that m has each key with a value of its kind: string,
// text (a non-empty string), number, count (a whole number >= 0), bool,
// array, object.
func wantKeys(t *testing.T, line string, m map[string]any, keys map[string]string) {
	t.Helper()
	for k, kind := range keys {
		v, ok := m[k]
		var good bool
		switch kind {
		case "string":
			_, good = v.(string)
		case "text":
			s, _ := v.(string)
			good = s != ""
		case "number":
			_, good = v.(float64)
		case "count":
			good = isCount(v)
		case "bool":
			_, good = v.(bool)
		case "array":
			_, good = v.([]any)
		case "object":
			_, good = v.(map[string]any)
		}
		if !ok || !good {
			t.Errorf("key %q: %v, want a %s, in %s", k, v, kind, line)
		}
	}
}

func isCount(v any) bool {
	f, ok := v.(float64)
	return ok && f >= 0 && f == math.Trunc(f)
}

// sameProblems compares two lists of problems in any order.
func sameProblems(a, b []any) bool {
	key := func(l []any) []string {
		var s []string
		for _, p := range l {
			m := p.(map[string]any)
			s = append(s, m["path"].(string)+"\x00"+m["reason"].(string))
		}
		sort.Strings(s)
		return s
	}
	return reflect.DeepEqual(key(a), key(b))
}

func count(v any) int64 { return int64(v.(float64)) }

// setFacts reads a set with h5py, independently: its files (index
// entries), parts (datasets besides the side index) and their stored bytes.
func setFacts(t *testing.T, members ...string) (files, parts, stored int64) {
	t.Helper()
	out := h5py(t, `import sys, json, h5py
files, parts, stored = set(), 0, 0
for p in sys.argv[1:]:
    with h5py.File(p, "r") as f:
        files |= set(json.loads(f.attrs["__HDF5Vault_info__"]))
        def visit(name, obj):
            global parts, stored
            if isinstance(obj, h5py.Dataset) and name != "__HDF5Vault_index__":
                parts += 1
                stored += obj.size
        f.visititems(visit)
print(len(files), parts, stored)`, nil, members...)
	var f, p, s int64
	if _, err := fmt.Sscan(out, &f, &p, &s); err != nil {
		t.Fatalf("h5py: %q: %v", out, err)
	}
	return f, p, s
}

// xxh128 is xxh128sum's digest of each file under dir, by slash path.
func xxh128(t *testing.T, dir string) map[string]string {
	t.Helper()
	if _, err := exec.LookPath("xxh128sum"); err != nil {
		t.Skip("xxh128sum not installed (make deps)")
	}
	sums := map[string]string{}
	for rel := range sourceFiles(t, dir) {
		b, err := exec.Command("xxh128sum", filepath.Join(dir, rel)).Output()
		if err != nil {
			t.Fatal(err)
		}
		sums[rel] = "xxh3-128:" + strings.Fields(string(b))[0]
	}
	return sums
}

// TestJSONLinesEveryCommand runs every command with --json on an intact
// set: every line parses and has its keys, and each summary's counts are
// what the set holds (h5py) and what the source holds (its files and
// bytes; ls's checksums against xxh128sum).
func TestJSONLinesEveryCommand(t *testing.T) {
	src := copyFixtureTree(t)
	want := sourceFiles(t, src)
	var wantBytes int64
	for _, b := range want {
		wantBytes += int64(len(b))
	}
	out := t.TempDir()
	base := filepath.Join(out, "set")
	summaryFile := filepath.Join(t.TempDir(), "create.json")

	r := runJSON(t, "create", "-q", "-w", "3", "-c", "5", "--codec", "lz4", src, base, "--json", "-")
	_, create := jsonLines(t, r, "create")
	members := []string{base + "_0.h5", base + "_1.h5", base + "_2.h5"}
	files, parts, stored := setFacts(t, members...)
	checkCounts(t, "create", create, files, parts, wantBytes, stored)
	if files != int64(len(want)) {
		t.Errorf("the set holds %d files, the source %d", files, len(want))
	}
	settings := create["settings"].(map[string]any)
	if settings["codec"] != "lz4" || settings["clevel"] != 5.0 || settings["writers"] != 3.0 ||
		settings["chunk_size_bytes"] != 1e9 || settings["max_memory_bytes"] != float64(128<<20) || settings["cmethod"] != "blosc2" {
		t.Errorf("create settings %v", settings)
	}
	var archived []string
	for i, a := range create["archives"].([]any) {
		a := a.(map[string]any)
		fi, err := os.Stat(members[i])
		if err != nil || a["path"] != members[i] || count(a["bytes"]) != fi.Size() {
			t.Errorf("archive %d: %v (on disk: %v)", i, a, fi)
		}
		archived = append(archived, a["path"].(string))
	}
	if len(archived) != 3 {
		t.Errorf("create lists %d archives, want 3", len(archived))
	}

	// --json FILE: the same schema, in a file (written with --force over the set).
	r = runBin(t, "create", "-q", "-w", "3", "--force", src, base, "--json", summaryFile)
	fileSum := summaryFileOf(t, summaryFile, r.code, 0)
	files, parts, stored = setFacts(t, members...)
	checkCounts(t, "create --json FILE", fileSum, files, parts, wantBytes, stored)

	r = runJSON(t, "verify", "--json", base)
	lines, sum := jsonLines(t, r, "verify")
	if n := countType(lines, "status"); n == 0 {
		t.Errorf("verify --json with status lines every 2ms wrote none:\n%s", r.stdout)
	}
	checkCounts(t, "verify", sum, files, parts, wantBytes, stored)
	if count(sum["checksums_compared"]) != files || sum["settings"].(map[string]any)["writers"] != 3.0 {
		t.Errorf("verify summary %v", sum)
	}

	r = runJSON(t, "ls", "--json", base)
	lines, sum = jsonLines(t, r, "ls")
	checkCounts(t, "ls", sum, files, parts, wantBytes, stored)
	sums := xxh128(t, src)
	listed := 0
	for _, l := range lines {
		if l["message_type"] != "file" {
			continue
		}
		listed++
		p := l["path"].(string)
		if count(l["size_bytes"]) != int64(len(want[p])) || l["checksum"] != sums[p] {
			t.Errorf("ls: %v; the source's: %d bytes, %s", l, len(want[p]), sums[p])
		}
	}
	if listed != len(want) {
		t.Errorf("ls --json: %d file lines, want %d", listed, len(want))
	}

	r = runJSON(t, "check", "-d", src, "-j", "-", base)
	_, sum = jsonLines(t, r, "check")
	checkCounts(t, "check", sum, files, parts, wantBytes, stored)
	if sum["source"] != src {
		t.Errorf("check source %v", sum["source"])
	}

	dest := t.TempDir()
	r = runJSON(t, "unpack", "--json", "-d", dest, base)
	_, sum = jsonLines(t, r, "unpack")
	checkCounts(t, "unpack", sum, files, parts, wantBytes, stored)
	if sum["destination"] != filepath.Join(dest, "set") {
		t.Errorf("unpack destination %v", sum["destination"])
	}
	sameTree(t, sourceFiles(t, filepath.Join(dest, "set")), want)
}

func countType(lines []map[string]any, typ string) int {
	n := 0
	for _, l := range lines {
		if l["message_type"] == typ {
			n++
		}
	}
	return n
}

// checkCounts compares a summary's counts with the set's.
func checkCounts(t *testing.T, what string, sum map[string]any, files, parts, raw, stored int64) {
	t.Helper()
	got := [4]int64{count(sum["files"]), count(sum["parts"]), count(sum["raw_bytes"]), count(sum["stored_bytes"])}
	if want := [4]int64{files, parts, raw, stored}; got != want {
		t.Errorf("%s: files, parts, raw_bytes, stored_bytes = %v, the set holds %v", what, got, want)
	}
	if r := sum["ratio"].(float64); stored > 0 && math.Abs(r-float64(raw)/float64(stored)) > 1e-9 {
		t.Errorf("%s: ratio %v, want %v", what, r, float64(raw)/float64(stored))
	}
}

// problemPaths are the paths a summary lists under key.
func problemPaths(sum map[string]any, key string) []string {
	var out []string
	for _, p := range sum[key].([]any) {
		out = append(out, p.(map[string]any)["path"].(string))
	}
	sort.Strings(out)
	return out
}

// TestJSONLinesDamage: damage (exit 3) is told in "damaged" and "differs"
// lines naming each file, and in the summary; the counts still add up.
func TestJSONLinesDamage(t *testing.T) {
	src, files := plateTree(t, 24)
	base := filepath.Join(t.TempDir(), "dm")
	mustRun(t, "create", "-q", "-w", "2", src, base)
	members := []string{base + "_0.h5", base + "_1.h5"}
	n, parts, stored := setFacts(t, members...)
	var raw int64
	for _, b := range files {
		raw += int64(len(b))
	}
	bad := []string{"w1/f05.txt", "w2/f14.txt"}
	for _, v := range bad {
		damagePayload(t, v, members)
	}

	r := runJSON(t, "verify", "--json", base)
	_, sum := jsonLines(t, r, "verify")
	if r.code != 3 || !equalStrings(problemPaths(sum, "damaged"), bad) {
		t.Errorf("verify --json of a damaged set: exit %d, damaged %v, want 3 and %v\n%s", r.code, sum["damaged"], bad, r.stdout)
	}
	checkCounts(t, "verify of a damaged set", sum, n, parts, raw, stored) // every file was read

	r = runJSON(t, "unpack", "--json", "-k", "-d", t.TempDir(), base)
	_, sum = jsonLines(t, r, "unpack")
	if r.code != 3 || !equalStrings(problemPaths(sum, "damaged"), bad) || count(sum["files"]) != n-2 {
		t.Errorf("unpack -k --json: exit %d, %v files, damaged %v\n%s", r.code, sum["files"], sum["damaged"], r.stdout)
	}
	r = runJSON(t, "unpack", "--json", "-j", "1", "-d", t.TempDir(), base)
	lines, _ := jsonLines(t, r, "unpack")
	if e := lines[len(lines)-2]; r.code != 3 || !strings.Contains(e["error"].(string), bad[0]) {
		t.Errorf("unpack --json without -k: exit %d, want 3 and an error line naming %s\n%s", r.code, bad[0], r.stdout)
	}

	os.WriteFile(filepath.Join(src, "w0/f00.txt"), []byte("changed on disk"), 0o644)
	r = runJSON(t, "check", "-d", src, "-j", "-", base)
	_, sum = jsonLines(t, r, "check")
	if r.code != 3 || !equalStrings(problemPaths(sum, "damaged"), bad) || !equalStrings(problemPaths(sum, "differs"), []string{"w0/f00.txt"}) {
		t.Errorf("check -j - : exit %d, damaged %v, differs %v\n%s", r.code, sum["damaged"], sum["differs"], r.stdout)
	}

	// --skip-existing: a file in DEST that differs is a "differs" line.
	good := filepath.Join(t.TempDir(), "good")
	mustRun(t, "create", "-q", "-w", "1", filepath.Join(src, "w3"), good)
	dest := t.TempDir()
	mustRun(t, "unpack", "-d", dest, good)
	os.WriteFile(filepath.Join(dest, "good", "f03.txt"), []byte("edited"), 0o644)
	r = runJSON(t, "unpack", "--json", "--skip-existing", "-d", dest, good)
	_, sum = jsonLines(t, r, "unpack")
	if r.code != 3 || !equalStrings(problemPaths(sum, "differs"), []string{"f03.txt"}) || count(sum["skipped_existing"]) != 5 {
		t.Errorf("unpack --skip-existing --json: exit %d, differs %v, skipped %v\n%s", r.code, sum["differs"], sum["skipped_existing"], r.stdout)
	}

	// ls reads no payload: the damaged set lists whole.
	r = runJSON(t, "ls", "--json", base)
	_, sum = jsonLines(t, r, "ls")
	checkCounts(t, "ls of a damaged set", sum, n, parts, raw, stored)
}

// TestJSONLinesFailure: a failed run (exit 1) ends in an error line and a
// summary saying so, for every command.
func TestJSONLinesFailure(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nothing")
	src := t.TempDir()
	for _, args := range [][]string{
		{"verify", "--json", missing},
		{"ls", "--json", missing},
		{"unpack", "--json", "-d", t.TempDir(), missing},
		{"check", "-d", src, "-j", "-", missing},
		{"create", "-q", "--json", "-", src, filepath.Join(missing, "sub", "base")},
		{"create", "-q", "--json", "-", missing, filepath.Join(src, "base")},
	} {
		r := runJSON(t, args...)
		lines, sum := jsonLines(t, r, args[0])
		if r.code != 1 || sum["complete"] != false || lines[len(lines)-2]["message_type"] != "error" ||
			!strings.Contains(sum["error"].(string), missing) {
			t.Errorf("%v: exit %d, want 1 with an error line naming %s\n%s", args, r.code, missing, r.stdout)
		}
	}
}

// TestCreateJSONFailedFiles: a failed create's summary lists the file that
// failed it, and with --skip-unreadable every file left out, for --json
// FILE and --json - alike.
func TestCreateJSONFailedFiles(t *testing.T) {
	src := smallTree(t, 3)
	bad, extra := unreadableFile(t, src)
	bad2 := "second-" + bad
	if err := os.Symlink(filepath.Join(src, bad), filepath.Join(src, bad2)); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	sumPath := filepath.Join(t.TempDir(), "s.json")
	r := runBin(t, append([]string{"create", "-q", "-w", "2", src, filepath.Join(out, "x"), "--json", sumPath}, extra...)...)
	sum := summaryFileOf(t, sumPath, r.code, 1)
	failed := problemPaths(sum, "failed")
	if len(failed) != 1 || (failed[0] != bad && failed[0] != bad2) || len(sum["archives"].([]any)) != 0 ||
		!strings.Contains(sum["error"].(string), failed[0]) {
		t.Errorf("failed run's summary: failed %v, error %q, archives %v; want one of %s, %s", sum["failed"], sum["error"], sum["archives"], bad, bad2)
	}
	if got := listDir(t, out); len(got) != 0 {
		t.Errorf("a failed run left %q", got)
	}

	r = runJSON(t, append([]string{"create", "-q", "-w", "2", "--skip-unreadable", src, filepath.Join(out, "x"), "--json", "-"}, extra...)...)
	_, sum = jsonLines(t, r, "create")
	if r.code != 1 || !equalStrings(problemPaths(sum, "failed"), []string{bad, bad2}) || count(sum["files"]) != 3 {
		t.Errorf("--skip-unreadable: exit %d, failed %v, files %v; want 1, [%s %s], 3\n%s", r.code, sum["failed"], sum["files"], bad, bad2, r.stdout)
	}
	if got := listDir(t, out); !equalStrings(got, []string{"x_0.h5", "x_1.h5"}) {
		t.Errorf("--skip-unreadable wrote %q", got)
	}
}

// TestTextSameWords: the text output says "parts" as the JSON does, and
// gives rates in binary units (MiB/s) as create and the progress lines do.
func TestTextSameWords(t *testing.T) {
	src := copyFixtureTree(t)
	base := filepath.Join(t.TempDir(), "w")
	r := runBin(t, "create", "-w", "1", src, base)
	if r.code != 0 || strings.Contains(r.stderr, "datasets") || !strings.Contains(r.stderr, "12 parts") {
		t.Errorf("create's summary: exit %d, want parts, not datasets:\n%s", r.code, r.stderr)
	}
	r = runBin(t, "unpack", "-d", t.TempDir(), base)
	if r.code != 0 || strings.Contains(r.stdout, "MB/s") || !strings.Contains(r.stdout, "iB/s)") {
		t.Errorf("unpack: exit %d, want a rate in binary units:\n%s", r.code, r.stdout)
	}
}

// TestCreateJSONInterrupted: SIGINT ends create with 130, and its summary
// says so (exit_code 130, the signal named), written as on any failure.
func TestCreateJSONInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("a slow create")
	}
	src := genTree(t, 60)
	out := t.TempDir()
	sumPath := filepath.Join(t.TempDir(), "s.json")
	cmd, errb := startCreate(t, src, out, "acq", 1<<20, "--json", sumPath)
	cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); exitOf(err) != 130 {
		t.Fatalf("exit %d, want 130: %s", exitOf(err), errb)
	}
	sum := summaryFileOf(t, sumPath, 130, 130)
	if !strings.HasPrefix(sum["error"].(string), "interrupted: ") {
		t.Errorf("error %q, want the signal named", sum["error"])
	}
}

// summaryFileOf reads create's --json FILE after a run that exited code
// (want: the status expected) and checks its schema.
func summaryFileOf(t *testing.T, path string, code, want int) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil || code != want {
		t.Fatalf("create --json %s: exit %d (want %d), %v", path, code, want, err)
	}
	var sum map[string]any
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatalf("create --json %s: %v\n%s", path, err, b)
	}
	checkSummarySchema(t, sum, "create", code)
	return sum
}
