package selection

import (
	"slices"
	"strings"
	"testing"
)

var tree = []string{
	"Plate1/A01/A01_f01_ch1.tif",
	"Plate1/A01/A01_f01_ch2.tif",
	"Plate1/A01/notes.txt",
	"Plate1/B03/B03_f07_ch1.tif",
	"Plate1/B03/cache/x.tif",
	"Plate1/B03.tif",
	"Plate1/B03-old/B03_f07_ch1.tif",
	"Plate1_metadata.json",
	"cache",
	"top.tif",
	"a[1]/b",
}

func selected(t *testing.T, paths, inc, exc []string) []string {
	t.Helper()
	s, err := New(paths, inc, exc)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range tree {
		if s.Mark(p) {
			out = append(out, p)
		}
	}
	return out
}

func TestSemantics(t *testing.T) {
	cases := []struct {
		name          string
		paths, inc, x []string
		want          []string
	}{
		{"nothing given selects all", nil, nil, nil, tree},
		{"a directory path selects what is below it, not its namesakes",
			[]string{"Plate1/B03"}, nil, nil, []string{"Plate1/B03/B03_f07_ch1.tif", "Plate1/B03/cache/x.tif"}},
		{"a file path", []string{"./top.tif"}, nil, nil, []string{"top.tif"}},
		{"paths are cleaned", []string{"Plate1//A01/"}, nil, []string{"*.tif"}, []string{"Plate1/A01/notes.txt"}},
		{"unanchored glob matches a name at any depth",
			nil, nil, []string{"*.tif"}, []string{"Plate1/A01/notes.txt", "Plate1_metadata.json", "cache", "a[1]/b"}},
		{"unanchored name excludes files and directories of that name",
			nil, nil, []string{"cache"}, slices.DeleteFunc(slices.Clone(tree), func(p string) bool { return strings.Contains(p, "cache") })},
		{"trailing slash: directories only",
			nil, nil, []string{"cache/"}, slices.DeleteFunc(slices.Clone(tree), func(p string) bool { return p == "Plate1/B03/cache/x.tif" })},
		{"anchored glob: * does not cross /",
			nil, []string{"Plate1/*.tif"}, nil, []string{"Plate1/B03.tif"}},
		{"anchored, leading slash the same", nil, []string{"/Plate1/*/B03_*"}, nil,
			[]string{"Plate1/B03/B03_f07_ch1.tif", "Plate1/B03-old/B03_f07_ch1.tif"}},
		{"** crosses directories, none included", nil, []string{"Plate1/**/x.tif"}, nil, []string{"Plate1/B03/cache/x.tif"}},
		{"** at the start", nil, []string{"**/B03_f07_ch1.tif"}, nil,
			[]string{"Plate1/B03/B03_f07_ch1.tif", "Plate1/B03-old/B03_f07_ch1.tif"}},
		{"classes, negated both ways", nil, []string{"Plate1/A01/*_ch[!1].tif", "Plate1/A01/*_ch[^12].tif"}, nil,
			[]string{"Plate1/A01/A01_f01_ch2.tif"}},
		{"backslash quotes", nil, []string{`a\[1\]/b`}, nil, []string{"a[1]/b"}},
		{"exclude wins over include and paths", []string{"Plate1/A01"}, []string{"*.txt"}, []string{"notes.*"},
			[]string{"Plate1/A01/A01_f01_ch1.tif", "Plate1/A01/A01_f01_ch2.tif"}},
		{"paths and includes add up", []string{"top.tif"}, []string{"Plate1/B03"}, nil,
			[]string{"Plate1/B03/B03_f07_ch1.tif", "Plate1/B03/cache/x.tif", "top.tif"}},
		{"dot is every path", []string{"."}, nil, []string{"Plate1"}, []string{"Plate1_metadata.json", "cache", "top.tif", "a[1]/b"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := selected(t, c.paths, c.inc, c.x)
			if !slices.Equal(got, c.want) {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestBadGlobs(t *testing.T) {
	for _, g := range []string{"", "/", "a//b", "../x", "a/./b", "[abc", `x\`, "Plate1/[", "a/*["} {
		if _, err := New(nil, []string{"ok", g}, nil); err == nil || !strings.Contains(err.Error(), "--include") {
			t.Errorf("include %q: %v, want an error naming --include", g, err)
		}
		if _, err := New(nil, nil, []string{g}); err == nil || !strings.Contains(err.Error(), "--exclude") || g != "" && !strings.Contains(err.Error(), g) {
			t.Errorf("exclude %q: %v, want an error naming --exclude and the glob", g, err)
		}
	}
	for _, p := range []string{"", "/abs", "../up", "a/../../up"} {
		if _, err := New([]string{p}, nil, nil); err == nil {
			t.Errorf("path %q accepted", p)
		}
	}
}

func TestUnmatched(t *testing.T) {
	s, err := New([]string{"Plate1/B03", "Plate1/B03/cache", "nope", "Plate1/B0"}, []string{"*.json", "*.xml"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range tree {
		s.Mark(p)
	}
	want := []string{"nope", "Plate1/B0", "--include *.xml"}
	if got := s.Unmatched(); !slices.Equal(got, want) {
		t.Errorf("unmatched %q, want %q", got, want)
	}
}

func TestSkipDir(t *testing.T) {
	s, _ := New([]string{"Plate1/B03/cache/x.tif", "Plate1/A01"}, nil, []string{"old/"})
	for d, want := range map[string]bool{
		"Plate1": false, "Plate1/B03": false, "Plate1/B03/cache": false, "Plate1/A01/sub": false,
		"Plate2": true, "Plate1/B04": true, "Plate1/A01/old": true,
	} {
		if got := s.SkipDir(d); got != want {
			t.Errorf("SkipDir(%q) = %v, want %v", d, got, want)
		}
	}
	s, _ = New(nil, []string{"Plate1/*.tif"}, nil)
	if s.SkipDir("Plate2") {
		t.Error("SkipDir prunes for an include: includes are matched on files only")
	}
}

func TestRanges(t *testing.T) {
	s, _ := New([]string{"b", "a/x", "a"}, []string{"Plate1/B03/*.tif", "c/d"}, []string{"*.tmp"})
	want := []Range{{"Plate1/B03/", "Plate1/B030"}, {"a", "a0"}, {"b", "b0"}, {"c/d", "c/d0"}}
	if got := s.Ranges(); !slices.Equal(got, want) {
		t.Errorf("ranges %q, want %q", got, want)
	}
	for _, inc := range [][]string{{"*.tif"}, {"*/x"}, {"**/x"}} {
		if s, _ := New([]string{"a"}, inc, nil); s.Ranges() != nil {
			t.Errorf("include %q: ranges %q, want the whole index", inc, s.Ranges())
		}
	}
	if s, _ := New(nil, nil, []string{"x"}); s.Ranges() != nil {
		t.Error("excludes alone restrict no range")
	}
}

// FuzzGlob: no pattern or path makes the parser or matcher panic, a
// literal anchored pattern selects exactly a path and what is below it,
// and every selected path lies in one of the ranges.
func FuzzGlob(f *testing.F) {
	f.Add("Plate1/B03", "Plate1/B03/x.tif")
	f.Add("**/*.tif", "a/b/c.tif")
	f.Add("[!a]/", "b/c")
	f.Add(`a\*`, "a*")
	f.Fuzz(func(t *testing.T, pat, p string) {
		s, err := New(nil, []string{pat}, nil)
		if err != nil {
			return
		}
		in := s.Mark(p)
		if in {
			ok := s.Ranges() == nil
			for _, r := range s.Ranges() {
				ok = ok || r.Contains(p)
			}
			if !ok {
				t.Fatalf("%q selects %q outside its ranges %q", pat, p, s.Ranges())
			}
		}
		if strings.Contains(pat, "/") && !strings.HasPrefix(pat, "/") && !hasMeta(pat) && !strings.HasSuffix(pat, "/") {
			if want := p == pat || strings.HasPrefix(p, pat+"/"); in != want {
				t.Fatalf("literal %q on %q: %v, want %v", pat, p, in, want)
			}
		}
	})
}
