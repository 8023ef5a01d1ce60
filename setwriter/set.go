package setwriter

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/tempfile"
)

// Options describe the set one run writes.
type Options struct {
	Base    string // ARCHIVE_BASE: a directory (optional) and the base name
	Writers int    // files in the set
	Zip     bool
	Force   bool   // replace an existing set with this base
	Source  string // the tree being archived: nothing inside it is replaced
	Note    func(string)
}

// Set is a set under construction. Files are written under temporary names
// (archive.TempName with this run's token) and carry final names only after
// Commit.
type Set struct {
	Dir   string   // directory of the set
	Base  string   // base name
	Final []string // final paths, by archive number
	Temp  []string // temporary paths, by archive number

	opts      Options
	token     string
	dirFI     fs.FileInfo
	lock      string   // lock file path while held
	locks     []string // seal: the shards' locks while held
	tokens    []string // seal: the token of each member's temporary name (its shard's)
	committed func()   // seal: run after the commit, before the locks go
	old       []string // names of the existing set's members that this run replaces
	writers   []archive.Writer
	pending   bool // a commit journal is left for the next command: keep the temporary files
}

// Write runs a set's whole life: Open, open a writer per file, fn (which
// writes and finishes every writer), then Commit, or Abort when anything
// fails. The returned Set names the files (nil if Open failed).
func Write(o Options, open func(path string) (archive.Writer, error), fn func(*Set, []archive.Writer) error) (*Set, error) {
	s, err := Open(o)
	if err != nil {
		return nil, err
	}
	ws, err := s.Create(open)
	if err == nil {
		err = fn(s, ws)
	}
	if err == nil {
		err = s.Commit()
	}
	if err != nil {
		s.Abort()
		return s, err
	}
	return s, nil
}

// Open names the set and takes its lock; it finishes a commit an earlier run
// left unfinished, removes stale temporary files in the directory, and
// refuses (before any work) what the run must not replace.
func Open(o Options) (*Set, error) {
	s, err := newSet(o)
	if err != nil {
		return nil, err
	}
	if s.lock, err = acquireLock(s.Dir, s.Base, o.Note); err != nil {
		return nil, err
	}
	if err := s.prepare(); err != nil {
		s.release()
		return nil, err
	}
	return s, nil
}

