package archive

import "io"

// RootAttrs are the root attributes of one archive file.
type RootAttrs struct {
	Description string
	Version     string
	ChunkSize   int64
	FileNumber  int    // __HDF5Vault_archive_file_number__, written only when NumFiles > 1
	NumFiles    int    // __HDF5Vault_number_of_archive_files__; reads as 1 when absent
	Info        string // the index JSON, identical in every file of the set; readers leave it empty (see Reader.Info)
	// InfoNUL says that a NUL byte follows Info in memory (pipeline.Indexes
	// builds it so), so a writer may hand Info to C as it is instead of
	// copying it: at 10^5 files that copy was 12 MB of the peak.
	InfoNUL bool
}

// DatasetAttrs are the attributes of one payload dataset.
type DatasetAttrs struct {
	Compression string // MethodBlosc2 or MethodNone
	Chunk       int    // part number; written only when NumChunks > 1
	NumChunks   int    // part count; 1 (or 0) for an unsplit file
}

// DatasetInfo describes a stored payload.
type DatasetInfo struct {
	Size   int64 // payload bytes
	Offset int64 // byte offset of a contiguous payload in the file, -1 if none
	Attrs  DatasetAttrs
}

// Writer is one archive file being written (HDF5 or zip). One goroutine owns it.
type Writer interface {
	// Put stores payload as a new dataset, creating groups as needed, and
	// returns its byte offset in the file (-1 when it has none, e.g. empty).
	Put(dataset string, payload []byte, a DatasetAttrs) (offset int64, err error)
	// Finish writes the root attributes, closes every handle and fsyncs the file.
	Finish(root RootAttrs) error
	// Abort closes whatever is open and removes the file. Safe after any error.
	Abort() error
}

// Put is one payload of a batch given to BatchWriter.PutBatch.
type Put struct {
	Dataset string
	Payload []byte
	Attrs   DatasetAttrs
	Offset  int64 // set by PutBatch, as Writer.Put returns it
}

// BatchWriter is a Writer that can store several payloads at once for less
// than one Put each (h5sink: one library call per batch instead of one per
// dataset, with the library's structures still in the CPU caches).
type BatchWriter interface {
	Writer
	// PutBatch stores the payloads of batch in order and sets each Offset.
	// On error, failed is the index of the payload that failed.
	PutBatch(batch []Put) (failed int, err error)
}

// InfoStreamer is a Reader that hands out its JSON index as a stream whose
// length is known before a byte of it is read (h5sink: straight from the
// file), so that a huge or hostile index is measured, bounded and checked
// without being held.
type InfoStreamer interface {
	// InfoReader returns the JSON index as n bytes to read from rd.
	InfoReader() (rd io.Reader, n int64, err error)
}

// Reader is one archive file opened for reading.
type Reader interface {
	// Root returns the root attributes read at open, without Info.
	Root() RootAttrs
	// Info reads the JSON index. It can be hundreds of MB: readers of sets
	// with a side index never ask for it.
	Info() (string, error)
	// Size is the file's size in bytes at open.
	Size() int64
	// PayloadAt appends the size bytes at offset off of the file to dst.
	// A range past the end of the file is an error (a truncated archive),
	// never a short read. Safe for concurrent use.
	PayloadAt(off, size int64, dst []byte) ([]byte, error)
	// Stat describes a dataset; an error if it does not exist or is not a 1-D int8 payload.
	Stat(dataset string) (DatasetInfo, error)
	// ReadPayload appends a dataset's payload to dst. Safe for concurrent use.
	ReadPayload(dataset string, dst []byte) ([]byte, error)
	Close() error
}
