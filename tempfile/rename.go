package tempfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// RenameNoReplace renames from to to, failing with fs.ErrExist if to exists:
// renameat2(RENAME_NOREPLACE) where the file system has it, else link and
// unlink (link fails on an existing name), else a check and a rename.
func RenameNoReplace(from, to string) error {
	if done, err := renameat2(from, to); done {
		return err
	}
	return linkRename(from, to)
}

// linkRename is RenameNoReplace without renameat2.
func linkRename(from, to string) error {
	if err := os.Link(from, to); err == nil {
		return os.Remove(from)
	} else if errors.Is(err, fs.ErrExist) || errors.Is(err, fs.ErrNotExist) {
		return err
	}
	// No hard links either: the check and the rename are two steps here.
	if _, err := os.Lstat(to); err == nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: fs.ErrExist}
	}
	if err := os.Rename(from, to); err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	return nil
}
