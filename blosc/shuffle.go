package blosc

// Byte and bit shuffle of one block, with C-Blosc2's exact layout and its
// handling of trailing bytes. Shared by the encoder (forward) and the
// decoder (inverse). In all four functions dst and src must not overlap and
// len(dst) must be at least len(src); exactly len(src) bytes are written.

import "encoding/binary"

// shuffleBytes byte-shuffles one block: with n = len(src)/typesize whole
// elements, byte j of element i goes to dst[j*n+i]. The len(src)%typesize
// trailing bytes are copied unchanged to the end, as C's shuffle_generic does.
func shuffleBytes(dst, src []byte, typesize int) {
	dst = dst[:len(src)]
	if typesize <= 1 || len(src) < typesize {
		copy(dst, src)
		return
	}
	n := len(src) / typesize
	body := n * typesize
	switch typesize {
	case 2:
		d0, d1 := dst[:n], dst[n:2*n]
		for i := range d0 {
			d0[i] = src[2*i]
			d1[i] = src[2*i+1]
		}
	case 4:
		shuffle4(dst, src, n)
	case 8:
		shuffle8(dst, src, n)
	case 16:
		shuffle8Strided(dst, src, n, 16, 0)
		shuffle8Strided(dst, src, n, 16, 8)
	default:
		for j := 0; j < typesize; j++ {
			out := dst[j*n : (j+1)*n]
			k := j
			for i := range out {
				out[i] = src[k]
				k += typesize
			}
		}
	}
	copy(dst[body:], src[body:])
}

// unshuffleBytes inverts shuffleBytes.
func unshuffleBytes(dst, src []byte, typesize int) {
	dst = dst[:len(src)]
	if typesize <= 1 || len(src) < typesize {
		copy(dst, src)
		return
	}
	n := len(src) / typesize
	body := n * typesize
	switch typesize {
	case 2:
		s0, s1 := src[:n], src[n:2*n]
		for i := range s0 {
			dst[2*i] = s0[i]
			dst[2*i+1] = s1[i]
		}
	case 4:
		unshuffle4(dst, src, n)
	case 8:
		unshuffle8(dst, src, n)
	case 16:
		unshuffle8Strided(dst, src, n, 16, 0)
		unshuffle8Strided(dst, src, n, 16, 8)
	default:
		for j := 0; j < typesize; j++ {
			in := src[j*n : (j+1)*n]
			k := j
			for _, b := range in {
				dst[k] = b
				k += typesize
			}
		}
	}
	copy(dst[body:], src[body:])
}

func shuffle4(dst, src []byte, n int) {
	d0, d1, d2, d3 := dst[:n], dst[n:2*n], dst[2*n:3*n], dst[3*n:4*n]
	src = src[:4*n]
	for i := range d0 {
		v := binary.LittleEndian.Uint32(src[4*i:])
		d0[i] = byte(v)
		d1[i] = byte(v >> 8)
		d2[i] = byte(v >> 16)
		d3[i] = byte(v >> 24)
	}
}

func unshuffle4(dst, src []byte, n int) {
	s0, s1, s2, s3 := src[:n], src[n:2*n], src[2*n:3*n], src[3*n:4*n]
	dst = dst[:4*n]
	for i := range s0 {
		v := uint32(s0[i]) | uint32(s1[i])<<8 | uint32(s2[i])<<16 | uint32(s3[i])<<24
		binary.LittleEndian.PutUint32(dst[4*i:], v)
	}
}

func shuffle8(dst, src []byte, n int) { shuffle8Strided(dst, src, n, 8, 0) }

func unshuffle8(dst, src []byte, n int) { unshuffle8Strided(dst, src, n, 8, 0) }

