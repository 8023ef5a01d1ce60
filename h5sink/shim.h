// The few libhdf5 sequences h5sink needs, each done in one C call so that a
// Go call crosses cgo (and takes the library's global lock) as little as
// possible, and so that every handle is closed on every path.
#ifndef HV_SHIM_H
#define HV_SHIM_H

#include <stdint.h>
#include "hdf5.h"

#define HV_ERRLEN 512

// File creation settings; zero fields keep the library default.
typedef struct {
	int libver_v18;     // 1: low = high = 1.8 format; 0: earliest .. 1.8
	int64_t meta_block; // H5Pset_meta_block_size
	int64_t small_data; // H5Pset_small_data_block_size
	int64_t mdc_size;   // metadata cache initial and maximum size in bytes
} hv_fopts;

// What a reader needs to know about one dataset.
typedef struct {
	int64_t size;     // elements (== bytes for a 1-D 8-bit dataset)
	int64_t offset;   // H5Dget_offset, -1 when undefined
	int layout;       // H5D_layout_t
	int nfilters;
	int nexternal;    // external raw-data files (refused by the reader)
	int rank;
	int type_ok;      // integer class, 1 byte
	int has_compression;
	char compression[64];
	int has_chunk, has_nchunks;
	int64_t chunk, nchunks;
} hv_dinfo;

hid_t hv_fcreate(const char *path, const hv_fopts *o, char *err);
hid_t hv_fopen(const char *path, char *err);
hid_t hv_fopen_rw(const char *path, char *err); // for seal: adds the indexes to a shard's file
int hv_unlink(hid_t loc, const char *name, char *err); // removes the link name if present
int hv_fclose(hid_t f, char *err);
int hv_fflush(hid_t f, char *err);

hid_t hv_gcreate(hid_t loc, const char *name, char *err);
int hv_close(hid_t id);

// Property lists, types and dataspaces every Put needs, made once per Writer.
typedef struct {
	hid_t lcpl, dcpl_late, dcpl_early, str, scalar;
} hv_wctx;

int hv_wctx_init(hv_wctx *c, char *err);
void hv_wctx_free(hv_wctx *c);

int hv_put(const hv_wctx *c, hid_t loc, const char *name, const void *data, int64_t n, int early,
	const char *compression, int64_t chunk, int64_t nchunks, int64_t *offset, char *err);

// hv_put_batch creates count datasets with early allocation (the caller
// pwrites the payloads at the returned offsets), in one call so that the
// library's structures stay in the CPU caches from one dataset to the next.
// strs holds "name\0compression\0" per dataset. On failure *failed is the
// index of the dataset that failed; the ones before it exist.
int hv_put_batch(const hv_wctx *c, int count, const hid_t *locs, const char *strs, const int64_t *sizes,
	const int64_t *chunks, const int64_t *nchunks, int64_t *offsets, int *failed, char *err);

int hv_attr_str(hid_t loc, const char *name, const char *val, char *err);
int hv_attr_i64(hid_t loc, const char *name, int64_t v, char *err);

// Readers return 1 when the attribute is absent, 0 when read, -1 on error.
// A string is returned in memory from H5allocate_memory: free it with H5free_memory.
int hv_read_attr_str(hid_t loc, const char *name, char **out, size_t *len, char *err);
int hv_read_attr_i64(hid_t loc, const char *name, int64_t *out, char *err);

// hv_read_attr_ref says where a scalar string attribute's value lies
// without reading a variable-length one: kind HV_STR_VLEN with ref, the 16
// bytes the file holds for it (length u32, global heap collection address
// u64, object index u32, little-endian); HV_STR_FIXED with *fixed its size
// in bytes; HV_STR_OTHER for a variable-length string whose reference is
// not 16 bytes (4-byte file addresses), read it with hv_read_attr_str.
enum { HV_STR_VLEN = 0, HV_STR_FIXED = 1, HV_STR_OTHER = 2 };
int hv_read_attr_ref(hid_t loc, const char *name, int *kind, unsigned char ref[16], int64_t *fixed, char *err);

// hv_stat describes a dataset; attributes only when attrs is set.
int hv_stat(hid_t f, const char *name, int attrs, hv_dinfo *d, char *err);
int hv_dread(hid_t f, const char *name, void *buf, int64_t n, char *err);

// hv_scan visits every link of the file and writes one record per dataset
// (or failure, or link it does not follow) to fd, then an end record.
enum { HV_REC_DSET = 1, HV_REC_ERR = 2, HV_REC_LINK = 3, HV_REC_END = 255 };
typedef struct {
	int64_t size, offset;
	int32_t layout, nfilters, nexternal, rank, type_ok;
	int32_t pad; // keeps the size a multiple of 8 on every ABI
} hv_rec_dset;
int hv_scan(hid_t f, int fd, char *err);

// hv_scanned counts the links every scan of this process has visited: the
// probe child's progress, read by its pulse goroutine while a scan runs.
uint64_t hv_scanned(void);

// hv_pulse_start writes a byte on fd (the child is ready), then starts the
// probe child's pulse thread (pulse.c): a byte every tick_ns in which the
// child made progress;
// hv_pulse_data(1) makes pages touched and blocks read count as progress.
int hv_pulse_start(int fd, int64_t tick_ns);
void hv_pulse_data(int on);

#endif
