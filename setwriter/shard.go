package setwriter

// Sets written by several runs (create --shard K/N, then seal): each shard
// writes its own members under temporary names and leaves a record beside
// them, .BASE.shard-K.hdf5vault-shard; seal adopts every shard's files and
// commits them as one set with the usual journal. The records are how the
// shards and seal meet: only through the file system.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/tempfile"
)

// Shard states in a record.
const (
	ShardRunning = "running"
	ShardDone    = "done"
	ShardFailed  = "failed"
)

// ShardRecord is what a shard leaves beside its members. Data is the
// caller's (what the shard stored, the source listing, the settings).
type ShardRecord struct {
	Shard   int             `json:"shard"`
	Shards  int             `json:"shards"`
	Writers int             `json:"writers"`
	State   string          `json:"state"`
	Token   string          `json:"token"` // its members' temporary names
	Host    string          `json:"host"`
	PID     int             `json:"pid"`
	Time    time.Time       `json:"time"`
	Members []int           `json:"members"`         // archive numbers it writes
	Sizes   []int64         `json:"sizes,omitempty"` // done: its member files' sizes
	Error   string          `json:"error,omitempty"` // failed: why
	Data    json.RawMessage `json:"data,omitempty"`
}

const maxRecord = 1 << 30

// ShardMembers are the archive numbers shard k of n writes in a set of w.
func ShardMembers(k, n, w int) []int {
	var m []int
	for i := k * w / n; i < (k+1)*w/n; i++ {
		m = append(m, i)
	}
	return m
}

func recordPath(dir, base string, k int) string {
	return filepath.Join(dir, "."+base+".shard-"+strconv.Itoa(k)+".hdf5vault-shard")
}

// ParseShardRecord reads a record and checks what setwriter relies on: a
// shard number inside its count, members that are that shard's share, a
// token that names temporary files, sizes for every member of a done shard.
func ParseShardRecord(b []byte) (*ShardRecord, error) {
	if len(b) > maxRecord {
		return nil, errors.New("too long for a shard record")
	}
	var r ShardRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	switch {
	case r.Shards < 1 || r.Shard < 0 || r.Shard >= r.Shards:
		return nil, fmt.Errorf("shard %d of %d is out of range", r.Shard, r.Shards)
	case r.Writers < r.Shards || r.Writers%r.Shards != 0 || r.Writers > 1<<20:
		return nil, fmt.Errorf("%d archive files is not a multiple of %d shards", r.Writers, r.Shards)
	case !slices.Equal(r.Members, ShardMembers(r.Shard, r.Shards, r.Writers)):
		return nil, fmt.Errorf("members %v are not shard %d's of %d", r.Members, r.Shard, r.Shards)
	case r.State != ShardRunning && r.State != ShardDone && r.State != ShardFailed:
		return nil, fmt.Errorf("unknown state %q", r.State)
	case r.State == ShardDone && len(r.Sizes) != len(r.Members):
		return nil, fmt.Errorf("%d member sizes for %d members", len(r.Sizes), len(r.Members))
	}
	if _, _, ok := tempfile.ParseToken(r.Token); !ok {
		return nil, fmt.Errorf("bad token %q", r.Token)
	}
	return &r, nil
}

// ReadShardRecords reads every shard record of base in dir, by file name;
// a record that does not parse is an error naming it.
func ReadShardRecords(dir, base string) (map[string]*ShardRecord, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("archive directory: %w", err)
	}
	out := map[string]*ShardRecord{}
	for _, e := range ents {
		k, ok := shardOfName(base, e.Name())
		if !ok {
			continue
		}
		p := filepath.Join(dir, e.Name())
		r, err := readRecord(p)
		if err != nil {
			return nil, err
		}
		if r.Shard != k {
			return nil, fmt.Errorf("shard record %s holds shard %d: duplicated or renamed; remove it", p, r.Shard)
		}
		out[p] = r
	}
	return out, nil
}

func shardOfName(base, name string) (int, bool) {
	s, ok := strings.CutPrefix(name, "."+base+".shard-")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, ".hdf5vault-shard")
	k, err := strconv.Atoi(s)
	return k, ok && err == nil && k >= 0 && strconv.Itoa(k) == s
}

func readRecord(p string) (*ShardRecord, error) {
	b, err := readCapped(p, maxRecord, "shard record")
	if err != nil {
		return nil, err
	}
	r, err := ParseShardRecord(b)
	if err != nil {
		return nil, fmt.Errorf("shard record %s: %w", p, err)
	}
	return r, nil
}

