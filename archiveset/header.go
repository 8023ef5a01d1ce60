package archiveset

import (
	"github.com/hdf5vault/hdf5vault/blosc"
)

// maxHeader is how much of a payload the layout check reads: the longest
// (C-Blosc2 extended) chunk header.
const maxHeader = 32

type chunkHeader struct {
	NBytes, CBytes int64
}

// parseHeader reads the sizes of a Blosc chunk header without trusting them.
func parseHeader(b []byte) (chunkHeader, error) {
	h, err := blosc.ParseHeader(b)
	if err != nil {
		return chunkHeader{}, err
	}
	return chunkHeader{NBytes: int64(h.NBytes), CBytes: int64(h.CBytes)}, nil
}

// newDecoder returns a decoder that refuses chunks larger than maxSize
// (the set's chunk size: no genuine part decodes to more).
func newDecoder(maxSize int64) *blosc.Decoder {
	d := blosc.NewDecoder()
	d.MaxSize = int(maxSize)
	return d
}
