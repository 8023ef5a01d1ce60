package setwriter

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/hdf5vault/hdf5vault/tempfile"
)

// Settle is for readers of the set base in dir: if a commit of it is
// unfinished, it waits for a live one, and finishes (or undoes) one whose
// run is gone, telling note. Without a journal it does nothing.
func Settle(dir, base string, note func(string)) error {
	jp := journalPath(dir, base)
	deadline := time.Now().Add(10 * time.Second)
	for exists(jp) {
		lock, err := acquireLock(dir, base, note)
		if err == nil {
			err = settle(dir, base, note)
			os.Remove(lock)
			return err
		}
		if !exists(lockPath(dir, base)) {
			return fmt.Errorf("set %s has an unfinished commit (%s) that cannot be finished here: %w", filepath.Join(dir, base), jp, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("set %s is being committed and the commit did not finish within 10 s: %w", filepath.Join(dir, base), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// settle finishes or undoes the unfinished commit of base, if any; the
// caller holds the lock, so the run that wrote the journal is gone.
func settle(dir, base string, note func(string)) error {
	j, err := readJournal(dir, base)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w; remove it if the set's files are as they should be", err)
	}
	host, pid, _ := tempfile.ParseToken(j.Token)
	if host != tempfile.Host() {
		return fmt.Errorf("set %s has an unfinished commit of a run on host %s (pid %d): %s; run the command on that host to finish it",
			filepath.Join(dir, base), host, pid, journalPath(dir, base))
	}
	set := filepath.Join(dir, base)
	if ferr := j.forward(); ferr != nil {
		if berr := j.back(); berr != nil {
			return fmt.Errorf("set %s: the interrupted commit of pid %d can be neither finished (%v) nor undone (%v); journal %s",
				set, pid, ferr, berr, journalPath(dir, base))
		}
		note(fmt.Sprintf("undid the interrupted commit of set %s by pid %d (%v): the older files keep their names", set, pid, ferr))
	} else {
		note(fmt.Sprintf("finished the interrupted commit of set %s by pid %d (%d new files, %d replaced)", set, pid, len(j.New), len(j.Old)))
	}
	return j.remove()
}
