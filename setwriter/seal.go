package setwriter

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/hdf5vault/hdf5vault/archive"
)

// ErrNoShards: the base has no shard records (nothing to seal).
var ErrNoShards = errors.New("no shard records")

// ErrSealed: the shards' set was committed already (its records were
// left by a seal that stopped after its commit; they are removed).
var ErrSealed = errors.New("already sealed")

// Seal is a set written by shards, being sealed: its Temp names are the
// shards' files, which the commit renames as create's commit does.
type Seal struct {
	*Set
	Records []*ShardRecord // by shard number
	paths   []string       // the record files
}

// OpenSeal takes the set's lock and every shard's, finishes an unfinished
// commit of the base, and checks the shard records: shards 0..N-1 each
// present once, done, of the same N and W, each member file there at its
// recorded size. Otherwise the error names every shard at fault and what
// to do. The --force rules are create's.
func OpenSeal(o Options) (*Seal, error) {
	dir, base := filepath.Split(o.Base)
	if dir == "" {
		dir = "."
	}
	recs, err := ReadShardRecords(filepath.Clean(dir), base)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, ErrNoShards
	}
	n, w := majority(recs)
	o.Writers = w
	s, err := newSet(o)
	if err != nil {
		return nil, err
	}
	if s.lock, err = acquireLock(s.Dir, s.Base, o.Note); err != nil {
		return nil, err
	}
	sl := &Seal{Set: s}
	if err := sl.open(n); err != nil {
		s.release()
		return nil, err
	}
	return sl, nil
}

// majority is the shard count and set size most records agree on (the
// others are stale).
func majority(recs map[string]*ShardRecord) (n, w int) {
	count := map[[2]int]int{}
	best := [2]int{}
	for _, r := range recs {
		k := [2]int{r.Shards, r.Writers}
		count[k]++
		if count[k] > count[best] || (count[k] == count[best] && (k[0] > best[0] || k[0] == best[0] && k[1] > best[1])) {
			best = k
		}
	}
	return best[0], best[1]
}

func (sl *Seal) open(n int) error {
	for k := range n {
		l, err := acquireLock(sl.Dir, sl.Base+".shard-"+strconv.Itoa(k), sl.opts.Note)
		if err != nil {
			return fmt.Errorf("shard %d is still running: %w", k, err)
		}
		sl.locks = append(sl.locks, l)
	}
	if err := settle(sl.Dir, sl.Base, sl.opts.Note); err != nil {
		return err
	}
	recs, err := ReadShardRecords(sl.Dir, sl.Base) // again, under the locks
	if err != nil {
		return err
	}
	if err := sl.check(recs, n); err != nil {
		return err
	}
	if sl.sealed() {
		sl.removeRecords()
		return ErrSealed
	}
	if err := sl.prepare(); err != nil {
		return err
	}
	for _, r := range sl.Records {
		for i, m := range r.Members {
			sl.Temp[m] = archive.TempName(sl.Final[m], r.Token)
			sl.tokens = append(sl.tokens, r.Token)
			fi, err := os.Stat(sl.Temp[m])
			if err != nil || fi.Size() < r.Sizes[i] {
				why := "is missing"
				if err == nil {
					why = fmt.Sprintf("holds %d bytes, fewer than the %d it finished with", fi.Size(), r.Sizes[i])
				}
				return fmt.Errorf("shard %d: its archive file %s %s: rerun shard %d", r.Shard, sl.Temp[m], why, r.Shard)
			}
			if fi.Size() > r.Sizes[i] {
				sl.opts.Note(fmt.Sprintf("%s was indexed by a seal that did not finish: indexing it again", sl.Temp[m]))
			}
		}
	}
	sl.committed = sl.removeRecords
	return nil
}

// check collects every shard that is missing, stale, failed or unfinished.
func (sl *Seal) check(recs map[string]*ShardRecord, n int) error {
	byShard := make([]*ShardRecord, n)
	var bad []string
	for _, p := range sortedKeys(recs) {
		r := recs[p]
		switch {
		case r.Shards != n || r.Writers != sl.opts.Writers:
			bad = append(bad, fmt.Sprintf("shard %d is stale: %s is from a run of %d shards and %d archive files, the others are of %d and %d; remove it or rerun every shard the same way",
				r.Shard, p, r.Shards, r.Writers, n, sl.opts.Writers))
		case r.State == ShardFailed:
			bad = append(bad, fmt.Sprintf("shard %d failed (host %s, pid %d): %s; rerun shard %d", r.Shard, r.Host, r.PID, r.Error, r.Shard))
		case r.State == ShardRunning:
			bad = append(bad, fmt.Sprintf("shard %d did not finish: its run (host %s, pid %d, started %s) was killed or lost; rerun shard %d",
				r.Shard, r.Host, r.PID, r.Time.Format("2006-01-02T15:04:05Z"), r.Shard))
		default:
			byShard[r.Shard] = r
			sl.paths = append(sl.paths, p)
		}
	}
	for k, r := range byShard {
		if r == nil && !slices.ContainsFunc(bad, func(s string) bool { return strings.HasPrefix(s, fmt.Sprintf("shard %d ", k)) }) {
			bad = append(bad, fmt.Sprintf("shard %d of %d is missing: it never ran, or its record was removed; run it", k, n))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("cannot seal %s:\n  %s", filepath.Join(sl.Dir, sl.Base), strings.Join(bad, "\n  "))
	}
	sl.Records = byShard
	return nil
}

// sealed: none of the shards' files is left and the set carries every
// final name, so an earlier seal committed and stopped before removing
// the records.
func (sl *Seal) sealed() bool {
	for _, r := range sl.Records {
		for _, m := range r.Members {
			if exists(archive.TempName(sl.Final[m], r.Token)) || !exists(sl.Final[m]) {
				return false
			}
		}
	}
	return true
}

func (sl *Seal) removeRecords() {
	for _, p := range sl.paths {
		os.Remove(p)
	}
	syncDir(sl.Dir)
}

func sortedKeys(m map[string]*ShardRecord) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
