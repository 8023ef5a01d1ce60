package progress

import (
	"fmt"
	"io"
	"strings"

	"github.com/hdf5vault/hdf5vault/jsonl"
)

// WriteSummary prints create's summary for people, in the words of its
// JSON form (parts, binary units).
func WriteSummary(w io.Writer, s *jsonl.Summary) {
	fmt.Fprintf(w, "hdf5vault: archived %d files (%d parts) from %s\n", s.Files, s.Parts, s.Source)
	fmt.Fprintf(w, "  raw bytes:     %d (%s)\n", s.RawBytes, IEC(s.RawBytes))
	fmt.Fprintf(w, "  stored bytes:  %d (%s)\n", s.StoredBytes, IEC(s.StoredBytes))
	fmt.Fprintf(w, "  ratio:         %.4f\n", s.Ratio)
	fmt.Fprintf(w, "  wall time:     %.2f s\n", s.WallSeconds)
	fmt.Fprintf(w, "  throughput:    %s\n", Rate(s.RawBytesPerSecond))
	for _, a := range s.Archives {
		fmt.Fprintf(w, "  %s: %d bytes (%s), %d parts\n", a.Path, a.Bytes, IEC(a.Bytes), a.Parts)
	}
	if s.Walk != nil && s.Walk.SymlinksNotFollowed > 0 {
		fmt.Fprintf(w, "  symlinks not followed: %d (--follow-symlinks to follow)\n", s.Walk.SymlinksNotFollowed)
	}
	if s.Walk != nil && s.Walk.SymlinksFollowed > 0 {
		fmt.Fprintf(w, "  symlinks followed: %d\n", s.Walk.SymlinksFollowed)
	}
	if s.Walk != nil {
		list(w, "skipped (not regular files)", s.Walk.Skipped)
	}
	list(w, "NOT ARCHIVED (unreadable)", s.Failed)
}

// Rate formats bytes per second as every command and progress line does:
// binary units (KiB/s, MiB/s, GiB/s).
func Rate(bytesPerSecond float64) string { return IEC(int64(bytesPerSecond)) + "/s" }

func list(w io.Writer, title string, l []jsonl.Problem) {
	if len(l) == 0 {
		return
	}
	fmt.Fprintf(w, "  %s: %d\n", title, len(l))
	for _, x := range l {
		fmt.Fprintf(w, "    %s: %s\n", x.Path, strings.TrimSpace(x.Reason))
	}
}
