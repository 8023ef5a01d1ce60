package progress

import (
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// item is one piece of a progress line. When a bar line is too wide for
// the terminal, the items of least keep are dropped first.
type item struct {
	text  string
	keep  int  // higher survives longer
	space bool // joined to the previous piece by a space rather than ", "
}

// join writes head and the items as one line, without a bar.
func join(head string, items []item) string {
	var b strings.Builder
	b.WriteString(head)
	for i, it := range items {
		switch {
		case i == 0 || it.space:
			b.WriteByte(' ')
		default:
			b.WriteString(", ")
		}
		b.WriteString(it.text)
	}
	return b.String()
}

// withBar is join with a bar of frac (0..1) of width columns after head.
func withBar(head string, frac float64, width int, items []item) string {
	n := int(frac * float64(width))
	return join(head+fmt.Sprintf(" [%s%s]", strings.Repeat("=", n), strings.Repeat(" ", width-n)), items)
}

// fit renders a bar line in at most width columns (0: no limit): heads are
// the line's title, longest first; frac < 0 draws no bar. It narrows the
// bar, shortens the title, then keeps the items of most keep that fit,
// then drops the bar, and as a last resort cuts the line. A line never
// reaches the terminal's last column, so the terminal never wraps it: a
// wrapped line is what leaves stale fragments behind when "\r" returns
// only to its last row.
func fit(width int, heads []string, frac float64, items []item) string {
	render := func(head string, bar int, its []item) string {
		if bar > 0 && frac >= 0 {
			return withBar(head, frac, bar, its)
		}
		return join(head, its)
	}
	if width <= 0 {
		return render(heads[0], 20, items)
	}
	fits := func(s string) bool { return utf8.RuneCountInString(s) <= width }
	for _, bar := range []int{20, 10} {
		for _, h := range heads {
			if s := render(h, bar, items); fits(s) {
				return s
			}
		}
	}
	short := heads[len(heads)-1]
	for _, bar := range []int{10, 0} {
		if !fits(render(short, bar, nil)) {
			continue
		}
		kept := mostKept(items, func(its []item) bool { return fits(render(short, bar, its)) })
		if len(kept) > 0 || len(items) == 0 || bar == 0 {
			return render(short, bar, kept)
		}
	}
	return cut(short, width)
}

// mostKept takes the items in order of keep, most first, each one only if
// the line still fits with it, and returns them in their own order.
func mostKept(items []item, fits func([]item) bool) []item {
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return items[order[a]].keep > items[order[b]].keep })
	take := make([]bool, len(items))
	pick := func() []item {
		var out []item
		for i, it := range items {
			if take[i] {
				out = append(out, it)
			}
		}
		return out
	}
	for n, i := range order {
		take[i] = true
		if !fits(pick()) {
			take[i] = false
			if n == 0 {
				return nil // the most useful does not fit: nor should a lesser one instead
			}
		}
	}
	return pick()
}

// cut keeps the first width runes of s.
func cut(s string, width int) string {
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	return string([]rune(s)[:width])
}

// etaAfter is how long a rate is measured before an ETA is shown: in the
// first seconds the rate swings wildly (file system caches, the first
// parts still in the compressors) and so would the ETA.
const etaAfter = 3 * time.Second

// eta estimates the time left, or "" while too little is measured:
// before etaAfter, before 1% is done, or when it is all done.
func eta(elapsed time.Duration, done, total float64) string {
	if elapsed < etaAfter || total <= 0 || done < total/100 || done >= total {
		return ""
	}
	left := time.Duration(float64(elapsed) * (total - done) / done)
	return "ETA " + left.Round(time.Second).String()
}

// stamp prefixes a log line (no terminal: cron, batch jobs) with the time
// in ISO 8601, so a log read later says when each line was written.
func stamp(now time.Time, line string) string {
	return now.Format(time.RFC3339) + " " + line
}

// IEC formats a byte count with binary units.
func IEC(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	d, e := int64(unit), 0
	for v := n / unit; v >= unit; v /= unit {
		d *= unit
		e++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(d), "KMGTPE"[e])
}
