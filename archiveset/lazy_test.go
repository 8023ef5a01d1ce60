package archiveset

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/selection"
)

// statCounter counts the datasets a set asks its members about.
type statCounter struct {
	archive.Reader
	mu    *sync.Mutex
	asked *[]string
}

func (c statCounter) Stat(ds string) (archive.DatasetInfo, error) {
	c.mu.Lock()
	*c.asked = append(*c.asked, ds)
	c.mu.Unlock()
	return c.Reader.Stat(ds)
}

// lazySet opens sampleFiles, written the original's way (no offsets or
// sizes in the index) in two members with raw.bin's dataset missing,
// lazily, and returns it with the datasets Stat was asked about so far.
func lazySet(t *testing.T) (*Set, *[]string) {
	t.Helper()
	fs := buildSet(t, t.TempDir(), "set", sampleFiles(), buildOpts{members: 2})
	for _, r := range fs.readers {
		delete(r.data, "raw.bin")
	}
	var mu sync.Mutex
	asked := &[]string{}
	open := func(p string) (archive.Reader, error) {
		r, err := fs.open(p)
		return statCounter{r, &mu, asked}, err
	}
	s, err := OpenWith(context.Background(), fs.paths, open, OpenOptions{Lazy: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, asked
}

// TestLazyOpenChecksWhatIsFound: a lazily opened set asks about no dataset
// to list its paths, about one file's to look it up, about the selected
// ones' to select, and checks every file a walk hands out; the damaged file
// is refused wherever it is found, and only there.
func TestLazyOpenChecksWhatIsFound(t *testing.T) {
	ctx := context.Background()
	s, asked := lazySet(t)
	var paths []string
	if err := s.Paths(ctx, func(p string) error { paths = append(paths, p); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(paths) != 4 || !slices.IsSorted(paths) || len(*asked) != 0 || s.LayoutError() != nil {
		t.Fatalf("Paths: %q, datasets asked about: %q, layout error %v", paths, *asked, s.LayoutError())
	}
	deep := "deep/a/b/Zelle ü (1).txt"
	f, err := s.Lookup(deep)
	if err != nil || f == nil || f.Problem != nil || len(*asked) != 1 {
		t.Fatalf("Lookup(%q) = %+v, %v; datasets asked about: %q", deep, f, err, *asked)
	}
	var out bytes.Buffer
	if err := s.WriteFile(ctx, f, &out); err != nil || out.String() != "hello, hello, hello, hello" {
		t.Errorf("WriteFile(%q) = %q, %v", deep, out.String(), err)
	}
	if f, _ := s.Lookup(deep); len(*asked) != 1 || f.Problem != nil {
		t.Errorf("a second Lookup checked the file again: %q", *asked)
	}
	if f, err := s.Lookup("raw.bin"); err != nil || !errors.Is(f.Problem, archive.ErrDamaged) {
		t.Errorf("Lookup(raw.bin): problem %v, %v; want damage", f.Problem, err)
	}

	s, asked = lazySet(t)
	sel, err := selection.New([]string{"Images/A01/f1.tif"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Select(ctx, sel); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(*asked, []string{"Images/A01/f1.tif.blosc2"}) || s.Len() != 1 || s.LayoutError() != nil {
		t.Errorf("Select of one file asked about %q, selected %d, layout error %v", *asked, s.Len(), s.LayoutError())
	}

	s, _ = lazySet(t)
	var bad []string
	err = s.Walk(ctx, func(f *File) error {
		if f.Problem != nil {
			bad = append(bad, f.Path)
		}
		return nil
	})
	if err != nil || !slices.Equal(bad, []string{"raw.bin"}) || !errors.Is(s.LayoutError(), archive.ErrDamaged) {
		t.Errorf("Walk found %q damaged (%v), layout error %v; want raw.bin", bad, err, s.LayoutError())
	}
}
