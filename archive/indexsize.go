package archive

import (
	"fmt"
	"io"
)

// What a genuine index entry can need, in JSON bytes. A path or dataset name
// is at most MaxPath bytes, each of which JSON may escape as \u00XX; the rest
// of a part (numbers, the checksum, key names) is a few hundred bytes, and
// 4 KiB more leaves room for keys a later version adds.
const (
	maxKeyJSON  = 6*MaxPath + 2
	maxPartJSON = 6*MaxPath + 4096
	maxSlack    = 64 // white space and punctuation around each entry
)

// checkIndexSize refuses, in one pass over the bytes and before anything is
// decoded, an index larger than its entries could need: a path longer than a
// path can be, a part longer than a part can be, a path without parts, or
// padding between entries. (A 500 MB index of padding would otherwise cost
// gigabytes and minutes to decode.) It does not validate the JSON; the
// decoder does that afterwards.
func checkIndexSize(data []byte) error {
	var c indexSizeCheck
	if err := c.write(data); err != nil {
		return err
	}
	return c.end()
}

// CheckIndexSize is checkIndexSize on an index of n bytes read from r in
// pieces, so that an index of padding is refused without being held: a
// reader reads the index into memory only after this passed. Errors that
// are the index's match ErrDamaged; a read error is returned as it is.
func CheckIndexSize(r io.Reader, n int64) error {
	var c indexSizeCheck
	buf := make([]byte, min(n, 1<<20))
	for c.pos < n {
		k, err := io.ReadFull(r, buf[:min(int64(len(buf)), n-c.pos)])
		if cerr := c.write(buf[:k]); cerr != nil {
			return Damaged(fmt.Errorf("index: %w", cerr))
		}
		if err != nil {
			return err
		}
	}
	if err := c.end(); err != nil {
		return Damaged(fmt.Errorf("index: %w", err))
	}
	return nil
}

// indexSizeCheck is checkIndexSize's state between pieces of the index;
// positions count from the index's first byte.
type indexSizeCheck struct {
	depth, parts        int
	keyStart, partStart int64
	inString, esc       bool
	entries             int
	measured, pos       int64
}

func (c *indexSizeCheck) write(data []byte) error {
	for k, ch := range data {
		i := c.pos + int64(k)
		if c.inString {
			switch {
			case c.esc:
				c.esc = false
			case ch == '\\':
				c.esc = true
			case ch == '"':
				c.inString = false
				if c.depth == 1 { // a path
					n := i + 1 - c.keyStart
					if n > maxKeyJSON {
						return fmt.Errorf("a path of %d JSON bytes at byte %d: longer than any path can be (%d bytes)", n, c.keyStart, MaxPath)
					}
					c.entries++
					c.measured += n
				}
			}
			continue
		}
		switch ch {
		case '"':
			c.inString = true
			if c.depth == 1 {
				c.keyStart = i
			}
		case '{', '[':
			c.depth++
			switch {
			case c.depth == 2:
				c.parts = 0
			case c.depth == 3:
				c.partStart = i
			}
		case '}', ']':
			switch {
			case c.depth == 3: // a part
				n := i + 1 - c.partStart
				if n > maxPartJSON {
					return fmt.Errorf("a part of %d JSON bytes at byte %d: more than any part needs (%d)", n, c.partStart, maxPartJSON)
				}
				c.entries++
				c.measured += n
				c.parts++
			case c.depth == 2 && ch == ']' && c.parts == 0:
				return fmt.Errorf("a path without parts before byte %d", i)
			}
			c.depth = max(0, c.depth-1)
		}
	}
	c.pos += int64(len(data))
	return nil
}

func (c *indexSizeCheck) end() error {
	if other, limit := c.pos-c.measured, int64(maxSlack)*int64(c.entries+1); other > limit {
		return fmt.Errorf("%d bytes of padding around %d entries: more than an index needs (%d)", other, c.entries, limit)
	}
	return nil
}

// MaxIndexJSON is the most bytes a JSON index of files files with parts
// parts in all can need (what checkIndexSize allows).
func MaxIndexJSON(files, parts int64) int64 {
	return files*maxKeyJSON + parts*maxPartJSON + maxSlack*(files+parts+1)
}
