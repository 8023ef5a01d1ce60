package pipeline

import (
	"os"
	"time"

	"github.com/hdf5vault/hdf5vault/walker"
)

// Summary is the end-of-run report, written as JSON (--json) and printed
// for people by package progress.
type Summary struct {
	Source        string           `json:"source"`
	Files         int64            `json:"files"`
	Parts         int64            `json:"parts"`
	RawBytes      int64            `json:"raw_bytes"`
	StoredBytes   int64            `json:"stored_bytes"`
	Ratio         float64          `json:"ratio"` // raw / stored
	WallSeconds   float64          `json:"wall_seconds"`
	BytesPerSec   float64          `json:"throughput_bytes_per_second"` // raw bytes per wall second
	Archives      []ArchiveSummary `json:"archives"`
	Symlinks      int              `json:"symlinks_not_followed"`
	SymlinkPaths  []string         `json:"symlink_paths"`
	Followed      int              `json:"symlinks_followed"`
	Skipped       []walker.Skip    `json:"skipped"`    // fifos, sockets, devices, dangling or looping links
	Unreadable    []walker.Skip    `json:"unreadable"` // --skip-unreadable: not archived
	MaxMemory     int64            `json:"max_memory"`
	PeakBuffered  int64            `json:"peak_buffered_bytes"`
	CompleteStore bool             `json:"complete"`        // every file found was stored
	Error         string           `json:"error,omitempty"` // why the run failed (then no archive was written)
}

// ArchiveSummary is one file of the set.
type ArchiveSummary struct {
	Path        string `json:"path"`
	Bytes       int64  `json:"bytes"`         // file size on disk
	Parts       int64  `json:"parts"`         // datasets
	StoredBytes int64  `json:"payload_bytes"` // payload bytes
}

// NewSummary gathers a finished run; paths are the final archive names.
func NewSummary(src string, res *Result, paths []string, wall time.Duration, maxMemory int64) *Summary {
	s := &Summary{
		Source: src, Files: res.Files, Parts: res.Parts, RawBytes: res.RawBytes, StoredBytes: res.StoredBytes,
		WallSeconds: wall.Seconds(), MaxMemory: maxMemory, PeakBuffered: res.HighWater,
		Skipped: []walker.Skip{}, Unreadable: append([]walker.Skip{}, res.Unreadable...), SymlinkPaths: []string{},
	}
	if res.StoredBytes > 0 {
		s.Ratio = float64(res.RawBytes) / float64(res.StoredBytes)
	}
	if s.WallSeconds > 0 {
		s.BytesPerSec = float64(res.RawBytes) / s.WallSeconds
	}
	if w := res.Walk; w != nil {
		s.Symlinks, s.Followed = len(w.Symlinks), w.Followed
		s.SymlinkPaths = append(s.SymlinkPaths, w.Symlinks...)
		s.Skipped = append(s.Skipped, w.Special...)
		s.Unreadable = append(s.Unreadable, w.Unreadable...)
	}
	s.CompleteStore = len(s.Unreadable) == 0
	for i, p := range paths {
		a := ArchiveSummary{Path: p, Parts: res.Archives[i].Parts, StoredBytes: res.Archives[i].Stored}
		if fi, err := os.Stat(p); err == nil {
			a.Bytes = fi.Size()
		}
		s.Archives = append(s.Archives, a)
	}
	return s
}
