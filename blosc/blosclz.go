package blosc

// BloscLZ decompressor, written from the stream format used by C-Blosc's
// blosclz.c (a FastLZ level-2 derivative). Every read and write is
// bounds-checked; malformed input returns an error.
//
// A stream is a sequence of instructions. The first byte's low 5 bits are
// the first instruction (always a literal run); later instructions start
// with a full control byte ctrl:
//
//	ctrl < 32:  literal run of ctrl+1 bytes that follow.
//	ctrl >= 32: match. length = (ctrl>>5)-1; if that is 6, further bytes
//	            are added while they are 255 (the last one < 255 included).
//	            Then a byte c: distance = (ctrl&31)<<8 + c + 1, length += 3.
//	            If c == 255 and ctrl&31 == 31, two more bytes (big endian) d
//	            give a far match: distance = d + 8191 + 1.
//
// A match copies length bytes from distance bytes back in the output and
// may overlap its own output (runs).

import "errors"

const blosclzMaxDistance = 8191

var (
	errBlosclzInput  = errors.New("stream truncated")
	errBlosclzOutput = errors.New("stream decodes past the block")
	errBlosclzDist   = errors.New("match refers before the start of the block")
)

// blosclzDecode decompresses src into dst and returns the number of bytes
// written. It never writes past len(dst).
func blosclzDecode(dst, src []byte) (int, error) {
	if len(src) == 0 {
		return 0, errBlosclzInput
	}
	ip, op := 1, 0
	ctrl := int(src[0] & 31)
	for {
		if ctrl >= 32 {
			length := ctrl>>5 - 1
			ofs := (ctrl & 31) << 8
			if length == 6 {
				for {
					if ip >= len(src) {
						return op, errBlosclzInput
					}
					c := int(src[ip])
					ip++
					length += c
					if c != 255 {
						break
					}
				}
			}
			if ip >= len(src) {
				return op, errBlosclzInput
			}
			c := int(src[ip])
			ip++
			length += 3
			dist := ofs + c + 1
			if c == 255 && ofs == 31<<8 {
				if ip+2 > len(src) {
					return op, errBlosclzInput
				}
				dist = int(src[ip])<<8 | int(src[ip+1]) + blosclzMaxDistance + 1
				ip += 2
			}
			if dist > op {
				return op, errBlosclzDist
			}
			if length > len(dst)-op {
				return op, errBlosclzOutput
			}
			copyMatch(dst, op, dist, length)
			op += length
		} else {
			n := ctrl + 1
			if n > len(src)-ip {
				return op, errBlosclzInput
			}
			if n > len(dst)-op {
				return op, errBlosclzOutput
			}
			copy(dst[op:], src[ip:ip+n])
			op += n
			ip += n
		}
		if ip >= len(src) {
			return op, nil
		}
		ctrl = int(src[ip])
		ip++
	}
}

// copyMatch copies length bytes from dst[op-dist:] to dst[op:], where the
// source may overlap the destination (it then repeats with period dist).
// The caller has checked dist <= op and op+length <= len(dst).
func copyMatch(dst []byte, op, dist, length int) {
	from := op - dist
	if dist == 1 {
		b := dst[from]
		out := dst[op : op+length]
		for i := range out {
			out[i] = b
		}
		return
	}
	for length > 0 {
		// Each pass copies at most dist bytes, so source and destination
		// never overlap within one copy; the period doubles each pass.
		n := copy(dst[op:op+min(length, op-from)], dst[from:op])
		op += n
		length -= n
	}
}
