package archiveset

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// stage is one Begin and what was counted until the next.
type stage struct {
	name         string
	files        int
	bytes        int64
	doneF, doneB int64
}

// recorder keeps every stage.
type recorder struct {
	mu     sync.Mutex
	stages []stage
}

func (r *recorder) Begin(name string, files int, bytes int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stages = append(r.stages, stage{name: name, files: files, bytes: bytes})
}

func (r *recorder) Add(files int, bytes int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	last := &r.stages[len(r.stages)-1]
	last.doneF += int64(files)
	last.doneB += bytes
}

// TestProgressStages: opening reports the index and the layout check file
// by file; verify and unpack report their files and every decoded byte.
func TestProgressStages(t *testing.T) {
	dir := t.TempDir()
	files := sampleFiles()
	fset := buildSet(t, dir, "acq", files, buildOpts{members: 2, chunkSize: 100_000, extras: true})
	var total int64
	for _, f := range files {
		total += int64(len(f.data))
	}
	rec := &recorder{}
	ctx := WithProgress(context.Background(), rec)
	s, err := Open(ctx, fset.paths, fset.open)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Verify(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Unpack(ctx, t.TempDir(), 3); err != nil {
		t.Fatal(err)
	}
	read := stage{"", 4, total, 4, total}
	chunks := stage{StageChunks, 4, total, 4, 0} // unpack checks every chunk before it writes
	want := []stage{{StageIndex, 0, 0, 0, 0}, {StageLayout, 4, 0, 4, 0}, read, chunks, read}
	if fmt.Sprint(rec.stages) != fmt.Sprint(want) {
		t.Errorf("stages\n%+v\nwant\n%+v", rec.stages, want)
	}
}
