package pipeline

// Progress hears how far the run has come; the engine only calls back,
// and what is shown (a terminal bar, log lines) is the caller's choice
// (package progress renders it). Calls come from several goroutines.
type Progress interface {
	// Total is the counting scan's running total; final when the tree is fully counted.
	Total(files, bytes int64, final bool)
	// Stored reports one part's raw bytes as stored.
	Stored(bytes int64)
	// Close ends the display.
	Close()
}

// NoProgress shows nothing (-q).
type NoProgress struct{}

func (NoProgress) Total(int64, int64, bool) {}
func (NoProgress) Stored(int64)             {}
func (NoProgress) Close()                   {}