// transpose8 transposes the 8x8 byte matrix whose row k is rk (byte j of
// rk is column j): byte j of result k is byte k of input row j. Values in,
// values out, so the rows stay in registers.
func transpose8(r0, r1, r2, r3, r4, r5, r6, r7 uint64) (uint64, uint64, uint64, uint64, uint64, uint64, uint64, uint64) {
	const m1, m2, m4 = 0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF, 0x00000000FFFFFFFF
	var t uint64
	// Swap single bytes across pairs of rows...
	t = (r0>>8 ^ r1) & m1
	r1 ^= t
	r0 ^= t << 8
	t = (r2>>8 ^ r3) & m1
	r3 ^= t
	r2 ^= t << 8
	t = (r4>>8 ^ r5) & m1
	r5 ^= t
	r4 ^= t << 8
	t = (r6>>8 ^ r7) & m1
	r7 ^= t
	r6 ^= t << 8
	// ...then byte pairs across rows two apart...
	t = (r0>>16 ^ r2) & m2
	r2 ^= t
	r0 ^= t << 16
	t = (r1>>16 ^ r3) & m2
	r3 ^= t
	r1 ^= t << 16
	t = (r4>>16 ^ r6) & m2
	r6 ^= t
	r4 ^= t << 16
	t = (r5>>16 ^ r7) & m2
	r7 ^= t
	r5 ^= t << 16
	// ...then halves across rows four apart.
	t = (r0>>32 ^ r4) & m4
	r4 ^= t
	r0 ^= t << 32
	t = (r1>>32 ^ r5) & m4
	r5 ^= t
	r1 ^= t << 32
	t = (r2>>32 ^ r6) & m4
	r6 ^= t
	r2 ^= t << 32
	t = (r3>>32 ^ r7) & m4
	r7 ^= t
	r3 ^= t << 32
	return r0, r1, r2, r3, r4, r5, r6, r7
}

func le64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }

func put64(b []byte, v uint64) { binary.LittleEndian.PutUint64(b, v) }

// shuffle8Strided moves bytes off..off+7 of each typesize-byte element into
// streams off..off+7 (each n bytes long), eight elements at a time through
// an 8x8 byte transpose.
func shuffle8Strided(dst, src []byte, n, typesize, off int) {
	s := [8][]byte{}
	for k := range s {
		s[k] = dst[(off+k)*n : (off+k+1)*n]
	}
	i := 0
	for ; i+8 <= n; i += 8 {
		p := src[i*typesize+off : (i+7)*typesize+off+8]
		t := typesize
		a0, a1, a2, a3, a4, a5, a6, a7 := transpose8(le64(p), le64(p[t:]), le64(p[2*t:]), le64(p[3*t:]),
			le64(p[4*t:]), le64(p[5*t:]), le64(p[6*t:]), le64(p[7*t:]))
		put64(s[0][i:], a0)
		put64(s[1][i:], a1)
		put64(s[2][i:], a2)
		put64(s[3][i:], a3)
		put64(s[4][i:], a4)
		put64(s[5][i:], a5)
		put64(s[6][i:], a6)
		put64(s[7][i:], a7)
	}
	for ; i < n; i++ {
		for k := 0; k < 8; k++ {
			s[k][i] = src[i*typesize+off+k]
		}
	}
}

// unshuffle8Strided inverts shuffle8Strided.
func unshuffle8Strided(dst, src []byte, n, typesize, off int) {
	s := [8][]byte{}
	for k := range s {
		s[k] = src[(off+k)*n : (off+k+1)*n]
	}
	i := 0
	for ; i+8 <= n; i += 8 {
		a0, a1, a2, a3, a4, a5, a6, a7 := transpose8(le64(s[0][i:]), le64(s[1][i:]), le64(s[2][i:]), le64(s[3][i:]),
			le64(s[4][i:]), le64(s[5][i:]), le64(s[6][i:]), le64(s[7][i:]))
		p := dst[i*typesize+off : (i+7)*typesize+off+8]
		t := typesize
		put64(p, a0)
		put64(p[t:], a1)
		put64(p[2*t:], a2)
		put64(p[3*t:], a3)
		put64(p[4*t:], a4)
		put64(p[5*t:], a5)
		put64(p[6*t:], a6)
		put64(p[7*t:], a7)
	}
	for ; i < n; i++ {
		for k := 0; k < 8; k++ {
			dst[i*typesize+off+k] = s[k][i]
		}
	}
}

