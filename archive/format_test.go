package archive

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestFileName(t *testing.T) {
	cases := []struct {
		n, w int
		zip  bool
		want string
	}{
		{0, 1, false, "set.h5"},
		{0, 1, true, "set.zip"},
		{0, 2, false, "set_0.h5"},
		{3, 4, false, "set_3.h5"},
		{0, 10, false, "set_00.h5"},
		{9, 10, true, "set_09.zip"},
		{42, 100, false, "set_042.h5"},
	}
	for _, c := range cases {
		if got := FileName("set", c.n, c.w, c.zip); got != c.want {
			t.Errorf("FileName(set, %d, %d, %v) = %q, want %q", c.n, c.w, c.zip, got, c.want)
		}
	}
}

func TestDatasetName(t *testing.T) {
	cases := []struct {
		rel        string
		k, n       int
		compressed bool
		want       string
	}{
		{"a/b.tif", 0, 1, true, "a/b.tif.blosc2"},
		{"a/b.tif", 0, 1, false, "a/b.tif"},
		{"odd/name.blosc2", 0, 1, true, "odd/name.blosc2.blosc2"},
		{"x.tif", 3, 4, true, "x.tif____part3.blosc2"},
		{"x.tif", 3, 12, false, "x.tif____part03"},
	}
	for _, c := range cases {
		if got := DatasetName(c.rel, c.k, c.n, c.compressed); got != c.want {
			t.Errorf("DatasetName(%q, %d, %d, %v) = %q, want %q", c.rel, c.k, c.n, c.compressed, got, c.want)
		}
	}
}

func TestNumParts(t *testing.T) {
	// The fixtures: 620,000 bytes at split size 200,000 make four parts; a file
	// of exactly the split size is not split.
	for _, c := range []struct {
		size, chunk int64
		want        int
	}{
		{0, 10, 1}, {10, 10, 1}, {11, 10, 2}, {620000, 200000, 4}, {600000, 200000, 3},
	} {
		if got := NumParts(c.size, c.chunk); got != c.want {
			t.Errorf("NumParts(%d, %d) = %d, want %d", c.size, c.chunk, got, c.want)
		}
	}
}

func TestStem(t *testing.T) {
	cases := []struct {
		file   string
		member bool
		want   string
	}{
		{"/x/set2_0.h5", true, "set2"},
		{"set2_1.zip", true, "set2"},
		{"single.h5", false, "single"},
		{"my_data.h5", false, "my_data"},
		{"run_a_01.h5", true, "run_a"},
	}
	for _, c := range cases {
		if got := Stem(c.file, c.member); got != c.want {
			t.Errorf("Stem(%q, %v) = %q, want %q", c.file, c.member, got, c.want)
		}
	}
}

// TestSplitMember: the one parser of members' names (Stem, Members, the
// set's lost members and the zip reader's fallback all use it).
func TestSplitMember(t *testing.T) {
	cases := []struct {
		file     string
		base     string
		n        int
		numbered bool
	}{
		{"/x/set2_0.h5", "set2", 0, true},
		{"set2_12.zip", "set2", 12, true},
		{"run_a_007.h5", "run_a", 7, true},
		{"single.h5", "single", 0, false},
		{"my_data.h5", "my_data", 0, false},
		{"_3.h5", "_3", 0, false}, // no base before the number
		{"set_.h5", "set_", 0, false},
		{"set_99999999999999999999999.h5", "set", -1, true},
	}
	for _, c := range cases {
		base, n, numbered := SplitMember(c.file)
		if base != c.base || n != c.n || numbered != c.numbered {
			t.Errorf("SplitMember(%q) = %q, %d, %v; want %q, %d, %v", c.file, base, n, numbered, c.base, c.n, c.numbered)
		}
	}
}

func TestTempName(t *testing.T) {
	tmp := TempName("/out/set_1.h5", "1234")
	if tmp != "/out/.set_1.h5.1234"+TempSuffix {
		t.Fatalf("TempName = %q", tmp)
	}
	if !IsTempName(".set_1.h5.1234" + TempSuffix) {
		t.Error("IsTempName rejects a TempName")
	}
	if IsTempName("set_1.h5") || IsTempName(".hidden.h5") {
		t.Error("IsTempName accepts a final name")
	}
	long := strings.Repeat("x", MaxSegment)
	token := strings.Repeat("h", 64) + "-4194304-0a1b2c3d" // the longest host name
	tmp = UnpackTempName("/restore/a/"+long, token, 1<<40)
	if filepath.Dir(tmp) != "/restore/a" || len(filepath.Base(tmp)) > 120 || !IsTempName(filepath.Base(tmp)) {
		t.Fatalf("UnpackTempName = %q: want a short temporary name in the same directory", tmp)
	}
}

func TestCleanRel(t *testing.T) {
	for _, ok := range []string{"a", "a/b c/Zelle ü 1.txt", ".hidden/config.json", "odd/name.blosc2", "..a/b..",
		`back\slash.txt`, `\\server\share`, `a\..\b`, strings.Repeat("n", MaxSegment),
		strings.Repeat(strings.Repeat("d", 254)+"/", 16) + "f"} {
		if err := CleanRel(ok); err != nil {
			t.Errorf("CleanRel(%q) = %v, want ok", ok, err)
		}
	}
	for _, bad := range []string{"", "/abs", "../evil", "a/../../b", "a/./b", "a//b", "a/", "./a", "..", "a\x00b",
		strings.Repeat("n", MaxSegment+1), strings.Repeat("d/", MaxPath/2) + "f"} {
		if err := CleanRel(bad); err == nil {
			t.Errorf("CleanRel(%q) accepted an unsafe path", bad)
		}
	}
}
