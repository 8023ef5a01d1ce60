package archiveset

import (
	"github.com/hdf5vault/hdf5vault/blosc"
)

// newDecoder returns a decoder that refuses chunks larger than maxSize
// (the set's chunk size: no genuine part decodes to more).
func newDecoder(maxSize int64) *blosc.Decoder {
	d := blosc.NewDecoder()
	d.MaxSize = int(maxSize)
	return d
}
