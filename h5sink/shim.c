#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "shim.h"

// The error stack and its auto-print setting are per thread in a thread-safe
// libhdf5, and goroutines move between threads: silence it on every entry.
#define QUIET() H5Eset_auto2(H5E_DEFAULT, NULL, NULL)

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data) {
	char *err = data;
	if (n == 0) { // most specific entry (walking upward)
		char minor[128] = "";
		H5Eget_msg(e->min_num, NULL, minor, sizeof minor);
		size_t used = strlen(err);
		snprintf(err + used, HV_ERRLEN - used, ": %s (%s)", e->desc ? e->desc : "", minor);
	}
	return 0;
}

// seterr describes the failure of what, with the library's innermost reason.
static void seterr(char *err, const char *what) {
	snprintf(err, HV_ERRLEN, "%s", what);
	H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_cb, err);
}

static void closeid(hid_t id) {
	if (id < 0) return;
	switch (H5Iget_type(id)) {
	case H5I_FILE: H5Fclose(id); break;
	case H5I_GROUP: H5Gclose(id); break;
	case H5I_DATASET: H5Dclose(id); break;
	case H5I_DATASPACE: H5Sclose(id); break;
	case H5I_ATTR: H5Aclose(id); break;
	case H5I_DATATYPE: H5Tclose(id); break;
	case H5I_GENPROP_LST: H5Pclose(id); break;
	default: break;
	}
}

int hv_close(hid_t id) {
	QUIET();
	closeid(id);
	return 0;
}

hid_t hv_fcreate(const char *path, const hv_fopts *o, char *err) {
	QUIET();
	hid_t fapl = -1, f = -1;
	if ((fapl = H5Pcreate(H5P_FILE_ACCESS)) < 0) { seterr(err, "H5Pcreate"); goto done; }
	// Strong close: H5Fclose fails loudly instead of leaving the file open
	// behind a forgotten handle.
	if (H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0) { seterr(err, "H5Pset_fclose_degree"); goto done; }
	H5F_libver_t low = o->libver_v18 ? H5F_LIBVER_V18 : H5F_LIBVER_EARLIEST;
	if (H5Pset_libver_bounds(fapl, low, H5F_LIBVER_V18) < 0) { seterr(err, "H5Pset_libver_bounds"); goto done; }
	if (o->meta_block > 0 && H5Pset_meta_block_size(fapl, (hsize_t)o->meta_block) < 0) {
		seterr(err, "H5Pset_meta_block_size"); goto done;
	}
	if (o->small_data > 0 && H5Pset_small_data_block_size(fapl, (hsize_t)o->small_data) < 0) {
		seterr(err, "H5Pset_small_data_block_size"); goto done;
	}
	if (o->mdc_size > 0) {
		H5AC_cache_config_t c;
		memset(&c, 0, sizeof c);
		c.version = H5AC__CURR_CACHE_CONFIG_VERSION;
		if (H5Pget_mdc_config(fapl, &c) < 0) { seterr(err, "H5Pget_mdc_config"); goto done; }
		c.set_initial_size = 1;
		c.initial_size = (size_t)o->mdc_size;
		c.max_size = (size_t)o->mdc_size;
		if (c.min_size > c.initial_size) c.min_size = c.initial_size;
		if (H5Pset_mdc_config(fapl, &c) < 0) { seterr(err, "H5Pset_mdc_config"); goto done; }
	}
	if ((f = H5Fcreate(path, H5F_ACC_EXCL, H5P_DEFAULT, fapl)) < 0) seterr(err, "H5Fcreate");
done:
	closeid(fapl);
	return f;
}

hid_t hv_fopen(const char *path, char *err) {
	QUIET();
	hid_t fapl = -1, f = -1;
	if ((fapl = H5Pcreate(H5P_FILE_ACCESS)) < 0) { seterr(err, "H5Pcreate"); goto done; }
	if (H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0) { seterr(err, "H5Pset_fclose_degree"); goto done; }
	if ((f = H5Fopen(path, H5F_ACC_RDONLY, fapl)) < 0) seterr(err, "H5Fopen");
done:
	closeid(fapl);
	return f;
}