// shardTokens are the tokens of finished shards' members in dir (of any
// base): they wait for seal and are not stale, whatever their pid.
func shardTokens(dir string, ents []fs.DirEntry, keep map[string]bool) {
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), ".") || !strings.HasSuffix(e.Name(), ".hdf5vault-shard") {
			continue
		}
		if r, err := readRecord(filepath.Join(dir, e.Name())); err == nil && r.State == ShardDone {
			keep[r.Token] = true
		}
	}
}

// Shard is one shard's run: its members of the set under temporary names,
// its lock, and its record.
type Shard struct {
	*Set
	K, N    int
	Members []int
	record  string
}

// OpenShard starts shard k of n of the set o describes (o.Writers is the
// whole set's size): it takes the shard's lock, refuses while a create or
// seal holds the set's, checks the names as create does, and records the
// shard as running, which retires the outputs of an earlier run of the
// same shard (a rerun replaces only its own).
func OpenShard(o Options, k, n int) (*Shard, error) {
	s, err := newSet(o)
	if err != nil {
		return nil, err
	}
	sh := &Shard{K: k, N: n, Members: ShardMembers(k, n, o.Writers), record: recordPath(s.Dir, s.Base, k)}
	var final, temp []string
	for _, m := range sh.Members {
		final, temp = append(final, s.Final[m]), append(temp, s.Temp[m])
	}
	s.Final, s.Temp = final, temp
	sh.Set = s
	if s.lock, err = acquireLock(s.Dir, s.Base+".shard-"+strconv.Itoa(k), o.Note); err != nil {
		return nil, err
	}
	if err := sh.open(); err != nil {
		s.release()
		return nil, err
	}
	return sh, nil
}

func (sh *Shard) open() error {
	if b, err := os.ReadFile(lockPath(sh.Dir, sh.Base)); err == nil {
		if l, err := parseLock(b); err != nil || l.Host != tempfile.Host() || tempfile.Alive(l.PID) {
			return fmt.Errorf("set %s is being written or sealed by another run (lock %s): shards must run before seal",
				filepath.Join(sh.Dir, sh.Base), lockPath(sh.Dir, sh.Base))
		}
	}
	if err := sh.prepare(); err != nil {
		return err
	}
	return sh.writeRecord(ShardRecord{State: ShardRunning})
}

// writeRecord replaces the shard's record (fsynced, atomically) and then
// removes the members of the run it replaces.
func (sh *Shard) writeRecord(r ShardRecord) error {
	r.Shard, r.Shards, r.Writers, r.Members = sh.K, sh.N, sh.opts.Writers, sh.Members
	r.Token, r.Host, r.PID, r.Time = sh.token, tempfile.Host(), os.Getpid(), time.Now().UTC().Truncate(time.Second)
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	old, _ := readRecord(sh.record)
	tmp := archive.TempName(sh.record, sh.token)
	if err := writeSynced(tmp, b); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing shard record: %w", err)
	}
	if err := os.Rename(tmp, sh.record); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing shard record: %w", err)
	}
	if err := syncDir(sh.Dir); err != nil {
		return err
	}
	if old != nil && old.Token != sh.token && old.Shard == sh.K { // a copied record names another shard's files
		for _, m := range old.Members {
			t := archive.TempName(filepath.Join(sh.Dir, archive.FileName(sh.Base, m, old.Writers, sh.opts.Zip)), old.Token)
			if err := os.Remove(t); err == nil {
				sh.opts.Note(fmt.Sprintf("removed %s of the earlier run of shard %d", t, sh.K))
			}
		}
	}
	return nil
}

// Finish records the finished shard (its members' sizes and data) and
// releases its lock; the members keep their temporary names until seal.
func (sh *Shard) Finish(data []byte) error {
	var sizes []int64
	for _, t := range sh.Temp {
		fi, err := os.Stat(t)
		if err != nil {
			return err
		}
		sizes = append(sizes, fi.Size())
	}
	if err := syncDir(sh.Dir); err != nil {
		return err
	}
	if err := sh.writeRecord(ShardRecord{State: ShardDone, Sizes: sizes, Data: data}); err != nil {
		return err
	}
	sh.writers = nil
	sh.release()
	return nil
}

// Fail removes the shard's files and records why it failed, so that seal
// names it.
func (sh *Shard) Fail(cause error) {
	for _, w := range sh.writers {
		w.Abort()
	}
	sh.writers = nil
	for _, t := range sh.Temp {
		os.Remove(t)
	}
	if sh.lock != "" {
		sh.writeRecord(ShardRecord{State: ShardFailed, Error: cause.Error()})
	}
	sh.release()
}
