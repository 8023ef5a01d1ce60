package blosc

import (
	"errors"
	"fmt"
)

// Every error DecodeAll and ParseHeader return for a chunk wraps one of
// these, so callers tell damage from a chunk they merely cannot read with
// errors.Is.
var (
	// ErrCorrupt: the chunk is damaged or invalid; C-Blosc2 refuses it too
	// (or would decode it differently from what it claims).
	ErrCorrupt = errors.New("corrupt Blosc chunk")
	// ErrUnsupported: a valid chunk using a feature this package does not
	// decode (format version 6, delta or plugin filters, lazy chunks,
	// plugin codecs).
	ErrUnsupported = errors.New("unsupported Blosc chunk")
	// ErrDictSize (with ErrCorrupt): the chunk's dictionary is empty or
	// larger than BLOSC2_MAXDICTSIZE. Chunks that create -d wrote before it
	// kept to that limit read with Decoder.LegacyDicts.
	ErrDictSize = errors.New("dictionary size outside C-Blosc2's bounds")
)

// chunkError carries the message and its kind (ErrCorrupt or
// ErrUnsupported); errors.Is sees both the kind and any wrapped cause.
type chunkError struct {
	kind error
	err  error
}

func (e *chunkError) Error() string   { return "blosc: " + e.err.Error() }
func (e *chunkError) Unwrap() []error { return []error{e.kind, e.err} }

func corruptf(format string, a ...any) error {
	return &chunkError{ErrCorrupt, fmt.Errorf(format, a...)}
}

func unsupportedf(format string, a ...any) error {
	return &chunkError{ErrUnsupported, fmt.Errorf(format, a...)}
}