hid_t hv_fopen_rw(const char *path, char *err) {
	QUIET();
	hid_t fapl = -1, f = -1;
	if ((fapl = H5Pcreate(H5P_FILE_ACCESS)) < 0) { seterr(err, "H5Pcreate"); goto done; }
	if (H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0) { seterr(err, "H5Pset_fclose_degree"); goto done; }
	// The same format bounds as hv_fcreate: what is added stays readable by 1.8.
	if (H5Pset_libver_bounds(fapl, H5F_LIBVER_EARLIEST, H5F_LIBVER_V18) < 0) { seterr(err, "H5Pset_libver_bounds"); goto done; }
	if ((f = H5Fopen(path, H5F_ACC_RDWR, fapl)) < 0) seterr(err, "H5Fopen");
done:
	closeid(fapl);
	return f;
}

int hv_unlink(hid_t loc, const char *name, char *err) {
	QUIET();
	htri_t there = H5Lexists(loc, name, H5P_DEFAULT);
	if (there < 0) { seterr(err, "H5Lexists"); return -1; }
	if (there > 0 && H5Ldelete(loc, name, H5P_DEFAULT) < 0) { seterr(err, "H5Ldelete"); return -1; }
	return 0;
}

int hv_fclose(hid_t f, char *err) {
	QUIET();
	if (H5Fclose(f) < 0) { seterr(err, "H5Fclose"); return -1; }
	return 0;
}

int hv_fflush(hid_t f, char *err) {
	QUIET();
	if (H5Fflush(f, H5F_SCOPE_LOCAL) < 0) { seterr(err, "H5Fflush"); return -1; }
	return 0;
}

// lcpl stores link names as UTF-8, as h5py does.
static hid_t utf8_lcpl(char *err) {
	hid_t p = H5Pcreate(H5P_LINK_CREATE);
	if (p < 0) { seterr(err, "H5Pcreate"); return -1; }
	if (H5Pset_char_encoding(p, H5T_CSET_UTF8) < 0) { seterr(err, "H5Pset_char_encoding"); H5Pclose(p); return -1; }
	return p;
}

hid_t hv_gcreate(hid_t loc, const char *name, char *err) {
	QUIET();
	hid_t lcpl = utf8_lcpl(err), g = -1;
	if (lcpl < 0) return -1;
	if ((g = H5Gcreate2(loc, name, lcpl, H5P_DEFAULT, H5P_DEFAULT)) < 0) seterr(err, "H5Gcreate2");
	closeid(lcpl);
	return g;
}

static hid_t vlen_utf8(char *err) {
	hid_t t = H5Tcopy(H5T_C_S1);
	if (t < 0) { seterr(err, "H5Tcopy"); return -1; }
	if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
		seterr(err, "H5Tset_size/H5Tset_cset"); H5Tclose(t); return -1;
	}
	return t;
}

