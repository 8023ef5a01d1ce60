package progress

import (
	"fmt"
	"io"
	"strings"

	"github.com/hdf5vault/hdf5vault/pipeline"
	"github.com/hdf5vault/hdf5vault/walker"
)

// WriteSummary prints create's summary for people.
func WriteSummary(w io.Writer, s *pipeline.Summary) {
	fmt.Fprintf(w, "hdf5vault: archived %d files (%d parts) from %s\n", s.Files, s.Parts, s.Source)
	fmt.Fprintf(w, "  raw bytes:     %d (%s)\n", s.RawBytes, IEC(s.RawBytes))
	fmt.Fprintf(w, "  stored bytes:  %d (%s)\n", s.StoredBytes, IEC(s.StoredBytes))
	fmt.Fprintf(w, "  ratio:         %.4f\n", s.Ratio)
	fmt.Fprintf(w, "  wall time:     %.2f s\n", s.WallSeconds)
	fmt.Fprintf(w, "  throughput:    %s/s\n", IEC(int64(s.BytesPerSec)))
	for _, a := range s.Archives {
		fmt.Fprintf(w, "  %s: %d bytes (%s), %d datasets\n", a.Path, a.Bytes, IEC(a.Bytes), a.Parts)
	}
	if s.Symlinks > 0 {
		fmt.Fprintf(w, "  symlinks not followed: %d (--follow-symlinks to follow)\n", s.Symlinks)
	}
	if s.Followed > 0 {
		fmt.Fprintf(w, "  symlinks followed: %d\n", s.Followed)
	}
	list(w, "skipped (not regular files)", s.Skipped)
	list(w, "NOT ARCHIVED (unreadable)", s.Unreadable)
}

func list(w io.Writer, title string, l []walker.Skip) {
	if len(l) == 0 {
		return
	}
	fmt.Fprintf(w, "  %s: %d\n", title, len(l))
	for _, x := range l {
		fmt.Fprintf(w, "    %s: %s\n", x.Path, strings.TrimSpace(x.Reason))
	}
}