// transposeBits8x8 transposes the 8x8 bit matrix held in x, where byte r is
// row r and bit c of it is column c: bit c of byte r moves to bit r of byte c.
func transposeBits8x8(x uint64) uint64 {
	t := (x ^ (x >> 7)) & 0x00AA00AA00AA00AA
	x = x ^ t ^ (t << 7)
	t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCC
	x = x ^ t ^ (t << 14)
	t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0
	return x ^ t ^ (t << 28)
}

// bitShuffle bit-shuffles one block as C-Blosc2 (format version >= 3) does:
// of the n = len(src)/typesize elements only the first n8 = n - n%8 are
// transposed; the bytes after n8*typesize are copied unchanged. The output
// is typesize*8 bit rows of n8/8 bytes each: row b*8+k holds bit k of byte b
// of every element, element i at bit i%8 of byte i/8.
func bitShuffle(dst, src []byte, typesize int) {
	dst = dst[:len(src)]
	if typesize < 1 {
		copy(dst, src)
		return
	}
	n8 := len(src) / typesize &^ 7
	rowLen := n8 / 8
	for b := 0; b < typesize; b++ {
		rows := dst[b*8*rowLen : (b+1)*8*rowLen]
		for g := 0; g < rowLen; g++ {
			p := g*8*typesize + b
			x := uint64(src[p]) | uint64(src[p+typesize])<<8 | uint64(src[p+2*typesize])<<16 |
				uint64(src[p+3*typesize])<<24 | uint64(src[p+4*typesize])<<32 |
				uint64(src[p+5*typesize])<<40 | uint64(src[p+6*typesize])<<48 |
				uint64(src[p+7*typesize])<<56
			x = transposeBits8x8(x)
			for k := 0; k < 8; k++ {
				rows[k*rowLen+g] = byte(x >> (8 * k))
			}
		}
	}
	body := n8 * typesize
	copy(dst[body:], src[body:])
}

// bitShuffle1 is bitShuffle for typesize 1: the 8*rowLen bytes of src
// become 8 bit rows of rowLen bytes in dst, eight groups at a time.
func bitShuffle1(dst, src []byte, rowLen int) {
	d := [8][]byte{}
	for k := range d {
		d[k] = dst[k*rowLen : (k+1)*rowLen]
	}
	src = src[:8*rowLen]
	g := 0
	for ; g+8 <= rowLen; g += 8 {
		p := src[8*g : 8*g+64]
		a0, a1, a2, a3, a4, a5, a6, a7 := transpose8(
			transposeBits8x8(le64(p)), transposeBits8x8(le64(p[8:])),
			transposeBits8x8(le64(p[16:])), transposeBits8x8(le64(p[24:])),
			transposeBits8x8(le64(p[32:])), transposeBits8x8(le64(p[40:])),
			transposeBits8x8(le64(p[48:])), transposeBits8x8(le64(p[56:])))
		put64(d[0][g:], a0)
		put64(d[1][g:], a1)
		put64(d[2][g:], a2)
		put64(d[3][g:], a3)
		put64(d[4][g:], a4)
		put64(d[5][g:], a5)
		put64(d[6][g:], a6)
		put64(d[7][g:], a7)
	}
	for ; g < rowLen; g++ {
		x := transposeBits8x8(le64(src[8*g:]))
		for k := range d {
			d[k][g] = byte(x >> (8 * k))
		}
	}
}

// bitShuffleScratch is bitShuffle for a caller with a scratch buffer of at
// least len(src) bytes: it byte-shuffles into scratch, then bit-transposes
// each byte plane with bitShuffle1, several times faster than bitShuffle's
// per-byte gather. The output is identical.
func bitShuffleScratch(dst, src, scratch []byte, typesize int) {
	dst = dst[:len(src)]
	if typesize < 1 {
		copy(dst, src)
		return
	}
	n8 := len(src) / typesize &^ 7
	body := n8 * typesize
	planes := src[:body]
	if typesize > 1 {
		planes = scratch[:body]
		shuffleBytes(planes, src[:body], typesize)
	}
	for b := 0; b < typesize; b++ {
		bitShuffle1(dst[b*n8:(b+1)*n8], planes[b*n8:(b+1)*n8], n8/8)
	}
	copy(dst[body:], src[body:])
}

