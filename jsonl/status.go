package jsonl

import (
	"sync"
	"sync/atomic"
	"time"
)

// StatusLine is a "status" line: how far the current stage has come.
// Totals are 0 while not known.
type StatusLine struct {
	MessageType    string  `json:"message_type"` // TypeStatus
	Stage          string  `json:"stage"`
	SecondsElapsed float64 `json:"seconds_elapsed"` // since the command started
	FilesDone      int64   `json:"files_done"`
	TotalFiles     int64   `json:"total_files"`
	BytesDone      int64   `json:"bytes_done"`
	TotalBytes     int64   `json:"total_bytes"`
	PercentDone    float64 `json:"percent_done"` // 0..100, by bytes when their total is known, else files; 0 when neither is
}

// Status writes a status line every interval while a command works, none
// before the first interval has passed (a short run writes none). It hears
// the read commands' stages (Begin, Add: archiveset.Progress) and create's
// progress (Total, Stored: pipeline.Progress). Close stops it.
type Status struct {
	lines *Lines
	start time.Time
	verb  string // the stage begun without a name

	files, bytes atomic.Int64

	mu                     sync.Mutex
	stage                  string
	totalFiles, totalBytes int64
	final                  bool // create: the walk's totals are in

	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// StartStatus starts the ticker; verb names the command's own stage
// ("verifying").
func StartStatus(l *Lines, verb string, interval time.Duration) *Status {
	s := &Status{lines: l, start: time.Now(), verb: verb, stage: verb, stop: make(chan struct{})}
	s.wg.Add(1)
	go s.loop(interval)
	return s
}

func (s *Status) loop(interval time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case now := <-t.C:
			s.lines.Write(s.line(now))
		}
	}
}

func (s *Status) line(now time.Time) StatusLine {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := StatusLine{MessageType: TypeStatus, Stage: s.stage, SecondsElapsed: now.Sub(s.start).Seconds(),
		FilesDone: s.files.Load(), TotalFiles: s.totalFiles, BytesDone: s.bytes.Load(), TotalBytes: s.totalBytes}
	switch {
	case l.TotalBytes > 0:
		l.PercentDone = 100 * min(1, float64(l.BytesDone)/float64(l.TotalBytes))
	case l.TotalFiles > 0:
		l.PercentDone = 100 * min(1, float64(l.FilesDone)/float64(l.TotalFiles))
	}
	return l
}

// Begin starts a stage with its totals (0 when not known); "" is the
// command's own work.
func (s *Status) Begin(stage string, files int, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if stage == "" {
		stage = s.verb
	}
	s.stage, s.totalFiles, s.totalBytes = stage, int64(files), bytes
	s.files.Store(0)
	s.bytes.Store(0)
}

// Add counts files and bytes done in the current stage.
func (s *Status) Add(files int, bytes int64) {
	s.files.Add(int64(files))
	s.bytes.Add(bytes)
}

// Total is create's running total of the tree; a late running count never
// replaces the walk's final one.
func (s *Status) Total(files, bytes int64, final bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.final && !final {
		return
	}
	s.totalFiles, s.totalBytes, s.final = files, bytes, final
}

// Stored counts one part's raw bytes as stored (create).
func (s *Status) Stored(bytes int64) { s.bytes.Add(bytes) }

// StoredFile counts a file whose last part is stored (create).
func (s *Status) StoredFile() { s.files.Add(1) }

// Close stops the ticker. It may be called more than once.
func (s *Status) Close() {
	s.closeOnce.Do(func() {
		close(s.stop)
		s.wg.Wait()
	})
}
