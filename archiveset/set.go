package archiveset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/zeebo/xxh3"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/selection"
)

// Opener opens one archive file for reading.
type Opener func(path string) (archive.Reader, error)

// Member is one archive file of the set. Payloads are read through R.
type Member struct {
	Path   string
	Number int // archive_number in the index
	R      archive.Reader
	root   archive.RootAttrs
}

// Set is an opened, validated archive set. Sets with a side index keep
// only its header and block table in memory and read entries a block at a
// time (Walk, Lookup); other sets hold their parsed JSON index and the
// checked layout of every file (Files).
type Set struct {
	Stem      string    // unpack directory name
	Zip       bool      // zip containers
	Members   []*Member // indexed by archive number
	ChunkSize int64     // split size from the root attributes: the decoders' MaxSize
	Version   string    // writer version (empty for zip sets without root attributes)

	Side     *archive.SideIndex // nil: the set is read through its JSON index
	SideNote string             // why a side index was not used, or a damaged copy; "" if none
	Index    *archive.Index     // the JSON index, only without Side
	Files    []File             // parallel to Index.Files with the checked layout, only without Side

	sideSpans  []archive.Span // the bytes each member's side index occupies
	sideOwners []string       // the member holding each copy of the side index, Side first
	lazy       bool           // OpenOptions.Lazy: Files are checked as they are found (file)
	lazyMu     sync.Mutex     // guards the check of a lazily opened set's Files
	sel        *selection.Selection
	ranges     []selection.Range // where sel's paths can lie; nil: anywhere
	selected   int64             // files sel selects
	lost       map[int]error     // members missing or unreadable (OpenOptions.Partial): why
}

// OpenOptions configure Open.
type OpenOptions struct {
	// Partial opens a set with members missing or too damaged to open, as
	// long as one opens: the files with a part in them get a damage Problem.
	Partial bool
	// Lazy leaves the layout of a set read through its JSON index unchecked
	// at Open: Lookup and Select check the files they find, Walk each file
	// before handing it out, and Paths lists the paths without checking
	// any. In the original's sets the check asks the container for every
	// part's dataset; ls and cat of one file need none or one of them.
	Lazy bool
}

