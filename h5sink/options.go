package h5sink

// #include "shim.h"
import "C"

// Options tune how a Writer writes an archive file. The zero value is the
// fast default.
type Options struct {
	// H5Dwrite writes payloads through H5Dwrite, under libhdf5's global lock,
	// instead of allocating them early and writing them with pwrite. The
	// datasets then carry the original's allocation and fill properties.
	H5Dwrite bool
	// FlushEach flushes the file after every dataset, as HDF5Vault 0.3 did.
	// Slow; it exists to measure what the flushes cost.
	FlushEach bool

	tuning tuning // settings BenchmarkPutSmall measured and did not adopt
}

// cacheSize caps libhdf5's metadata cache of a file being written. The
// library's default starts at 2 MiB and may grow to 32 MiB, and the decoded
// objects behind its entries take far more than the entries' size (an
// object header of a few hundred bytes keeps several KB of decoded messages
// in memory): 10^5 datasets of 1 KiB in two files peaked at 262 MB RSS
// with the default, 214 MB with 1 MiB and 174 MB with 256 KiB, without a
// measurable cost in time (at 1 MiB, a C loop creating the datasets:
// 96 -> 58 MB, 39-42 -> 37-40 us per dataset).
const cacheSize = 256 << 10

// tuning holds file settings that made no measurable difference for many
// small files (see BenchmarkPutSmall); zero keeps the library's defaults.
type tuning struct {
	format18  bool  // 1.8 object formats (superblock 2) instead of the earliest
	metaBlock int64 // H5Pset_meta_block_size (default 2 KiB)
	smallData int64 // H5Pset_small_data_block_size (default 2 KiB)
	cacheSize int64 // metadata cache initial and maximum size (default cacheSize)
}

func (o Options) fileOptions() C.hv_fopts {
	var f C.hv_fopts
	if o.tuning.format18 {
		f.libver_v18 = 1
	}
	f.meta_block = C.int64_t(o.tuning.metaBlock)
	f.small_data = C.int64_t(o.tuning.smallData)
	f.mdc_size = C.int64_t(o.tuning.cacheSize)
	if f.mdc_size == 0 {
		f.mdc_size = cacheSize
	}
	return f
}
