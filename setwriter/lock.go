package setwriter

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/tempfile"
)

// lockInfo is the content of a lock file.
type lockInfo struct {
	Host  string    `json:"host"`
	PID   int       `json:"pid"`
	Since time.Time `json:"since"`
}

func (l lockInfo) String() string {
	return fmt.Sprintf("host %s, pid %d, since %s", l.Host, l.PID, l.Since.Format(time.RFC3339))
}

// parseLock reads a lock file's content; anything else is an error.
func parseLock(b []byte) (lockInfo, error) {
	var l lockInfo
	if len(b) > 4096 {
		return l, errors.New("too long for a lock file")
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return l, err
	}
	if l.Host == "" || l.PID <= 0 {
		return l, errors.New("no host or pid")
	}
	return l, nil
}

func lockPath(dir, base string) string { return filepath.Join(dir, "."+base+".hdf5vault-lock") }

// acquireLock takes the lock of the set base in dir. A lock of a live run,
// or of any run on another host (its pid cannot be checked from here), is
// an error naming it; a lock whose run is gone on this host is removed and
// reported.
func acquireLock(dir, base string, note func(string)) (string, error) {
	p := lockPath(dir, base)
	b, _ := json.Marshal(lockInfo{Host: tempfile.Host(), PID: os.Getpid(), Since: time.Now().UTC().Truncate(time.Second)})
	for range 3 {
		err := createWith(p, b)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("locking set %s: %w", filepath.Join(dir, base), err)
		}
		if err := breakStaleLock(p, filepath.Join(dir, base), note); err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("locking set %s: %s keeps reappearing; another run is starting", filepath.Join(dir, base), p)
}

// breakStaleLock removes the lock p if its run is gone on this host, and
// returns an error naming its owner otherwise.
func breakStaleLock(p, set string, note func(string)) error {
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // released meanwhile
	}
	if err != nil {
		return fmt.Errorf("reading lock %s: %w", p, err)
	}
	l, err := parseLock(b)
	switch {
	case err != nil:
		return fmt.Errorf("set %s is locked by %s, which is not a lock hdf5vault can read (%v); remove it if no run writes this set", set, p, err)
	case l.Host != tempfile.Host():
		return fmt.Errorf("set %s is locked by a run on another host (%s): %s; if that run is gone, remove the lock file", set, l, p)
	case tempfile.Alive(l.PID):
		return fmt.Errorf("another run (%s) is writing set %s: lock %s; wait for it, or remove the lock if pid %d is not hdf5vault", l, set, p, l.PID)
	}
	// Move it aside before removing it, so that of two runs breaking the
	// same stale lock at once neither removes the other's fresh lock.
	aside := archive.TempName(p+".stale", tempfile.Token())
	if err := os.Rename(p, aside); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("removing stale lock %s: %w", p, err)
	}
	if got, _ := os.ReadFile(aside); string(got) != string(b) {
		// Someone else's fresh lock: put it back.
		if err := tempfile.RenameNoReplace(aside, p); err != nil {
			return fmt.Errorf("restoring lock %s: %w", p, err)
		}
		return nil
	}
	os.Remove(aside)
	note(fmt.Sprintf("removed stale lock %s (%s: that run is gone)", p, l))
	return nil
}

// createWith creates p holding b, failing with fs.ErrExist if p exists. The
// content is written under a temporary name first and linked, so the lock
// never exists empty; without hard links it is created O_EXCL and written.
func createWith(p string, b []byte) error {
	tmp := archive.TempName(p, tempfile.Token())
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	defer os.Remove(tmp)
	err := os.Link(tmp, p)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(p)
	}
	return err
}
