// Package blosc reads and writes single C-Blosc2 chunks in pure Go, byte
// compatible with the C libraries (the layout is c-blosc2's
// README_CHUNK_FORMAT.rst).
//
// Decoding (Decoder.DecodeAll) reads every chunk C-Blosc 1.x and C-Blosc2
// write with format versions 1 to 5: the 16- and 32-byte headers; codecs
// blosclz (decompressor in blosclz.go), lz4 and lz4hc (pierrec/lz4 block
// API), zlib and zstd (klauspost/compress), with embedded zstd or lz4
// dictionaries; no, byte and bit shuffle at any typesize (shuffle.go, with
// C's handling of trailing bytes and C-Blosc 1.x's bitshuffle rule); split
// and unsplit blocks; memcpy chunks; zero, run-length and stored streams;
// special-value chunks (zeros, NaN, repeated value, uninitialized, which
// decodes as zeros). Version 6 (variable-length blocks), lazy chunks,
// user-defined codecs and filters, and the delta filter are refused with an
// error.
//
// The decoder refuses every chunk whose header or layout C-Blosc2 3.3's
// decoder refuses, before it decodes anything: ParseHeader makes the checks of read_chunk_header,
// initialize_context_decompression, blosc_d and pipeline_backward that the
// header alone decides, DecodeAll those on the block-start table and the
// dictionary (1..BLOSC2_MAXDICTSIZE bytes). Each check names the C function
// beside it. So a chunk this package decodes is one C decodes (streams that
// fail inside a codec fail in both). Every refusal wraps ErrCorrupt (damaged or invalid) or
// ErrUnsupported (valid, but a feature not implemented here).
//
// The decoder treats every chunk as hostile: the block-start table and
// every stream must lie inside the chunk, each compressed stream must be
// able to expand to its share of the block for its codec before any output
// is allocated, and codecs never write past the block. Only special-value
// chunks and run-length streams take their size from the header alone;
// Decoder.MaxSize bounds those. A chunk must be stored alone: its length
// must equal the header's cbytes.
//
// Random access (ParseBlocks, Decoder.DecodeBlock) decodes one block of a
// chunk from the chunk's prefix (header, block starts, dictionary) and that
// block's own bytes, with the same checks; a block's streams must end
// before the next block's start, as C-Blosc writes them.
//
// Encoding (Encoder.EncodeAll) writes version-5 chunks with the block size,
// split and run-length choices C-Blosc2 makes for the same options; with
// UseDict, a zstd dictionary within C's budget (at most 32,768 bytes and 5%
// of the input, none below 256 bytes).
package blosc
