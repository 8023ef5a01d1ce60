package archiveset

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// WriteSummary writes check rows as the original's JSON summary: a pandas
// DataFrame indexed by file path, written with to_json's default
// ("columns") layout, ASCII-only with "/" escaped as pandas does.
func WriteSummary(w io.Writer, rows []CheckRow) error {
	bw := bufio.NewWriter(w)
	columns := []struct {
		name  string
		value func(*CheckRow) string
	}{
		{"size_orig", func(r *CheckRow) string { return strconv.FormatInt(r.SizeOrig, 10) }},
		{"size_arch", func(r *CheckRow) string { return strconv.FormatInt(r.SizeArch, 10) }},
		{"md5_orig", func(r *CheckRow) string { return jsonString(r.MD5Orig) }},
		{"md5_arch", func(r *CheckRow) string { return jsonString(r.MD5Arch) }},
		{"chunks", func(r *CheckRow) string { return strconv.Itoa(r.Chunks) }},
		{"passed", func(r *CheckRow) string { return strconv.FormatBool(r.Passed) }},
	}
	bw.WriteByte('{')
	for c, col := range columns {
		if c > 0 {
			bw.WriteByte(',')
		}
		fmt.Fprintf(bw, "%s:{", jsonString(col.name))
		for i := range rows {
			if i > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString(jsonString(rows[i].Path))
			bw.WriteByte(':')
			bw.WriteString(col.value(&rows[i]))
		}
		bw.WriteByte('}')
	}
	bw.WriteByte('}')
	return bw.Flush()
}

// jsonString quotes s like pandas' ujson: \uXXXX for non-ASCII, "\/" for "/".
func jsonString(s string) string {
	b := []byte{'"'}
	for _, r := range s {
		switch {
		case r == '"' || r == '\\' || r == '/':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r == '\t':
			b = append(b, `\t`...)
		case r < 0x20 || r >= 0x7f:
			if r == utf8.RuneError {
				r = 0xfffd
			}
			if r > 0xffff {
				r1, r2 := surrogates(r)
				b = fmt.Appendf(b, `\u%04x\u%04x`, r1, r2)
			} else {
				b = fmt.Appendf(b, `\u%04x`, r)
			}
		default:
			b = append(b, byte(r))
		}
	}
	return string(append(b, '"'))
}

func surrogates(r rune) (rune, rune) {
	r -= 0x10000
	return 0xd800 + (r>>10)&0x3ff, 0xdc00 + r&0x3ff
}
