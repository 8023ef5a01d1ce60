// Package h5sink is the HDF5 container of HDF5Vault archives: a Writer that
// stores payloads as datasets and a Reader that reads them back, both over
// Debian's libhdf5 1.10 through a small cgo shim (shim.c).
//
// # Layout (../shared/docs/FORMAT.md; matches HDF5Vault 0.3's files)
//
// Groups mirror directories. Every payload is a 1-D H5T_STD_I8LE dataset,
// contiguous, no filters, exactly len(payload) elements, maximum dims equal
// to dims. An empty payload is a 0-element dataset that is never allocated
// (offset undefined, allocation time late), as in the original. Dataset
// attributes: "compression" (scalar variable-length UTF-8 string) and, for
// split files, "chunk" and "number_of_chunks" (scalar H5T_STD_I64LE). Root
// attributes, written by Finish: __Description__, __HDF5Vault_version__,
// __HDF5Vault_info__ (variable-length UTF-8 strings; the index lives in the
// global heap, so tens of MB are fine), __HDF5Vault_chunksize__ (int64) and,
// only for sets of more than one file, __HDF5Vault_archive_file_number__ and
// __HDF5Vault_number_of_archive_files__ (int64). Link names are UTF-8.
//
// # Writing
//
// Each Put is one cgo call that creates the dataset and its attributes and
// closes every handle it opened, on error paths too. Group handles are
// cached per Writer and closed in Finish or Abort; the file is opened with
// close degree "strong", so closing it cannot leave it half open.
//
// Payload bytes do not go through H5Dwrite by default: the dataset is created
// with early allocation and fill time "never", so libhdf5 reserves the space
// and never writes into it, and the Writer writes the payload with pwrite on
// a second descriptor, outside libhdf5's global lock. A big copy then no
// longer stalls every other Writer and Reader in the process: beside a writer
// of 64 MiB payloads, a writer of 8 KiB files kept 10,700-25,400 files/s
// instead of 3,500-6,700 (BenchmarkSmallBesideLarge, shared 2-core machine).
// Alone, both paths copy about 5 GB/s into the page cache. The only visible
// difference from an H5Dwrite file is the dataset's fill-value message
// (allocation early, fill never), which readers ignore; Options.H5Dwrite
// restores the plain path and the original's properties (late, if set).
//
// Many small files: the original flushed the file after every dataset; that
// flush is about 80% of the time per file (BenchmarkPutSmall: 5,300 files/s
// with it, 29,000 without, 8 KiB files, fsync included). This
// Writer never flushes before Finish (Options.FlushEach brings the flushes
// back, for comparison) and keeps group handles open. Format and cache
// settings are libhdf5's defaults, with the format bounded to
// earliest..1.8: superblock 0 and symbol-table groups like the original's
// files, nothing an HDF5 1.8 reader lacks, the default file-space strategy (a
// non-default one needs a 1.10 superblock extension). Larger metadata and
// small-data blocks, a larger metadata cache, and the 1.8 object formats were
// measured and gave nothing (bench_test.go keeps them for re-measuring);
// the larger blocks also leave up to a block of unused space in every file.
// The metadata cache is capped at 1 MiB instead (options.go: cacheSize),
// which takes a fifth off create's peak memory on many small files.
// Datasets are created in batches (PutBatch): one library call for the
// parts waiting, so libhdf5's structures stay in the CPU caches.
//
// Finish writes the root attributes, closes the groups and the file, then
// fsyncs the file through the second descriptor. After any error the Writer
// should be aborted: Abort closes what is open and removes the file (also
// after a successful Finish — it always removes).
//
// # Reading
//
// Open reads the root attributes (NumFiles reads as 1 when absent). Stat
// opens the dataset, checks that it is 1-D with 8-bit integer elements
// (signed or unsigned), and reports size and offset; it does not read the
// dataset's attributes (the index says what they say, and damaged attribute
// messages were where libhdf5 crashed most; Attrs reads them for tests).
// Datasets with raw data in external files or with a virtual layout are
// refused, as they would make the reader open other files; so is a path
// through a soft or external link, which Stat does not follow. ReadPayload
// reads a contiguous payload with pread at its offset, outside the library
// lock, so concurrent reads run in parallel, after checking that offset+size
// lies inside the file: a truncated archive is an error, never a short
// payload. Chunked or compact payloads go through H5Dread, bounded by the
// file size (or, when filtered, by the largest possible payload) before
// anything is allocated. A Reader is safe for concurrent use; Close waits
// for reads in flight. Errors that mean the file is damaged satisfy
// errors.Is(err, archive.ErrDamaged).
//
// # Damaged metadata (probe.go)
//
// libhdf5 dies of SIGSEGV on some damaged metadata. After UseProbe (the
// hdf5vault binary always calls it) a child process, this same binary, makes
// every libhdf5 call on a file opened for reading: the root attributes at
// Open, the first few Stats one dataset each (a cat of one file looks up
// one), then one walk describing every dataset for the rest, and reads of
// non-contiguous payloads; the parent gets the answers on a pipe and holds
// no libhdf5 handle on the file. A child that dies of a signal in C code is
// a damage error naming the file, and the next request starts a new child.
// So is a child that shows no progress for UseProbe's silence limit
// (watchdog.go): it is killed with SIGKILL and waited for. Progress is the
// answer's bytes and the child's pulses (datasets a scan visits; pages and
// blocks a read of the index or a payload touches), so long legitimate
// work is never cut short. Without UseProbe the calls run in the calling
// process, with no watchdog.
//
// The JSON index attribute is not read through libhdf5 (which loads its
// whole global heap collection, then copies the string): the child reports
// the attribute's reference, and the parent finds the string's bytes in the
// collection and streams them from the file (globalheap.go, InfoReader), so
// their length is known before any is read.
//
// libhdf5 keeps its error stack, and the switch that prints it, per thread;
// every shim entry silences printing for its thread and turns the stack into
// the returned error. Errors name the file and the dataset.
package h5sink
