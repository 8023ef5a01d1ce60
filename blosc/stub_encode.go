package blosc

// TEMPORARY scaffold (owned by the encoder work, to be replaced): stores
// every input as a memcpy chunk so dependent packages can build and test.

import "encoding/binary"

type Encoder struct{ o Options }

func NewEncoder(o Options) (*Encoder, error) { return &Encoder{o: o}, nil }

// EncodeAll appends one chunk holding src to dst.
func (e *Encoder) EncodeAll(src, dst []byte) ([]byte, error) {
	var h [32]byte
	h[0], h[1] = 5, 1
	h[2] = 0x01 | 0x04 | 0x02 | byte(e.o.Codec)<<5 // extended header, memcpyed
	h[3] = byte(e.o.TypeSize)
	binary.LittleEndian.PutUint32(h[4:], uint32(len(src)))
	binary.LittleEndian.PutUint32(h[8:], uint32(len(src)))
	binary.LittleEndian.PutUint32(h[12:], uint32(len(src)+32))
	dst = append(dst, h[:]...)
	return append(dst, src...), nil
}