// put_attr writes attribute name of loc. A reopened file (seal) may hold
// the attribute already: unless loc was just created (fresh), it is replaced.
static int put_attr(hid_t loc, int fresh, const char *name, hid_t ftype, hid_t mtype, hid_t space, const void *val, char *err) {
	if (!fresh) {
		htri_t there = H5Aexists(loc, name);
		if (there < 0) { seterr(err, "H5Aexists"); return -1; }
		if (there > 0 && H5Adelete(loc, name) < 0) { seterr(err, "H5Adelete"); return -1; }
	}
	hid_t a = H5Acreate2(loc, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
	if (a < 0) { seterr(err, "H5Acreate2"); return -1; }
	int rc = 0;
	if (H5Awrite(a, mtype, val) < 0) { seterr(err, "H5Awrite"); rc = -1; }
	closeid(a);
	return rc;
}

int hv_attr_str(hid_t loc, const char *name, const char *val, char *err) {
	QUIET();
	int rc = -1;
	hid_t t = -1, s = -1;
	if ((t = vlen_utf8(err)) < 0) goto done;
	if ((s = H5Screate(H5S_SCALAR)) < 0) { seterr(err, "H5Screate"); goto done; }
	rc = put_attr(loc, 0, name, t, t, s, &val, err);
done:
	closeid(s); closeid(t);
	return rc;
}

int hv_attr_i64(hid_t loc, const char *name, int64_t v, char *err) {
	QUIET();
	hid_t s = H5Screate(H5S_SCALAR);
	if (s < 0) { seterr(err, "H5Screate"); return -1; }
	int rc = put_attr(loc, 0, name, H5T_STD_I64LE, H5T_NATIVE_INT64, s, &v, err);
	closeid(s);
	return rc;
}

void hv_wctx_free(hv_wctx *c) {
	QUIET();
	closeid(c->lcpl); closeid(c->dcpl_late); closeid(c->dcpl_early); closeid(c->str); closeid(c->scalar);
	c->lcpl = c->dcpl_late = c->dcpl_early = c->str = c->scalar = -1;
}

int hv_wctx_init(hv_wctx *c, char *err) {
	QUIET();
	c->lcpl = c->dcpl_late = c->dcpl_early = c->str = c->scalar = -1;
	if ((c->lcpl = utf8_lcpl(err)) < 0) goto fail;
	if ((c->dcpl_late = H5Pcreate(H5P_DATASET_CREATE)) < 0) { seterr(err, "H5Pcreate"); goto fail; }
	// Early allocation without fill gives the payload its place at once, so
	// the caller can write it with a plain pwrite outside the library's lock.
	if ((c->dcpl_early = H5Pcreate(H5P_DATASET_CREATE)) < 0) { seterr(err, "H5Pcreate"); goto fail; }
	if (H5Pset_alloc_time(c->dcpl_early, H5D_ALLOC_TIME_EARLY) < 0 || H5Pset_fill_time(c->dcpl_early, H5D_FILL_TIME_NEVER) < 0) {
		seterr(err, "H5Pset_alloc_time/H5Pset_fill_time"); goto fail;
	}
	if ((c->str = vlen_utf8(err)) < 0) goto fail;
	if ((c->scalar = H5Screate(H5S_SCALAR)) < 0) { seterr(err, "H5Screate"); goto fail; }
	return 0;
fail:
	hv_wctx_free(c);
	return -1;
}

// put_one creates one dataset with its attributes and closes every handle it
// opened. early: allocate the space now and never fill it (the caller
// pwrites the payload); data is then NULL.
static int put_one(const hv_wctx *c, hid_t loc, const char *name, const void *data, int64_t n, int early,
	const char *compression, int64_t chunk, int64_t nchunks, int64_t *offset, char *err) {
	int rc = -1;
	hid_t s = -1, d = -1;
	hsize_t dims[1] = {(hsize_t)n};
	*offset = -1;
	if ((s = H5Screate_simple(1, dims, dims)) < 0) { seterr(err, "H5Screate_simple"); goto done; }
	// An empty dataset stays unallocated (late), like the original's.
	hid_t dcpl = early && n > 0 ? c->dcpl_early : c->dcpl_late;
	if ((d = H5Dcreate2(loc, name, H5T_STD_I8LE, s, c->lcpl, dcpl, H5P_DEFAULT)) < 0) { seterr(err, "H5Dcreate2"); goto done; }
	if (data != NULL && n > 0 && H5Dwrite(d, H5T_NATIVE_SCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
		seterr(err, "H5Dwrite"); goto done;
	}
	// d is new: its attributes need no check for old ones.
	if (put_attr(d, 1, "compression", c->str, c->str, c->scalar, &compression, err) < 0) goto done;
	if (nchunks > 1) {
		if (put_attr(d, 1, "chunk", H5T_STD_I64LE, H5T_NATIVE_INT64, c->scalar, &chunk, err) < 0) goto done;
		if (put_attr(d, 1, "number_of_chunks", H5T_STD_I64LE, H5T_NATIVE_INT64, c->scalar, &nchunks, err) < 0) goto done;
	}
	haddr_t a = H5Dget_offset(d);
	if (a != HADDR_UNDEF) *offset = (int64_t)a;
	rc = 0;
done:
	closeid(d); closeid(s);
	return rc;
}

int hv_put(const hv_wctx *c, hid_t loc, const char *name, const void *data, int64_t n, int early,
	const char *compression, int64_t chunk, int64_t nchunks, int64_t *offset, char *err) {
	QUIET();
	return put_one(c, loc, name, data, n, early, compression, chunk, nchunks, offset, err);
}

int hv_put_batch(const hv_wctx *c, int count, const hid_t *locs, const char *strs, const int64_t *sizes,
	const int64_t *chunks, const int64_t *nchunks, int64_t *offsets, int *failed, char *err) {
	QUIET();
	for (int i = 0; i < count; i++) {
		const char *name = strs;
		const char *comp = name + strlen(name) + 1;
		strs = comp + strlen(comp) + 1;
		if (put_one(c, locs[i], name, NULL, sizes[i], 1, comp, chunks[i], nchunks[i], &offsets[i], err) < 0) {
			*failed = i;
			return -1;
		}
	}
	return 0;
}

// read_str reads a scalar string attribute, variable or fixed length.
static int read_str(hid_t a, char **out, size_t *len, char *err) {
	int rc = -1;
	hid_t ft = -1, mt = -1, s = -1;
	*out = NULL;
	*len = 0;
	if ((ft = H5Aget_type(a)) < 0) { seterr(err, "H5Aget_type"); goto done; }
	if (H5Tget_class(ft) != H5T_STRING) { snprintf(err, HV_ERRLEN, "attribute is not a string"); goto done; }
	if ((s = H5Aget_space(a)) < 0) { seterr(err, "H5Aget_space"); goto done; }
	if (H5Sget_simple_extent_npoints(s) != 1) { snprintf(err, HV_ERRLEN, "attribute is not a single string"); goto done; }
	if ((mt = H5Tcopy(ft)) < 0) { seterr(err, "H5Tcopy"); goto done; }
	htri_t vl = H5Tis_variable_str(ft);
	if (vl < 0) { seterr(err, "H5Tis_variable_str"); goto done; }
	if (vl) {
		char *p = NULL;
		if (H5Aread(a, mt, &p) < 0) { seterr(err, "H5Aread"); goto done; }
		if (p == NULL) { // a null vlen string reads as empty
			p = H5allocate_memory(1, 0);
			if (p == NULL) { snprintf(err, HV_ERRLEN, "out of memory"); goto done; }
			p[0] = 0;
		}
		*out = p;
		*len = strlen(p);
	} else {
		size_t n = H5Tget_size(ft);
		char *p = H5allocate_memory(n + 1, 0);
		if (p == NULL) { snprintf(err, HV_ERRLEN, "out of memory"); goto done; }
		if (H5Aread(a, mt, p) < 0) { seterr(err, "H5Aread"); H5free_memory(p); goto done; }
		p[n] = 0;
		*out = p;
		*len = strlen(p); // fixed strings are NUL- or space-padded; NULs end them
	}
	rc = 0;
done:
	closeid(s); closeid(mt); closeid(ft);
	return rc;
}

static int read_i64(hid_t a, int64_t *out, char *err) {
	int rc = -1;
	hid_t ft = -1, s = -1;
	if ((ft = H5Aget_type(a)) < 0) { seterr(err, "H5Aget_type"); goto done; }
	if (H5Tget_class(ft) != H5T_INTEGER) { snprintf(err, HV_ERRLEN, "attribute is not an integer"); goto done; }
	if ((s = H5Aget_space(a)) < 0) { seterr(err, "H5Aget_space"); goto done; }
	if (H5Sget_simple_extent_npoints(s) != 1) { snprintf(err, HV_ERRLEN, "attribute is not a single integer"); goto done; }
	if (H5Aread(a, H5T_NATIVE_INT64, out) < 0) { seterr(err, "H5Aread"); goto done; }
	rc = 0;
done:
	closeid(s); closeid(ft);
	return rc;
}

// open_attr returns 1 (absent), 0 (opened into *a) or -1.
static int open_attr(hid_t loc, const char *name, hid_t *a, char *err) {
	htri_t ex = H5Aexists(loc, name);
	if (ex < 0) { seterr(err, "H5Aexists"); return -1; }
	if (!ex) return 1;
	if ((*a = H5Aopen(loc, name, H5P_DEFAULT)) < 0) { seterr(err, "H5Aopen"); return -1; }
	return 0;
}

int hv_read_attr_str(hid_t loc, const char *name, char **out, size_t *len, char *err) {
	QUIET();
	hid_t a = -1;
	int rc = open_attr(loc, name, &a, err);
	if (rc != 0) return rc;
	rc = read_str(a, out, len, err);
	closeid(a);
	return rc;
}

// libhdf5 has no call that returns a variable-length string's length
// without copying the string out of its global heap collection (which it
// loads whole first). The attribute message holds the reference the
// format spec describes (length, collection address, object index), and
// H5Aread hands the attribute's raw value to a type conversion (H5A__read
// copies it into the conversion buffer), so a conversion from a vlen
// string to a 16-byte opaque type that leaves the bytes alone returns them.
static herr_t keep_ref(hid_t src, hid_t dst, H5T_cdata_t *cd, size_t n, size_t stride, size_t bkg_stride,
	void *buf, void *bkg, hid_t dxpl) {
	(void)n; (void)stride; (void)bkg_stride; (void)buf; (void)bkg; (void)dxpl;
	if (cd->command != H5T_CONV_INIT) return 0; // the bytes stay as the file has them
	cd->need_bkg = H5T_BKG_NO;
	if (H5Tis_variable_str(src) <= 0 || H5Tget_class(dst) != H5T_OPAQUE || H5Tget_size(src) != 16 || H5Tget_size(dst) != 16)
		return -1;
	return 0;
}

static hid_t ref_type = -1; // the opaque type keep_ref converts to
static pthread_once_t ref_once = PTHREAD_ONCE_INIT;

static void ref_register(void) {
	QUIET();
	hid_t op = -1, vs = -1;
	if ((op = H5Tcreate(H5T_OPAQUE, 16)) < 0 || H5Tset_tag(op, "hdf5vault vlen reference") < 0) goto done;
	if ((vs = H5Tcopy(H5T_C_S1)) < 0 || H5Tset_size(vs, H5T_VARIABLE) < 0) goto done;
	if (H5Tregister(H5T_PERS_SOFT, "hdf5vault_keep_ref", vs, op, keep_ref) < 0) goto done;
	ref_type = op;
	op = -1;
done:
	closeid(vs); closeid(op);
}

int hv_read_attr_ref(hid_t loc, const char *name, int *kind, unsigned char ref[16], int64_t *fixed, char *err) {
	QUIET();
	hid_t a = -1, ft = -1, s = -1, op;
	int rc = open_attr(loc, name, &a, err);
	if (rc != 0) return rc;
	rc = -1;
	if ((ft = H5Aget_type(a)) < 0) { seterr(err, "H5Aget_type"); goto done; }
	if (H5Tget_class(ft) != H5T_STRING) { snprintf(err, HV_ERRLEN, "attribute is not a string"); goto done; }
	if ((s = H5Aget_space(a)) < 0) { seterr(err, "H5Aget_space"); goto done; }
	if (H5Sget_simple_extent_npoints(s) != 1) { snprintf(err, HV_ERRLEN, "attribute is not a single string"); goto done; }
	htri_t vl = H5Tis_variable_str(ft);
	if (vl < 0) { seterr(err, "H5Tis_variable_str"); goto done; }
	if (!vl) {
		*kind = HV_STR_FIXED;
		*fixed = (int64_t)H5Tget_size(ft);
		rc = 0;
		goto done;
	}
	if (H5Aget_storage_size(a) != 16) { // the reference's size in the file
		*kind = HV_STR_OTHER;
		rc = 0;
		goto done;
	}
	pthread_once(&ref_once, ref_register);
	if ((op = ref_type) < 0) { snprintf(err, HV_ERRLEN, "H5Tregister: cannot register the reference conversion"); goto done; }
	if (H5Aread(a, op, ref) < 0) { seterr(err, "H5Aread"); goto done; }
	*kind = HV_STR_VLEN;
	rc = 0;
done:
	closeid(s); closeid(ft); closeid(a);
	return rc;
}

int hv_read_attr_i64(hid_t loc, const char *name, int64_t *out, char *err) {
	QUIET();
	hid_t a = -1;
	int rc = open_attr(loc, name, &a, err);
	if (rc != 0) return rc;
	rc = read_i64(a, out, err);
	closeid(a);
	return rc;
}

// stat_attrs fills the dataset attributes of d.
static int stat_attrs(hid_t d, hv_dinfo *i, char *err) {
	char *s = NULL;
	size_t n = 0;
	int rc = hv_read_attr_str(d, "compression", &s, &n, err);
	if (rc < 0) return -1;
	if (rc == 0) {
		i->has_compression = 1;
		snprintf(i->compression, sizeof i->compression, "%s", s);
		H5free_memory(s);
	}
	if ((rc = hv_read_attr_i64(d, "chunk", &i->chunk, err)) < 0) return -1;
	i->has_chunk = rc == 0;
	if ((rc = hv_read_attr_i64(d, "number_of_chunks", &i->nchunks, err)) < 0) return -1;
	i->has_nchunks = rc == 0;
	return 0;
}

// stat_dset describes an open dataset, without its attributes.
static int stat_dset(hid_t d, hv_dinfo *i, char *err) {
	int rc = -1;
	hid_t s = -1, t = -1, dcpl = -1;
	memset(i, 0, sizeof *i);
	i->offset = -1;
	if ((s = H5Dget_space(d)) < 0) { seterr(err, "H5Dget_space"); goto done; }
	i->rank = H5Sget_simple_extent_ndims(s);
	if (i->rank == 1) {
		hsize_t dims[1];
		if (H5Sget_simple_extent_dims(s, dims, NULL) < 0) { seterr(err, "H5Sget_simple_extent_dims"); goto done; }
		i->size = (int64_t)dims[0];
	}
	if ((t = H5Dget_type(d)) < 0) { seterr(err, "H5Dget_type"); goto done; }
	i->type_ok = H5Tget_class(t) == H5T_INTEGER && H5Tget_size(t) == 1;
	if ((dcpl = H5Dget_create_plist(d)) < 0) { seterr(err, "H5Dget_create_plist"); goto done; }
	i->layout = H5Pget_layout(dcpl);
	i->nfilters = H5Pget_nfilters(dcpl);
	i->nexternal = H5Pget_external_count(dcpl);
	haddr_t a = H5Dget_offset(d);
	if (a != HADDR_UNDEF) i->offset = (int64_t)a;
	rc = 0;
done:
	closeid(dcpl); closeid(t); closeid(s);
	return rc;
}

// hard_path refuses a name that is not a plain path of hard links below
// the root: an empty or "." component, or a soft or external link on the
// way, which H5Dopen2 would follow (an external one into another file). The
// scan (hv_scan) follows none either, so a dataset looked up alone is the
// one the scan would have described.
static int hard_path(hid_t f, const char *name, char *err) {
	size_t n = strlen(name);
	char *p = malloc(n + 1);
	if (p == NULL) { snprintf(err, HV_ERRLEN, "out of memory"); return -1; }
	int rc = 0;
	for (size_t start = 0, end = 0; rc == 0 && start <= n; start = end + 1) {
		for (end = start; end < n && name[end] != '/'; end++) {}
		if (end == start || (end == start + 1 && name[start] == '.')) {
			snprintf(err, HV_ERRLEN, "not a plain path to a dataset (empty or \".\" component)");
			rc = -1;
			break;
		}
		memcpy(p, name, end);
		p[end] = 0;
		H5L_info_t li;
		htri_t there = H5Lexists(f, p, H5P_DEFAULT);
		if (there == 0) {
			snprintf(err, HV_ERRLEN, "no such dataset in the file");
			rc = -1;
		} else if (there < 0 || H5Lget_info(f, p, &li, H5P_DEFAULT) < 0) {
			seterr(err, there < 0 ? "H5Lexists" : "H5Lget_info");
			rc = -1;
		} else if (li.type != H5L_TYPE_HARD) {
			snprintf(err, HV_ERRLEN, "%s is a soft or external link, not followed", p);
			rc = -1;
		}
	}
	free(p);
	return rc;
}

int hv_stat(hid_t f, const char *name, int attrs, hv_dinfo *i, char *err) {
	QUIET();
	int rc = -1;
	hid_t d = -1;
	if (hard_path(f, name, err) < 0) { memset(i, 0, sizeof *i); goto done; }
	if ((d = H5Dopen2(f, name, H5P_DEFAULT)) < 0) { memset(i, 0, sizeof *i); seterr(err, "H5Dopen2"); goto done; }
	if (stat_dset(d, i, err) < 0) goto done;
	if (attrs && stat_attrs(d, i, err) < 0) goto done;
	rc = 0;
done:
	closeid(d);
	return rc;
}

// The scan's output: a buffer written to a descriptor when full, so a crash
// loses at most one buffer of records. Records (little-endian on every
// platform we build for, read back by scan.go):
//   u8 kind, u32 name length, name, then by kind
//   HV_REC_DSET: hv_rec_dset;  HV_REC_ERR: u32 length, message;
//   HV_REC_LINK: nothing (a soft or external link, not followed);
//   HV_REC_END:  i32 walk status, u32 length, message.
typedef struct {
	int fd;
	int failed; // a write failed: stop walking
	size_t n;
	char buf[1 << 16];
	char *err;
} hv_out;

static void out_flush(hv_out *o) {
	size_t done = 0;
	while (done < o->n && !o->failed) {
		ssize_t w = write(o->fd, o->buf + done, o->n - done);
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) { o->failed = 1; snprintf(o->err, HV_ERRLEN, "scan: write: %s", strerror(errno)); break; }
		done += (size_t)w;
	}
	o->n = 0;
}

static void out_put(hv_out *o, const void *p, size_t n) {
	const char *c = p;
	while (n > 0 && !o->failed) {
		if (o->n == sizeof o->buf) out_flush(o);
		size_t k = sizeof o->buf - o->n;
		if (k > n) k = n;
		memcpy(o->buf + o->n, c, k);
		o->n += k; c += k; n -= k;
	}
}

static void out_head(hv_out *o, uint8_t kind, const char *name) {
	uint32_t n = (uint32_t)strlen(name);
	out_put(o, &kind, 1);
	out_put(o, &n, 4);
	out_put(o, name, n);
}

static void out_str(hv_out *o, const char *s) {
	uint32_t n = (uint32_t)strlen(s);
	out_put(o, &n, 4);
	out_put(o, s, n);
}

static uint64_t scanned; // links visited; only ever grows (hv_scanned)

uint64_t hv_scanned(void) { return __atomic_load_n(&scanned, __ATOMIC_RELAXED); }

static herr_t scan_cb(hid_t g, const char *name, const H5L_info_t *li, void *data) {
	hv_out *o = data;
	__atomic_add_fetch(&scanned, 1, __ATOMIC_RELAXED);
	if (li->type != H5L_TYPE_HARD) {
		out_head(o, HV_REC_LINK, name);
		return o->failed ? -1 : 0;
	}
	char err[HV_ERRLEN] = "";
	hid_t id = H5Oopen(g, name, H5P_DEFAULT);
	if (id < 0) {
		seterr(err, "H5Oopen");
		out_head(o, HV_REC_ERR, name);
		out_str(o, err);
		H5Eclear2(H5E_DEFAULT);
		return o->failed ? -1 : 0;
	}
	if (H5Iget_type(id) == H5I_DATASET) {
		hv_dinfo i;
		if (stat_dset(id, &i, err) < 0) {
			out_head(o, HV_REC_ERR, name);
			out_str(o, err);
			H5Eclear2(H5E_DEFAULT);
		} else {
			hv_rec_dset r = {i.size, i.offset, i.layout, i.nfilters, i.nexternal, i.rank, i.type_ok};
			out_head(o, HV_REC_DSET, name);
			out_put(o, &r, sizeof r);
		}
	}
	H5Oclose(id);
	return o->failed ? -1 : 0;
}

int hv_scan(hid_t f, int fd, char *err) {
	QUIET();
	static hv_out o; // 64 KiB: not on the stack of a cgo call
	memset(&o, 0, sizeof o);
	o.fd = fd;
	o.err = err;
	char werr[HV_ERRLEN] = "";
	int32_t rc = 0;
	if (H5Lvisit(f, H5_INDEX_NAME, H5_ITER_NATIVE, scan_cb, &o) < 0) {
		rc = -1;
		if (!o.failed) seterr(werr, "H5Lvisit");
	}
	if (o.failed) return -1;
	uint8_t kind = HV_REC_END;
	out_put(&o, &kind, 1);
	out_put(&o, &rc, 4);
	out_str(&o, werr);
	out_flush(&o);
	return o.failed ? -1 : 0;
}

int hv_dread(hid_t f, const char *name, void *buf, int64_t n, char *err) {
	QUIET();
	int rc = -1;
	hid_t d = -1, s = -1;
	if ((d = H5Dopen2(f, name, H5P_DEFAULT)) < 0) { seterr(err, "H5Dopen2"); goto done; }
	if ((s = H5Dget_space(d)) < 0) { seterr(err, "H5Dget_space"); goto done; }
	if (H5Sget_simple_extent_npoints(s) != n) { snprintf(err, HV_ERRLEN, "dataset changed size"); goto done; }
	// The file type may be signed or unsigned; bytes are bytes.
	hid_t mt = H5T_NATIVE_SCHAR;
	hid_t ft = H5Dget_type(d);
	if (ft >= 0) {
		if (H5Tget_sign(ft) == H5T_SGN_NONE) mt = H5T_NATIVE_UCHAR;
		H5Tclose(ft);
	}
	if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) { seterr(err, "H5Dread"); goto done; }
	rc = 0;
done:
	closeid(s); closeid(d);
	return rc;
}