// newSet names the set's files; it takes nothing yet.
func newSet(o Options) (*Set, error) {
	if o.Note == nil {
		o.Note = func(string) {}
	}
	dir, name := filepath.Split(o.Base)
	if dir == "" {
		dir = "."
	}
	dir = filepath.Clean(dir)
	if name == "" || name == "." || name == ".." {
		return nil, fmt.Errorf("archive base %q has no file name", o.Base)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("archive directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("archive directory %s: not a directory", dir)
	}
	s := &Set{Dir: dir, Base: name, opts: o, token: tempfile.Token(), dirFI: fi}
	for n := range o.Writers {
		final := filepath.Join(dir, archive.FileName(name, n, o.Writers, o.Zip))
		s.Final = append(s.Final, final)
		s.Temp = append(s.Temp, archive.TempName(final, s.token))
	}
	return s, nil
}

func (s *Set) prepare() error {
	if err := settle(s.Dir, s.Base, s.opts.Note); err != nil {
		return err
	}
	ents, err := os.ReadDir(s.Dir)
	if err != nil {
		return fmt.Errorf("archive directory: %w", err)
	}
	if err := tempfile.RemoveStale(s.Dir, Pending(s.Dir, ents), s.opts.Note); err != nil {
		return fmt.Errorf("archive directory: %w", err)
	}
	ents, err = os.ReadDir(s.Dir)
	if err != nil {
		return fmt.Errorf("archive directory: %w", err)
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	return s.checkNames(names)
}

// pendingIn are the tokens of unfinished commits in dir (of any base),
// whose temporary files are the commit's to finish, and of finished shards
// waiting for seal: not stale.
func pendingIn(dir string, ents []fs.DirEntry) map[string]bool {
	keep := map[string]bool{}
	for _, e := range ents {
		n := e.Name()
		if base, ok := strings.CutSuffix(strings.TrimPrefix(n, "."), ".hdf5vault-commit"); ok && strings.HasPrefix(n, ".") {
			if j, err := readJournal(dir, base); err == nil {
				keep[j.Token] = true
				for _, t := range j.Tokens {
					keep[t] = true
				}
			}
		}
	}
	shardTokens(dir, ents, keep)
	return keep
}

// Pending is a tempfile.Keeper for other commands' clean-ups (unpack's):
// it claims the temporary files of unfinished commits and of finished
// shards waiting for seal, which look stale but are not.
func Pending(dir string, ents []fs.DirEntry) func(name string) bool {
	keep := pendingIn(dir, ents)
	return func(n string) bool { return keep[tempfile.TokenOf(n)] }
}

// Create opens a writer on each temporary name.
func (s *Set) Create(open func(path string) (archive.Writer, error)) ([]archive.Writer, error) {
	for _, p := range s.Temp {
		w, err := open(p)
		if err != nil {
			return nil, fmt.Errorf("creating %s: %w", p, err)
		}
		s.writers = append(s.writers, w)
	}
	return s.writers, nil
}

// Exclude tells the walker to leave out this run's own files when the
// archive directory lies inside the source.
func (s *Set) Exclude(dir, name string) bool {
	own := tempfile.TokenOf(name) == s.token ||
		name == filepath.Base(s.lock) || name == filepath.Base(journalPath(s.Dir, s.Base))
	for _, f := range s.Final {
		own = own || name == filepath.Base(f)
	}
	if !own {
		return false
	}
	fi, err := os.Stat(dir)
	return err == nil && os.SameFile(fi, s.dirFI)
}

// Commit gives the finished files their final names in one step for
// readers (see the package comment) and releases the lock. If it cannot
// finish, what it did is undone: the old set keeps its names.
func (s *Set) Commit() error {
	for i, f := range s.Final {
		if !s.isOld(filepath.Base(f)) && exists(f) {
			return fmt.Errorf("%s appeared during the run: refusing to replace it", f)
		}
		if !exists(s.Temp[i]) {
			return fmt.Errorf("committing %s: %s is missing", f, s.Temp[i])
		}
	}
	if err := s.commit(); err != nil {
		return err
	}
	s.writers = nil // committed: nothing left to abort
	if s.committed != nil {
		s.committed()
	}
	s.release()
	return nil
}

// commit writes the journal and applies it, undoing it if it cannot finish.
func (s *Set) commit() error {
	j := &journal{Base: s.Base, Token: s.token, Tokens: s.tokens, Old: s.old, dir: s.Dir}
	for _, f := range s.Final {
		j.New = append(j.New, filepath.Base(f))
	}
	if err := j.write(); err != nil {
		return err
	}
	if err := j.forward(); err != nil {
		if berr := j.back(); berr != nil {
			s.pending = true
			return fmt.Errorf("%w; undoing the commit failed too (%v): the next command on %s finishes or undoes it",
				err, berr, filepath.Join(s.Dir, s.Base))
		}
		if rerr := j.remove(); rerr != nil {
			return fmt.Errorf("%w (and removing the commit journal: %v)", err, rerr)
		}
		return err
	}
	if err := j.remove(); err != nil {
		return fmt.Errorf("committing set %s: %w", filepath.Join(s.Dir, s.Base), err)
	}
	return nil
}

func (s *Set) isOld(name string) bool {
	for _, o := range s.old {
		if o == name {
			return true
		}
	}
	return false
}

// Abort removes the temporary files and releases the lock. It is safe after
// any error and does nothing after Commit.
func (s *Set) Abort() {
	if s.pending {
		s.release()
		return
	}
	for _, w := range s.writers {
		w.Abort()
	}
	s.writers = nil
	if s.lock == "" || s.tokens != nil { // a seal's temporary files are the shards'
		s.release()
		return
	}
	for _, t := range s.Temp {
		os.Remove(t)
	}
	s.release()
}

func (s *Set) release() {
	for _, l := range s.locks {
		os.Remove(l)
	}
	s.locks = nil
	if s.lock != "" {
		os.Remove(s.lock)
		s.lock = ""
	}
}

// Left lists this run's temporary files still on disk after Abort, and
// whether they are kept for the next command to finish an interrupted
// commit. None is left unless removing one failed or a commit is pending.
func (s *Set) Left() (temps []string, pending bool) {
	for _, t := range s.Temp {
		if _, err := os.Lstat(t); err == nil {
			temps = append(temps, t)
		}
	}
	return temps, s.pending
}

// Replaced lists the existing members this run replaces (--force).
func (s *Set) Replaced() []string {
	var out []string
	for _, o := range s.old {
		out = append(out, filepath.Join(s.Dir, o))
	}
	return out
}
