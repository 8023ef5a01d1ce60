package archive

import (
	"errors"
	"strings"
	"testing"
)

func TestParseIndexBounds(t *testing.T) {
	part := `{"chunk": null, "archive_number": 0, "dataset": "%s", "compression": null}`
	entry := func(path string) string { return `"` + path + `": [` + strings.Replace(part, "%s", path, 1) + `]` }
	pad := strings.Repeat(" ", 1<<20)
	for name, index := range map[string]string{
		"missing":         "",
		"blank":           "  \n",
		"name of 256":     "{" + entry(strings.Repeat("n", 256)) + "}",
		"name of 100,000": "{" + entry(strings.Repeat("n", 100_000)) + "}",
		"path of 4097":    "{" + entry(strings.Repeat("d/", 2048)+"f") + "}",
		"padding key":     `{"a": [{"chunk": null, "archive_number": 0, "dataset": "a", "compression": null, "pad": "` + strings.Repeat("x", 1<<20) + `"}]}`,
		"white space":     "{" + entry("a") + pad + "}",
		"no parts":        `{"a": [], "b": [], "c": []}`,
		"nested padding":  `{"a": [{"chunk": null, "archive_number": 0, "dataset": "a", "compression": null, "pad": [` + strings.Repeat("[],", 1<<18) + `[]]}]}`,
	} {
		_, err := ParseIndex([]byte(index), 1)
		if err == nil || !errors.Is(err, ErrDamaged) {
			t.Errorf("%s: err = %v, want a damage error", name, err)
		}
		if name == "missing" && !strings.Contains(err.Error(), "missing") {
			t.Errorf("missing index: %v does not say so", err)
		}
	}
	// The largest genuine entries pass: a 255-byte name in a 4096-byte path,
	// escaped as the original's json.dumps escapes non-ASCII.
	long := strings.Repeat(strings.Repeat(`\u00fc`, 127)+"/", 16) + "f"
	if _, err := ParseIndex([]byte("{"+entry(long)+"}"), 1); err != nil {
		t.Errorf("a 4,081-byte escaped path: %v", err)
	}
}

// TestCheckIndexSizeStreamed: the check in pieces (CheckIndexSize reads
// an index a MiB at a time) gives the one-pass verdict wherever the pieces
// are cut, and its errors are damage.
func TestCheckIndexSizeStreamed(t *testing.T) {
	part := `{"chunk": null, "archive_number": 0, "dataset": "a\"b", "compression": null}`
	for name, index := range map[string]string{
		"good":        `{"a\"b": [` + part + `], "c": [` + part + `, ` + part + `]}`,
		"padding":     `{"a\"b": [` + part + `]` + strings.Repeat(" ", 500) + `}`,
		"no parts":    `{"a": []}`,
		"long part":   `{"a": [{"pad": "` + strings.Repeat("x", maxPartJSON) + `"}]}`,
		"long escape": `{"` + strings.Repeat(`\\`, maxKeyJSON) + `": [{}]}`,
	} {
		want := checkIndexSize([]byte(index))
		for cut := 1; cut < len(index); cut += 1 + cut/3 {
			var c indexSizeCheck
			err := c.write([]byte(index[:cut]))
			if err == nil {
				err = c.write([]byte(index[cut:]))
			}
			if err == nil {
				err = c.end()
			}
			if (err == nil) != (want == nil) || err != nil && err.Error() != want.Error() {
				t.Fatalf("%s cut at %d: %v, in one pass: %v", name, cut, err, want)
			}
		}
		err := CheckIndexSize(strings.NewReader(index), int64(len(index)))
		if (err == nil) != (want == nil) || err != nil && !errors.Is(err, ErrDamaged) {
			t.Errorf("%s: CheckIndexSize: %v, in one pass: %v", name, err, want)
		}
	}
}
