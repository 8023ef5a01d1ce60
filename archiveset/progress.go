package archiveset

import "context"

// Progress hears how far opening a set and reading it have come: Begin
// for each stage, Add as files and bytes are done. Calls to Add come from
// several goroutines. A command that wants it passes one with WithProgress.
type Progress interface {
	// Begin starts a stage with its totals (0 when not known); the
	// command's own work (unpack, verify, check) is the stage "".
	Begin(stage string, files int, bytes int64)
	Add(files int, bytes int64)
}

// Stages of opening a set, before the command's own work.
const (
	StageIndex  = "reading the index"
	StageLayout = "checking the layout"
	StageChunks = "checking the chunks" // unpack, before it writes
)

type progressKey struct{}

// WithProgress returns a context whose opens and reads report to p.
func WithProgress(ctx context.Context, p Progress) context.Context {
	return context.WithValue(ctx, progressKey{}, p)
}

// progressOf returns the context's Progress, or one that ignores everything.
func progressOf(ctx context.Context) Progress {
	if p, ok := ctx.Value(progressKey{}).(Progress); ok {
		return p
	}
	return noProgress{}
}

type noProgress struct{}

func (noProgress) Begin(string, int, int64) {}
func (noProgress) Add(int, int64)           {}
