package tempfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/hdf5vault/hdf5vault/archive"
)

// Host is this machine's name as tokens carry it: '-', '/' and NUL become
// '_' so that the token splits back unambiguously.
func Host() string {
	h, _ := os.Hostname()
	if h == "" {
		h = "localhost"
	}
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '-' || r == 0 || r == '.' {
			return '_'
		}
		return r
	}, h)
}

// Token names this process's temporary files: "<host>-<pid>-<random>".
func Token() string {
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", Host(), os.Getpid(), hex.EncodeToString(b[:]))
}

// Owner reads host and pid back from a temporary file's base name.
func Owner(name string) (host string, pid int, ok bool) {
	if !archive.IsTempName(name) {
		return "", 0, false
	}
	inner := strings.TrimSuffix(name, archive.TempSuffix)
	return ParseToken(inner[strings.LastIndexByte(inner, '.')+1:])
}

// TokenOf is the token part of a temporary file's base name ("" if none).
func TokenOf(name string) string {
	if !archive.IsTempName(name) {
		return ""
	}
	inner := strings.TrimSuffix(name, archive.TempSuffix)
	return inner[strings.LastIndexByte(inner, '.')+1:]
}

// ParseToken splits "<host>-<pid>-<random>".
func ParseToken(t string) (host string, pid int, ok bool) {
	parts := strings.Split(t, "-")
	if len(parts) != 3 || parts[0] == "" {
		return "", 0, false
	}
	pid, err := strconv.Atoi(parts[1])
	return parts[0], pid, err == nil && pid > 0
}

// Alive reports whether pid runs on this host.
func Alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Stale reports whether a temporary file's owner is gone: a pid of this
// host that no longer runs.
func Stale(name string) (pid int, stale bool) {
	host, pid, ok := Owner(name)
	return pid, ok && host == Host() && !Alive(pid)
}

// RemoveStale removes the stale temporary files in dir (not below it),
// except those keep claims, and tells note about each.
func RemoveStale(dir string, keep func(name string) bool, note func(string)) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	return removeStale(dir, ents, keep, note)
}

// A Keeper says which of a directory's temporary files are claimed though
// their run is gone (a pending commit's, a shard's waiting for seal); it
// sees the directory's entries, read once. Nil claims nothing.
type Keeper func(dir string, ents []fs.DirEntry) func(name string) bool

// RemoveStaleTree does RemoveStale in root and every directory below it
// (unpack's temporary files lie beside the files they become), sparing in
// each directory what keep claims. A missing root has nothing to remove.
func RemoveStaleTree(root string, keep Keeper, note func(string)) error {
	ents, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var k func(string) bool
	if keep != nil {
		k = keep(root, ents)
	}
	if err := removeStale(root, ents, k, note); err != nil {
		return err
	}
	for _, e := range ents {
		if e.IsDir() {
			if err := RemoveStaleTree(filepath.Join(root, e.Name()), keep, note); err != nil {
				return err
			}
		}
	}
	return nil
}

func removeStale(dir string, ents []fs.DirEntry, keep func(string) bool, note func(string)) error {
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		if err := removeIfStale(filepath.Join(dir, e.Name()), keep, note); err != nil {
			return err
		}
	}
	return nil
}

func removeIfStale(p string, keep func(string) bool, note func(string)) error {
	name := filepath.Base(p)
	pid, stale := Stale(name)
	if !stale || (keep != nil && keep(name)) {
		return nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing stale temporary file: %w", err)
	}
	note(fmt.Sprintf("removed stale temporary file %s (its run, pid %d, is gone)", p, pid))
	return nil
}
