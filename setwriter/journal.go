package setwriter

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/tempfile"
)

// journal is a commit in progress: the new members (now under their
// temporary names) and the old members they replace (moved aside to
// temporary names during the commit). Every other name derives from the
// final names and the token, so a journal cannot point anywhere else.
type journal struct {
	Base  string `json:"base"`
	Token string `json:"token"` // of the run that commits: "<host>-<pid>-<random>"
	// Tokens, when set (seal), are each new member's temporary-name token:
	// the shard's that wrote it.
	Tokens []string `json:"tokens,omitempty"`
	New    []string `json:"new"` // final names of the new members
	Old    []string `json:"old"` // final names of the members being replaced

	dir string
}

const maxJournal = 1 << 20

func journalPath(dir, base string) string { return filepath.Join(dir, "."+base+".hdf5vault-commit") }

func (j *journal) path(name string) string { return filepath.Join(j.dir, name) }
func (j *journal) temp(final string) string {
	if i := slices.Index(j.New, final); i >= 0 && len(j.Tokens) == len(j.New) {
		return archive.TempName(j.path(final), j.Tokens[i])
	}
	return archive.TempName(j.path(final), j.Token)
}
func (j *journal) aside(final string) string {
	return archive.TempName(j.path(final)+".old", j.Token)
}

// parseJournal reads a journal and checks that every name is a member name
// of its base in its own directory.
func parseJournal(b []byte) (*journal, error) {
	if len(b) > maxJournal {
		return nil, errors.New("too long for a commit journal")
	}
	var j journal
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, err
	}
	if _, _, ok := tempfile.ParseToken(j.Token); !ok {
		return nil, fmt.Errorf("bad token %q", j.Token)
	}
	if j.Base == "" || strings.ContainsAny(j.Base, "/\x00") || j.Base == "." || j.Base == ".." {
		return nil, fmt.Errorf("bad base %q", j.Base)
	}
	if len(j.New) == 0 {
		return nil, errors.New("no new members")
	}
	if len(j.Tokens) != 0 && len(j.Tokens) != len(j.New) {
		return nil, fmt.Errorf("%d tokens for %d new members", len(j.Tokens), len(j.New))
	}
	for _, t := range j.Tokens {
		if _, _, ok := tempfile.ParseToken(t); !ok {
			return nil, fmt.Errorf("bad token %q", t)
		}
	}
	for _, names := range [][]string{j.New, j.Old} {
		for _, n := range names {
			if !isMemberName(j.Base, n) {
				return nil, fmt.Errorf("%q is not a member name of set %q", n, j.Base)
			}
		}
	}
	return &j, nil
}

// isMemberName: BASE.h5, BASE_<digits>.h5 or the .zip forms.
func isMemberName(base, name string) bool {
	return !strings.ContainsAny(name, "/\x00") && archive.IsArchiveName(name) && !archive.IsTempName(name) &&
		(archive.Stem(name, false) == base || archive.Stem(name, true) == base)
}

func readJournal(dir, base string) (*journal, error) {
	p := journalPath(dir, base)
	b, err := readCapped(p, maxJournal, "commit journal")
	if err != nil {
		return nil, err
	}
	j, err := parseJournal(b)
	if err != nil {
		return nil, fmt.Errorf("commit journal %s: %w", p, err)
	}
	if j.Base != base {
		return nil, fmt.Errorf("commit journal %s names set %q", p, j.Base)
	}
	j.dir = dir
	return j, nil
}

// write puts the journal in place atomically and durably: temporary name,
// fsync, rename, fsync of the directory.
func (j *journal) write() error {
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	p := journalPath(j.dir, j.Base)
	tmp := archive.TempName(p, j.Token)
	if err := writeSynced(tmp, b); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing commit journal: %w", err)
	}
	if err := tempfile.RenameNoReplace(tmp, p); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing commit journal: %w", err)
	}
	return syncDir(j.dir)
}

func writeSynced(p string, b []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (j *journal) remove() error {
	if err := os.Remove(journalPath(j.dir, j.Base)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return syncDir(j.dir)
}

// forward takes the commit from wherever it stopped to its end: old members
// aside (unless a new one is already in, which means all are), every new
// member renamed from its temporary name without replacing anything, then
// the old ones removed. Each step is idempotent.
func (j *journal) forward() error {
	started := false
	for _, n := range j.New {
		if !exists(j.temp(n)) {
			if !exists(j.path(n)) {
				return fmt.Errorf("new member %s is missing", j.path(n))
			}
			started = true
		}
	}
	if !started {
		for _, o := range j.Old {
			if exists(j.path(o)) && !exists(j.aside(o)) {
				if err := tempfile.RenameNoReplace(j.path(o), j.aside(o)); err != nil {
					return fmt.Errorf("moving aside %s: %w", j.path(o), err)
				}
			}
		}
	}
	for _, n := range j.New {
		if exists(j.temp(n)) {
			if err := tempfile.RenameNoReplace(j.temp(n), j.path(n)); err != nil {
				if errors.Is(err, fs.ErrExist) {
					return fmt.Errorf("%s appeared during the run: refusing to replace it", j.path(n))
				}
				return fmt.Errorf("renaming %s: %w", j.temp(n), err)
			}
		}
	}
	if err := syncDir(j.dir); err != nil {
		return err
	}
	for _, o := range j.Old {
		if err := os.Remove(j.aside(o)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing the replaced member %s: %w", j.aside(o), err)
		}
	}
	return syncDir(j.dir)
}

// back undoes a commit that cannot finish: the new members renamed so far
// go back to their temporary names, the old ones back to their final names.
func (j *journal) back() error {
	var errs []error
	for _, n := range j.New {
		if !exists(j.temp(n)) && exists(j.path(n)) { // renamed in: new members go in only when all old ones are aside
			if err := tempfile.RenameNoReplace(j.path(n), j.temp(n)); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, o := range j.Old {
		if exists(j.aside(o)) {
			if err := tempfile.RenameNoReplace(j.aside(o), j.path(o)); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return syncDir(j.dir)
}
