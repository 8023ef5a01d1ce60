package archiveset

import "context"

// Finding is one file a command found damaged in the archive, or (unpack
// --skip-existing) different in DEST, reported as it is met. A command
// that wants them passes a func with WithFindings; the results list them
// too, as text.
type Finding struct {
	Kind string // FindingDamaged or FindingDiffers
	Path string // the file's path in the set; "" for the set's own structures (side index, overlaps)
	Err  error
}

// Kinds of Finding.
const (
	FindingDamaged = "damaged"
	FindingDiffers = "differs"
)

type findingsKey struct{}

// WithFindings returns a context whose unpack, verify and check report
// each finding to fn, from any goroutine.
func WithFindings(ctx context.Context, fn func(Finding)) context.Context {
	return context.WithValue(ctx, findingsKey{}, fn)
}

// findingsOf returns the context's func, or one that ignores them.
func findingsOf(ctx context.Context) func(Finding) {
	if fn, ok := ctx.Value(findingsKey{}).(func(Finding)); ok {
		return fn
	}
	return func(Finding) {}
}
