package selection

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// Selection is a parsed set of literal paths, includes and excludes. Match
// is safe for concurrent use; Mark (which records what matched) is not.
type Selection struct {
	paths     map[string]int  // cleaned literal path -> its index in given
	given     []string        // the literal paths as cleaned, in order
	ancestors map[string]bool // every directory above a literal path
	everyPath bool            // "." was given: every path
	include   []Glob
	exclude   []Glob
	hitPath   []bool
	hitInc    []bool
}

// New parses literal paths and globs. An error names the path or glob and
// says what is wrong with it (a usage error for the commands).
func New(paths, include, exclude []string) (*Selection, error) {
	s := &Selection{paths: map[string]int{}, ancestors: map[string]bool{}}
	for _, p := range paths {
		c, err := CleanPath(p)
		if err != nil {
			return nil, err
		}
		if _, dup := s.paths[c]; dup {
			continue
		}
		s.paths[c] = len(s.given)
		s.given = append(s.given, c)
		if c == "." {
			s.everyPath = true
		}
		for d := path.Dir(c); d != "."; d = path.Dir(d) {
			s.ancestors[d] = true
		}
	}
	var err error
	if s.include, err = parseGlobs("--include", include); err != nil {
		return nil, err
	}
	if s.exclude, err = parseGlobs("--exclude", exclude); err != nil {
		return nil, err
	}
	s.hitPath, s.hitInc = make([]bool, len(s.given)), make([]bool, len(s.include))
	return s, nil
}

func parseGlobs(flag string, pats []string) ([]Glob, error) {
	gs := make([]Glob, 0, len(pats))
	for _, p := range pats {
		g, err := ParseGlob(p)
		if err != nil {
			return nil, fmt.Errorf("%s %w", flag, err)
		}
		gs = append(gs, g)
	}
	return gs, nil
}

// CleanPath makes a literal path an archive path: "./a/b/" is "a/b", "."
// is every path. Absolute paths and paths leaving the tree are refused.
func CleanPath(p string) (string, error) {
	switch {
	case p == "":
		return "", fmt.Errorf("empty path")
	case strings.HasPrefix(p, "/"):
		return "", fmt.Errorf("%s: an absolute path; give it relative to the top of the tree, as ls prints it", p)
	case strings.ContainsRune(p, 0):
		return "", fmt.Errorf("%q: a NUL byte in a path", p)
	}
	c := path.Clean(p)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("%s: leaves the tree (..)", p)
	}
	return c, nil
}

// Empty reports whether the selection selects every path.
func (s *Selection) Empty() bool {
	return s == nil || len(s.given) == 0 && len(s.include) == 0 && len(s.exclude) == 0
}

// inclusive reports whether paths or includes restrict the selection.
func (s *Selection) inclusive() bool { return len(s.given) > 0 || len(s.include) > 0 }

// Match reports whether file path p is selected.
func (s *Selection) Match(p string) bool { return s.match(p, false) }

// Mark is Match that also records which literal paths and includes
// matched p, for Unmatched.
func (s *Selection) Mark(p string) bool { return s.match(p, true) }

func (s *Selection) match(p string, mark bool) bool {
	if s.Empty() {
		return true
	}
	comps := strings.Split(p, "/")
	for i := range s.exclude {
		if s.exclude[i].match(comps, false) {
			return false
		}
	}
	if !s.inclusive() {
		return true
	}
	in := s.everyPath
	if mark && in {
		s.hitPath[s.paths["."]] = true
	}
	for d := p; top(d) && (mark || !in); d = path.Dir(d) {
		if k, ok := s.paths[d]; ok {
			in = true
			if mark {
				s.hitPath[k] = true
			}
		}
	}
	for i := range s.include {
		if (mark || !in) && s.include[i].match(comps, false) {
			in = true
			if mark {
				s.hitInc[i] = true
			}
		}
	}
	return in
}

// top reports whether d is below the top of a tree: path.Dir ends at "."
// for relative paths, at "/" for absolute ones (never archived, but a
// hostile index must not make the loop endless).
func top(d string) bool { return d != "." && d != "/" }

// SkipDir reports whether nothing at or below directory d can be selected:
// an exclude matches it, or only literal paths select and none lies at,
// below or above d. A walk of a source tree need not enter it.
func (s *Selection) SkipDir(d string) bool {
	if s.Empty() {
		return false
	}
	comps := strings.Split(d, "/")
	for i := range s.exclude {
		if s.exclude[i].match(comps, true) {
			return true
		}
	}
	if len(s.include) > 0 || len(s.given) == 0 || s.everyPath || s.ancestors[d] {
		return false
	}
	for x := d; top(x); x = path.Dir(x) {
		if _, ok := s.paths[x]; ok {
			return false
		}
	}
	return true
}

// Keep is Match for a file and !SkipDir for a directory: the question a
// walk of a source tree asks (walker.Options.Keep).
func (s *Selection) Keep(rel string, dir bool) bool {
	if dir {
		return !s.SkipDir(rel)
	}
	return s.Match(rel)
}

// Unmatched lists the literal paths and includes that no Mark call
// matched, as the user gave them.
func (s *Selection) Unmatched() []string {
	if s == nil {
		return nil
	}
	var out []string
	for k, hit := range s.hitPath {
		if !hit {
			out = append(out, s.given[k])
		}
	}
	for i, hit := range s.hitInc {
		if !hit {
			out = append(out, "--include "+s.include[i].src)
		}
	}
	return out
}

// Range is the paths p with Lo <= p < Hi in byte order (Hi "" for no end).
type Range struct{ Lo, Hi string }

// Contains reports whether p lies in r.
func (r Range) Contains(p string) bool { return p >= r.Lo && (r.Hi == "" || p < r.Hi) }

// pathRange holds p and everything below it: p/... sorts before p0 ('/'
// is one below '0'). It may hold other names too (p-1, p.txt): Match
// decides.
func pathRange(p string) Range { return Range{Lo: p, Hi: p + "0"} }

// Ranges returns sorted, disjoint ranges of paths outside which nothing is
// selected, so that a sorted index need not be read whole; nil when any
// path may be selected.
func (s *Selection) Ranges() []Range {
	if s.Empty() || !s.inclusive() || s.everyPath {
		return nil
	}
	rs := make([]Range, 0, len(s.given)+len(s.include))
	for _, p := range s.given {
		rs = append(rs, pathRange(p))
	}
	for i := range s.include {
		r, whole := s.include[i].span()
		if whole {
			return nil
		}
		rs = append(rs, r)
	}
	slices.SortFunc(rs, func(a, b Range) int { return strings.Compare(a.Lo, b.Lo) })
	out := rs[:1]
	for _, r := range rs[1:] {
		last := &out[len(out)-1]
		if r.Lo <= last.Hi {
			last.Hi = max(last.Hi, r.Hi)
			continue
		}
		out = append(out, r)
	}
	return out
}
