package blosc

// TEMPORARY scaffold (owned by the decoder work, to be replaced): reads
// memcpy chunks only.

import (
	"encoding/binary"
	"errors"
)

type Decoder struct{}

func NewDecoder() *Decoder { return &Decoder{} }

// DecodeAll appends the decoded chunk src to dst.
func (d *Decoder) DecodeAll(src, dst []byte) ([]byte, error) {
	if len(src) < 32 || src[2]&0x02 == 0 {
		return dst, errors.New("blosc: scaffold decoder reads memcpy chunks only")
	}
	n := binary.LittleEndian.Uint32(src[4:])
	if int(n)+32 > len(src) {
		return dst, errors.New("blosc: truncated chunk")
	}
	return append(dst, src[32:32+n]...), nil
}