// bitUnshuffle inverts bitShuffle (format version >= 3 rules; the decoder
// handles version 2's whole-block copy itself).
func bitUnshuffle(dst, src []byte, typesize int) {
	dst = dst[:len(src)]
	if typesize < 1 {
		copy(dst, src)
		return
	}
	n8 := len(src) / typesize &^ 7
	rowLen := n8 / 8
	if typesize == 1 {
		bitUnshuffle1(dst, src, rowLen)
	} else {
		for b := 0; b < typesize; b++ {
			rows := src[b*8*rowLen : (b+1)*8*rowLen]
			for g := 0; g < rowLen; g++ {
				var x uint64
				for k := 0; k < 8; k++ {
					x |= uint64(rows[k*rowLen+g]) << (8 * k)
				}
				x = transposeBits8x8(x)
				p := g*8*typesize + b
				for j := 0; j < 8; j++ {
					dst[p+j*typesize] = byte(x >> (8 * j))
				}
			}
		}
	}
	body := n8 * typesize
	copy(dst[body:], src[body:])
}

// bitUnshuffle1 is bitUnshuffle for typesize 1: the 8 bit rows of rowLen
// bytes in src become 8*rowLen bytes in dst. Eight groups at a time: a byte
// transpose gathers each group's 8 row bytes, a bit transpose spreads them.
func bitUnshuffle1(dst, src []byte, rowLen int) {
	s := [8][]byte{}
	for k := range s {
		s[k] = src[k*rowLen : (k+1)*rowLen]
	}
	dst = dst[:8*rowLen]
	g := 0
	for ; g+8 <= rowLen; g += 8 {
		a0, a1, a2, a3, a4, a5, a6, a7 := transpose8(le64(s[0][g:]), le64(s[1][g:]), le64(s[2][g:]), le64(s[3][g:]),
			le64(s[4][g:]), le64(s[5][g:]), le64(s[6][g:]), le64(s[7][g:]))
		p := dst[8*g : 8*g+64]
		put64(p, transposeBits8x8(a0))
		put64(p[8:], transposeBits8x8(a1))
		put64(p[16:], transposeBits8x8(a2))
		put64(p[24:], transposeBits8x8(a3))
		put64(p[32:], transposeBits8x8(a4))
		put64(p[40:], transposeBits8x8(a5))
		put64(p[48:], transposeBits8x8(a6))
		put64(p[56:], transposeBits8x8(a7))
	}
	for ; g < rowLen; g++ {
		var x uint64
		for k := 0; k < 8; k++ {
			x |= uint64(s[k][g]) << (8 * k)
		}
		put64(dst[8*g:], transposeBits8x8(x))
	}
}

// bitUnshuffleScratch is bitUnshuffle for a caller with a scratch buffer of
// at least len(src) bytes: it rebuilds each byte plane with bitUnshuffle1,
// then byte-unshuffles the planes, which is several times faster than the
// per-byte scatter of bitUnshuffle.
func bitUnshuffleScratch(dst, src, scratch []byte, typesize int) {
	dst = dst[:len(src)]
	if typesize <= 1 {
		bitUnshuffle(dst, src, typesize)
		return
	}
	n8 := len(src) / typesize &^ 7
	rowLen := n8 / 8
	body := n8 * typesize
	planes := scratch[:body]
	for b := 0; b < typesize; b++ {
		bitUnshuffle1(planes[b*n8:(b+1)*n8], src[b*n8:(b+1)*n8], rowLen)
	}
	unshuffleBytes(dst[:body], planes, typesize)
	copy(dst[body:], src[body:])
}
