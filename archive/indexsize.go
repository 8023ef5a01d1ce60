package archive

import "fmt"

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
	var (
		depth, parts        int
		keyStart, partStart int
		inString, esc       bool
		entries, measured   int
	)
	for i, c := range data {
		if inString {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inString = false
				if depth == 1 { // a path
					n := i + 1 - keyStart
					if n > maxKeyJSON {
						return fmt.Errorf("a path of %d JSON bytes at byte %d: longer than any path can be (%d bytes)", n, keyStart, MaxPath)
					}
					entries++
					measured += n
				}
			}
			continue
		}
		switch c {
		case '"':
			inString = true
			if depth == 1 {
				keyStart = i
			}
		case '{', '[':
			depth++
			switch {
			case depth == 2:
				parts = 0
			case depth == 3:
				partStart = i
			}
		case '}', ']':
			switch {
			case depth == 3: // a part
				n := i + 1 - partStart
				if n > maxPartJSON {
					return fmt.Errorf("a part of %d JSON bytes at byte %d: more than any part needs (%d)", n, partStart, maxPartJSON)
				}
				entries++
				measured += n
				parts++
			case depth == 2 && c == ']' && parts == 0:
				return fmt.Errorf("a path without parts before byte %d", i)
			}
			depth = max(0, depth-1)
		}
	}
	if other, limit := len(data)-measured, maxSlack*(entries+1); other > limit {
		return fmt.Errorf("%d bytes of padding around %d entries: more than an index needs (%d)", other, entries, limit)
	}
	return nil
}
