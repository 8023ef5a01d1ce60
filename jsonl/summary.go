package jsonl

import (
	"sort"
	"strings"
	"time"
)

// SchemaVersion is the summary's schema version. It changes when a key
// changes meaning or goes away; new keys do not change it.
const SchemaVersion = 1

// Message types of the JSON lines.
const (
	TypeStatus  = "status"
	TypeFile    = "file"
	TypeDamaged = "damaged"
	TypeDiffers = "differs"
	TypeFailed  = "failed"
	TypeError   = "error"
	TypeSummary = "summary"
)

// Summary is the end of every command's run, written as JSON (the last of
// the JSON lines; create's --json FILE) and shown as text. Byte counts are
// in bytes, times in seconds, rates in bytes per second: the unit is in
// each key's name. Counts are of what the command handled: stored by
// create, listed by ls, read by verify, restored by unpack, compared by
// check.
type Summary struct {
	MessageType   string   `json:"message_type"` // TypeSummary
	SchemaVersion int      `json:"schema_version"`
	Tool          string   `json:"tool"` // "hdf5vault"
	Version       string   `json:"version"`
	Command       string   `json:"command"`
	StartTime     string   `json:"start_time"` // RFC 3339
	EndTime       string   `json:"end_time"`
	WallSeconds   float64  `json:"wall_seconds"`
	Settings      Settings `json:"settings"`

	Source      string    `json:"source,omitempty"`      // create: SRC_DIR; check: the directory compared
	Destination string    `json:"destination,omitempty"` // unpack: DEST/<stem>
	Archives    []Archive `json:"archives"`              // the set's member files

	Files             int64    `json:"files"`
	Parts             int64    `json:"parts"`
	RawBytes          int64    `json:"raw_bytes"`    // the files' bytes
	StoredBytes       int64    `json:"stored_bytes"` // their payload bytes in the archive
	Ratio             float64  `json:"ratio"`        // raw / stored; 0 when nothing is stored
	RawBytesPerSecond float64  `json:"raw_bytes_per_second"`
	ChecksumsCompared int64    `json:"checksums_compared,omitempty"` // verify, check: files whose stored checksum was compared
	SkippedExisting   int64    `json:"skipped_existing,omitempty"`   // unpack --skip-existing: already in DEST
	PeakBufferedBytes int64    `json:"peak_buffered_bytes,omitempty"`
	Walk              *Walk    `json:"walk,omitempty"` // create, check: what the directory walk left out
	Notes             []string `json:"notes,omitempty"`
	Shard             any      `json:"shard,omitempty"` // create --shard: which shard and its files; seal: the shards it sealed

	Complete bool      `json:"complete"` // the command did its whole job: nothing failed, damaged or different
	ExitCode int       `json:"exit_code"`
	Error    string    `json:"error"`   // why the run failed or found problems; "" when complete
	Failed   []Problem `json:"failed"`  // files that could not be read (create: not archived)
	Damaged  []Problem `json:"damaged"` // files damaged in the archive
	Differs  []Problem `json:"differs"` // files different from the archive (check; unpack --skip-existing)
}

// Settings are the run's settings: the command's flags, and for the read
// commands what the set records (writers, chunk size, format version).
// Flags that do not apply to a command, or are off, are left out.
type Settings struct {
	Codec          string `json:"codec,omitempty"`
	CLevel         int    `json:"clevel,omitempty"`
	CMethod        string `json:"cmethod,omitempty"`
	Threads        int    `json:"threads,omitempty"`
	Jobs           int    `json:"jobs,omitempty"`    // create's compressors, unpack's decoders
	Workers        int    `json:"workers,omitempty"` // verify's and check's readers
	Writers        int    `json:"writers,omitempty"` // archive files of the set
	ChunkSizeBytes int64  `json:"chunk_size_bytes,omitempty"`
	MaxMemoryBytes int64  `json:"max_memory_bytes,omitempty"`
	FormatVersion  string `json:"format_version,omitempty"` // __HDF5Vault_version__ of the set
	UseDict        bool   `json:"use_dict,omitempty"`
	Zip            bool   `json:"zip,omitempty"`
	Force          bool   `json:"force,omitempty"`
	FollowSymlinks bool   `json:"follow_symlinks,omitempty"`
	SkipUnreadable bool   `json:"skip_unreadable,omitempty"`
	KeepGoing      bool   `json:"keep_going,omitempty"`
	SkipExisting   bool   `json:"skip_existing,omitempty"`
}

// Archive is one member file of the set.
type Archive struct {
	Path         string `json:"path"`
	Bytes        int64  `json:"bytes"`                   // size on disk
	Parts        int64  `json:"parts,omitempty"`         // create: parts stored in it
	PayloadBytes int64  `json:"payload_bytes,omitempty"` // create: their bytes
}

// Walk is what a directory walk found besides the files it took.
type Walk struct {
	SymlinksNotFollowed int       `json:"symlinks_not_followed"`
	SymlinkPaths        []string  `json:"symlink_paths"`
	SymlinksFollowed    int       `json:"symlinks_followed"`
	Skipped             []Problem `json:"skipped"` // fifos, sockets, devices, dangling or looping links
}

// Problem names a file and what is wrong with it. Path is the file's path
// in the set (relative to the source for create); it is "" for damage to
// the set's own structures (its side index, payloads claiming the same
// bytes), which Reason describes.
type Problem struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// New starts the summary of a command begun at start.
func New(command, version string, start time.Time) *Summary {
	return &Summary{
		MessageType: TypeSummary, SchemaVersion: SchemaVersion, Tool: "hdf5vault", Version: version,
		Command: command, StartTime: start.Format(time.RFC3339Nano),
		Archives: []Archive{}, Failed: []Problem{}, Damaged: []Problem{}, Differs: []Problem{},
	}
}

// Finish sets the end time, the derived figures and the outcome: err is
// the run's error (nil when it did its whole job) and code its exit status.
func (s *Summary) Finish(start, end time.Time, err error, code int) {
	s.EndTime = end.Format(time.RFC3339Nano)
	s.WallSeconds = end.Sub(start).Seconds()
	if s.StoredBytes > 0 {
		s.Ratio = float64(s.RawBytes) / float64(s.StoredBytes)
	}
	if s.WallSeconds > 0 {
		s.RawBytesPerSecond = float64(s.RawBytes) / s.WallSeconds
	}
	s.ExitCode = code
	s.Error = ""
	if err != nil {
		s.Error = err.Error()
	}
	for _, l := range [][]Problem{s.Failed, s.Damaged, s.Differs} {
		sort.SliceStable(l, func(i, j int) bool { return l[i].Path < l[j].Path })
	}
	s.Complete = err == nil && len(s.Failed)+len(s.Damaged)+len(s.Differs) == 0
}

// Reason is msg without the leading path it repeats: "path: " or
// "/some/dir/path: " (a file's path in DEST or on disk), so that a
// Problem's reason does not name its file twice.
func Reason(path, msg string) string {
	if path == "" {
		return msg
	}
	i := strings.Index(msg, path+": ")
	if i == 0 || i > 0 && msg[i-1] == '/' && !strings.Contains(msg[:i], " ") {
		return msg[i+len(path)+2:]
	}
	return msg
}
