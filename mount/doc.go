// Package mount serves an archive set as a read-only FUSE file system: the
// original paths, sizes, mtimes and modes, directories synthesized from the
// paths, a split file's parts read as one file.
//
// A read decodes only the Blosc2 blocks covering its range (blosc.Blocks,
// from each chunk's block-start table), through a cache of decoded blocks
// bounded in bytes; raw parts are read at their offsets. A block that fails
// to decode, or a file whose bytes fail the stored checksum once read from
// start to end, gives EIO for the reads that touch it and is logged naming
// the file; nothing else is affected.
//
// The set is reached only through source.go, a narrow adapter over
// archiveset (the listing; payload bytes at an offset), so a change in how
// a set is opened is a change to that one file.
package mount
