package selection

import (
	"fmt"
	"path"
	"strings"
)

// Glob is one checked --include or --exclude pattern.
type Glob struct {
	src     string
	comps   []string // path.Match patterns; "**" is any number of components
	dirOnly bool     // a trailing '/': only a leading directory may match
	lit     int      // leading components without a wildcard
}

// String is the pattern as given.
func (g Glob) String() string { return g.src }

// ParseGlob checks a pattern; the error says what is wrong with it.
func ParseGlob(s string) (Glob, error) {
	g := Glob{src: s}
	p := s
	if strings.HasSuffix(p, "/") {
		g.dirOnly = true
		p = strings.TrimRight(p, "/")
	}
	anchored := strings.Contains(p, "/") || g.dirOnly && strings.HasPrefix(s, "/")
	p = strings.TrimLeft(p, "/")
	if p == "" {
		return g, fmt.Errorf("%q: an empty pattern matches nothing", s)
	}
	comps := strings.Split(p, "/")
	for i, c := range comps {
		switch c {
		case "":
			return g, fmt.Errorf("%q: empty component (//)", s)
		case ".", "..":
			return g, fmt.Errorf("%q: archive paths have no %q components", s, c)
		case "**":
			continue
		}
		c = bangClass(c)
		if _, err := path.Match(c, ""); err != nil {
			return g, fmt.Errorf("%q: %v (a '[' without its ']', or a '\\' at the end)", s, err)
		}
		comps[i] = c
	}
	if !anchored {
		comps = append([]string{"**"}, comps...)
	}
	g.comps = comps
	for g.lit < len(comps) && comps[g.lit] != "**" && !hasMeta(comps[g.lit]) {
		g.lit++
	}
	return g, nil
}

// bangClass spells a shell's negated class [!...] as path.Match's [^...].
func bangClass(c string) string {
	if !strings.Contains(c, "[!") {
		return c
	}
	b := []byte(c)
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '[':
			if i+1 < len(b) && b[i+1] == '!' {
				b[i+1] = '^'
			}
			for i++; i < len(b) && b[i] != ']'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		}
	}
	return string(b)
}

func hasMeta(c string) bool { return strings.ContainsAny(c, `*?[\`) }

// match reports whether g matches the path made of comps or one of its
// leading directories; dir says the path is itself a directory.
func (g *Glob) match(comps []string, dir bool) bool {
	n := len(comps)
	var a, b [33]bool
	cur, next := a[:], b[:]
	if n+1 > len(a) {
		cur, next = make([]bool, n+1), make([]bool, n+1)
	}
	cur, next = cur[:n+1], next[:n+1]
	clear(cur)
	cur[0] = true // cur[j]: the pattern so far matches comps[:j]
	for _, pc := range g.comps {
		any := false
		for j := 0; j <= n; j++ {
			if pc == "**" {
				any = any || cur[j]
				next[j] = any
				continue
			}
			next[j] = j > 0 && cur[j-1] && componentMatch(pc, comps[j-1])
		}
		cur, next = next, cur
	}
	last := n
	if g.dirOnly && !dir {
		last = n - 1 // the file's own name is not a directory
	}
	for j := 1; j <= last; j++ {
		if cur[j] {
			return true
		}
	}
	return false
}

func componentMatch(pattern, name string) bool {
	ok, _ := path.Match(pattern, name) // checked by ParseGlob
	return ok
}

// span is the range of paths g can match: [lo, hi) in byte order, or
// whole when its first component is a wildcard.
func (g *Glob) span() (r Range, whole bool) {
	if g.lit == 0 {
		return Range{}, true
	}
	lit := strings.Join(g.comps[:g.lit], "/")
	if g.lit == len(g.comps) {
		return pathRange(lit), false
	}
	return Range{Lo: lit + "/", Hi: lit + "0"}, false
}