// Open opens the given member files (see Resolve), checks that they form one
// complete set and checks the layout of every part (see OpenOptions.Lazy). A set-level error (a
// missing, duplicate or foreign member, a bad index) is returned as error;
// per-file layout problems of JSON-indexed sets are recorded in
// File.Problem (see LayoutError); a side index is checked block by block
// as it is read.
func Open(ctx context.Context, paths []string, open Opener) (*Set, error) {
	return OpenWith(ctx, paths, open, OpenOptions{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, paths []string, open Opener, o OpenOptions) (*Set, error) {
	if err := checkDuplicates(paths); err != nil {
		return nil, err
	}
	s := &Set{Zip: strings.HasSuffix(paths[0], ".zip"), lost: map[int]error{}}
	ms := make([]*Member, 0, len(paths))
	fail := func(err error) (*Set, error) {
		closeMembers(ms)
		return nil, err
	}
	var unopened []error
	for _, p := range paths {
		m, err := openMember(p, open)
		if err != nil && o.Partial && errors.Is(err, archive.ErrDamaged) {
			unopened = append(unopened, err)
			if _, k, _ := archive.SplitMember(p); k >= 0 {
				s.lost[k] = err
			}
			continue
		}
		if err != nil {
			return fail(err)
		}
		ms = append(ms, m)
	}
	if len(ms) == 0 {
		return fail(unopened[0])
	}
	n, err := s.number(ms)
	if err != nil {
		return fail(rootDamage(ms, err))
	}
	s.Members = make([]*Member, n)
	for _, m := range ms {
		s.Members[m.Number] = m
	}
	if err := s.checkComplete(ms, n, o.Partial); err != nil {
		return fail(rootDamage(ms, err))
	}
	first := ms[0]
	root := first.root
	s.Stem = archive.Stem(first.Path, n > 1)
	if s.Stem == "" || s.Stem == "." || s.Stem == ".." {
		return fail(fmt.Errorf("member %s: its name gives no usable unpack directory name (%q)", first.Path, s.Stem))
	}
	s.Version = root.Version
	s.ChunkSize = root.ChunkSize
	if s.ChunkSize <= 0 || s.ChunkSize > archive.MaxChunkSize {
		s.ChunkSize = archive.MaxChunkSize
	}
	progressOf(ctx).Begin(StageIndex, 0, 0)
	if archive.HasSideIndex(s.Version) {
		if err := s.openSide(); err != nil {
			return fail(err)
		}
	}
	if s.Side != nil {
		return s, nil
	}
	if err := s.openJSON(ctx, o.Lazy); err != nil {
		return fail(err)
	}
	return s, nil
}

// openJSON reads, compares and parses the JSON index and checks the layout
// (unless lazy).
func (s *Set) openJSON(ctx context.Context, lazy bool) error {
	first := s.first()
	ref, err := readIndex(first)
	if err != nil {
		return err
	}
	sum := xxh3.Hash(ref)
	for _, m := range s.Members {
		if m == nil || m == first {
			continue // lost (OpenOptions.Partial), or the reference
		}
		if err := sameIndex(m, first.Path, ref, sum); err != nil {
			return err
		}
	}
	s.Index, err = archive.ParseIndex(ref, len(s.Members))
	if err != nil {
		return fmt.Errorf("%s: %w", first.Path, err)
	}
	s.Files = make([]File, len(s.Index.Files))
	if lazy {
		for i := range s.Files {
			s.Files[i].Path = s.Index.Files[i].Path
		}
		s.lazy = true
		return nil
	}
	return s.layout(ctx, nil)
}

// readIndex reads a member's JSON index. From a reader that can stream it,
// it is first checked for more bytes than its entries can need as it
// streams by, and read into memory only once it passed (one copy): an
// index of padding costs a read of it, not its size in memory.
func readIndex(m *Member) ([]byte, error) {
	st, ok := m.R.(archive.InfoStreamer)
	if !ok {
		info, err := m.R.Info()
		if err != nil {
			return nil, fmt.Errorf("member %s: %w", m.Path, err)
		}
		return []byte(info), nil
	}
	fail := func(err error) ([]byte, error) { return nil, fmt.Errorf("member %s: %w", m.Path, err) }
	rd, n, err := st.InfoReader()
	if err != nil {
		return fail(err)
	}
	if err := archive.CheckIndexSize(rd, n); err != nil {
		return fail(err)
	}
	if rd, n, err = st.InfoReader(); err != nil {
		return fail(err)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(rd, b); err != nil {
		return fail(fmt.Errorf("index: %w", err))
	}
	return b, nil
}

// sameIndex checks that member m holds the JSON index ref (sum its
// XXH3-64) of the member at firstPath, streaming it when the reader can.
func sameIndex(m *Member, firstPath string, ref []byte, sum uint64) error {
	differs := fmt.Errorf("member %s has a different index than %s: not a member of the same set", m.Path, firstPath)
	st, ok := m.R.(archive.InfoStreamer)
	if !ok {
		info, err := m.R.Info()
		switch {
		case err != nil:
			return fmt.Errorf("member %s: %w", m.Path, err)
		case info != string(ref):
			return differs
		}
		return nil
	}
	_, n, err := st.InfoReader()
	if err != nil {
		return fmt.Errorf("member %s: %w", m.Path, err)
	}
	if n != int64(len(ref)) {
		return differs
	}
	got, err := infoSum(m.R)
	if err != nil {
		return fmt.Errorf("member %s: index: %w", m.Path, err)
	}
	if got != sum {
		return differs
	}
	return nil
}

// first is the first member that opened (all do unless OpenOptions.Partial).
func (s *Set) first() *Member {
	for _, m := range s.Members {
		if m != nil {
			return m
		}
	}
	return nil // Open never returns a set without a member
}

// Close closes every member.
func (s *Set) Close() error {
	return closeMembers(s.Members)
}

func closeMembers(ms []*Member) error {
	var first error
	for _, m := range ms {
		if m == nil {
			continue
		}
		if err := m.R.Close(); err != nil && first == nil {
			first = fmt.Errorf("%s: %w", m.Path, err)
		}
	}
	return first
}

func openMember(p string, open Opener) (*Member, error) {
	st, err := os.Stat(p)
	if err == nil && !st.Mode().IsRegular() {
		err = fmt.Errorf("not a regular file")
	}
	if err != nil {
		return nil, fmt.Errorf("member %s: %w", p, err)
	}
	r, err := open(p)
	if err != nil {
		return nil, fmt.Errorf("member %s: %w", p, archive.DamagedUnlessFailure(err))
	}
	return &Member{Path: p, R: r, root: r.Root()}, nil
}

// checkDuplicates refuses the same file named twice (also through another path).
func checkDuplicates(paths []string) error {
	if len(paths) == 0 {
		return fmt.Errorf("no archive given")
	}
	infos := make([]os.FileInfo, len(paths))
	for i, p := range paths {
		if archive.IsTempName(filepath.Base(p)) {
			return fmt.Errorf("member %s: a temporary file of an unfinished write, not an archive", p)
		}
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("member %s: %w", p, err)
		}
		for j := 0; j < i; j++ {
			if os.SameFile(st, infos[j]) {
				return fmt.Errorf("member %s given twice (same file as %s)", p, paths[j])
			}
		}
		infos[i] = st
	}
	return nil
}

// number assigns each member its archive number from its root attributes
// and returns the set's size. (The zip reader derives both for the
// original's zips, which record neither.)
func (s *Set) number(ms []*Member) (int, error) {
	first := ms[0]
	n := max(1, first.root.NumFiles)
	if n == 1 && len(ms) > 1 {
		return 0, fmt.Errorf("member %s is a single-file archive, it cannot form a set with %s", first.Path, ms[1].Path)
	}
	for _, m := range ms {
		if w := max(1, m.root.NumFiles); w != n {
			return 0, fmt.Errorf("member %s belongs to a set of %d file(s), but %s to a set of %d: not the same set", m.Path, w, first.Path, n)
		}
		m.Number = m.root.FileNumber
		if n == 1 {
			m.Number = 0
		}
		if m.Number < 0 || m.Number >= n {
			return 0, fmt.Errorf("member %s: archive file number %d outside the set of %d", m.Path, m.Number, n)
		}
	}
	return n, nil
}

// checkComplete refuses a set with a repeated or missing member (partial:
// records it as lost), or members whose settings differ (their indexes are
// compared when they are read).
func (s *Set) checkComplete(ms []*Member, n int, partial bool) error {
	seen := make(map[int]*Member, n)
	for _, m := range ms {
		if o, dup := seen[m.Number]; dup {
			return fmt.Errorf("member %s and %s are both archive file %d of the set: duplicate", o.Path, m.Path, m.Number)
		}
		seen[m.Number] = m
	}
	var missing []string
	for k := 0; k < n; k++ {
		if seen[k] == nil {
			missing = append(missing, archive.FileName(filepath.Join(filepath.Dir(ms[0].Path), archive.Stem(ms[0].Path, true)), k, n, s.Zip))
		}
	}
	if len(missing) > 0 && !partial {
		return fmt.Errorf("the set has %d archive files but %d given: missing member(s) %s", n, len(ms), strings.Join(missing, ", "))
	}
	for k := range n {
		if seen[k] == nil && s.lost[k] == nil {
			s.lost[k] = archive.Damaged(fmt.Errorf("missing member %s", archive.FileName(filepath.Join(filepath.Dir(ms[0].Path), archive.Stem(ms[0].Path, true)), k, n, s.Zip)))
		}
	}
	for k := range s.lost {
		if k >= n || seen[k] != nil {
			delete(s.lost, k) // a name that did not say its number
		}
	}
	ref := ms[0]
	for _, m := range ms[1:] {
		switch {
		case m.root.ChunkSize != ref.root.ChunkSize:
			return fmt.Errorf("member %s has chunk size %d, %s has %d: not the same set", m.Path, m.root.ChunkSize, ref.Path, ref.root.ChunkSize)
		case m.root.Version != ref.root.Version:
			return fmt.Errorf("member %s was written by version %q, %s by %q: not the same set", m.Path, m.root.Version, ref.Path, ref.root.Version)
		}
	}
	return nil
}
