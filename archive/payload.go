package archive

import (
	"errors"
	"fmt"
	"io"
	"slices"
)

// MaxPayload bounds any stored payload: a Blosc2 chunk of MaxChunkSize bytes
// and its header, with room to spare. Readers refuse to allocate more.
const MaxPayload = MaxChunkSize + 64

// ReadPayloadAt appends the size bytes at off in f, a file of fileSize bytes,
// to dst. A range beyond the end of the file is a truncated archive: an
// error, never a short read or an allocation the file cannot fill.
func ReadPayloadAt(f io.ReaderAt, fileSize, off, size int64, dst []byte) ([]byte, error) {
	end := off + size
	if off < 0 || size < 0 || end < off || end > fileSize {
		return dst, fmt.Errorf("bytes %d..%d lie beyond the end of the file (%d bytes): %w", off, end, fileSize, ErrTruncated)
	}
	n := len(dst)
	dst = slices.Grow(dst, int(size))[:n+int(size)]
	if _, err := f.ReadAt(dst[n:], off); err != nil {
		if errors.Is(err, io.EOF) {
			err = ErrTruncated
		}
		return dst[:n], err
	}
	return dst, nil
}
