package archiveset

import (
	"github.com/hdf5vault/hdf5vault/blosc"
)

// newDecoder returns a decoder that refuses chunks larger than maxSize
// (the set's chunk size: no genuine part decodes to more) and reads the
// over-sized dictionaries earlier versions of create -d wrote (verify
// reports those parts, as C-Blosc2 cannot read them).
func newDecoder(maxSize int64) *blosc.Decoder {
	d := blosc.NewDecoder()
	d.MaxSize = int(maxSize)
	d.LegacyDicts = true
	return d
}
