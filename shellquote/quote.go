package shellquote

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Quote quotes a name as GNU ls --quoting-style=shell-escape does, so
// that a name from an archive can neither retitle a terminal nor fake a
// line: printable text in single quotes, everything else as $'...' escapes.
// A name that needs no quoting is returned as it is. Pasted into a POSIX
// shell with $'...' (bash, zsh, ksh), the result is the name again.
func Quote(s string) string {
	if s != "" && strings.IndexFunc(s, needsQuote) < 0 && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	open := false
	quote := func(want bool) {
		if open != want {
			b.WriteByte('\'')
			open = want
		}
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1, !unicode.IsPrint(r):
			quote(false)
			b.WriteString("$'")
			for _, c := range []byte(s[i : i+n]) {
				b.WriteString(escapeByte(c))
			}
			b.WriteByte('\'')
		case r == '\'':
			quote(false)
			b.WriteString(`\'`)
		default:
			quote(true)
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	quote(false)
	if b.Len() == 0 {
		return "''"
	}
	return b.String()
}

// needsQuote reports the runes a shell (or a terminal) would treat specially.
func needsQuote(r rune) bool {
	if r >= utf8.RuneSelf {
		return !unicode.IsPrint(r)
	}
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("%+,-./:=@_^", r))
}

func escapeByte(c byte) string {
	switch c {
	case '\a':
		return `\a`
	case '\b':
		return `\b`
	case '\t':
		return `\t`
	case '\n':
		return `\n`
	case '\v':
		return `\v`
	case '\f':
		return `\f`
	case '\r':
		return `\r`
	}
	return fmt.Sprintf(`\%03o`, c)
}
