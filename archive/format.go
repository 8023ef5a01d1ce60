package archive

import (
	"fmt"
	"math"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Names and constants of the on-disk format.
const (
	Version = "0.3.0+hdf5vault.2" // written to __HDF5Vault_version__; .2 and later carry a side index

	AttrDescription = "__Description__"
	AttrVersion     = "__HDF5Vault_version__"
	AttrChunkSize   = "__HDF5Vault_chunksize__"
	AttrFileNumber  = "__HDF5Vault_archive_file_number__"
	AttrNumFiles    = "__HDF5Vault_number_of_archive_files__"
	AttrInfo        = "__HDF5Vault_info__" // also the zip member holding the index

	DsetAttrCompression = "compression"      // "blosc2" or "None"
	DsetAttrChunk       = "chunk"            // part number, split files only
	DsetAttrNumChunks   = "number_of_chunks" // part count, split files only

	MethodBlosc2 = "blosc2"
	MethodNone   = "None" // the dataset attribute's spelling; the index uses null

	PartSep = "____part"

	DefaultChunkSize = 1_000_000_000
	MaxChunkSize     = 2_147_483_600 // the Blosc2 chunk limit

	Description = "HDF5Vault archive: every file (or part of a file) is a 1-D int8 dataset " +
		"named by its relative path; payloads ending in .blosc2 are one Blosc2 chunk each " +
		"(blosc2.decompress). The JSON index in __HDF5Vault_info__ lists every file's parts."
)

// versionPrefix starts the version of every set hdf5vault wrote.
const versionPrefix = "0.3.0+hdf5vault."

// HasSideIndex reports whether a set of this writer version carries a side
// index: hdf5vault's from format revision 2 on (not the original's, not
// revision 1).
func HasSideIndex(version string) bool {
	rev, ok := strings.CutPrefix(version, versionPrefix)
	if !ok {
		return false
	}
	n, err := strconv.Atoi(rev)
	return err == nil && n >= 2
}

// Ext is the file extension of a container kind.
func Ext(zip bool) string {
	if zip {
		return ".zip"
	}
	return ".h5"
}

// FileName is the name of archive file n of a set of w files:
// BASE.h5 for w == 1, BASE_<n>.h5 zero-padded to the digits of w otherwise.
func FileName(base string, n, w int, zip bool) string {
	if w == 1 {
		return base + Ext(zip)
	}
	return fmt.Sprintf("%s_%0*d%s", base, len(strconv.Itoa(w)), n, Ext(zip))
}

// DatasetName is the dataset of part k of nparts of file rel (nparts == 1: unsplit).
func DatasetName(rel string, k, nparts int, compressed bool) string {
	name := rel
	if nparts > 1 {
		name = fmt.Sprintf("%s%s%0*d", rel, PartSep, len(strconv.Itoa(nparts)), k)
	}
	if compressed {
		name += "." + MethodBlosc2
	}
	return name
}

// NumParts is how many parts a file of size bytes is split into (at least one).
func NumParts(size, chunkSize int64) int {
	if size <= chunkSize {
		return 1
	}
	return int((size + chunkSize - 1) / chunkSize)
}

// Stem is the unpack directory name of an archive file: its name without the
// extension and, for a member of a set, without the _<n> suffix.
func Stem(file string, setMember bool) string {
	if setMember {
		base, _, _ := SplitMember(file)
		return base
	}
	return trimExt(filepath.Base(file))
}

// SplitMember is the one reading of a member's name: BASE_<n>.h5 (or .zip)
// is (BASE, n, true); any other name is (the name without its extension,
// 0, false), the only member of a set of one. n is -1 when its digits
// overflow an int.
func SplitMember(file string) (base string, n int, numbered bool) {
	b := trimExt(filepath.Base(file))
	i := strings.LastIndexByte(b, '_')
	if i <= 0 || !isDigits(b[i+1:]) {
		return b, 0, false
	}
	n, err := strconv.Atoi(b[i+1:])
	if err != nil {
		n = -1
	}
	return b[:i], n, true
}

func trimExt(name string) string {
	return strings.TrimSuffix(strings.TrimSuffix(name, ".h5"), ".zip")
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Modification times are recorded as int64 Unix nanoseconds (mtime_ns),
// which hold the years 1677 to 2262.
var (
	minMtime = time.Unix(0, math.MinInt64)
	maxMtime = time.Unix(0, math.MaxInt64)
)

// MtimeNs is t in Unix nanoseconds, clamped to what int64 holds (clamped is
// then true) instead of wrapping around as time.UnixNano does.
func MtimeNs(t time.Time) (ns int64, clamped bool) {
	switch {
	case t.Before(minMtime):
		return math.MinInt64, true
	case t.After(maxMtime):
		return math.MaxInt64, true
	}
	return t.UnixNano(), false
}

// TempSuffix marks a file being written; a name carrying it is never a
// finished archive and may be removed once no process owns it.
const TempSuffix = ".hdf5vault-tmp"

// TempName is the temporary name of final while it is being written by the
// process with the given token (pid or random), in the same directory so the
// final rename is atomic.
func TempName(final, token string) string {
	return filepath.Join(filepath.Dir(final), "."+filepath.Base(final)+"."+token+TempSuffix)
}

// IsTempName reports whether a base name is one of TempName's.
func IsTempName(base string) bool {
	return strings.HasPrefix(base, ".") && strings.HasSuffix(base, TempSuffix)
}

// UnpackTempName is the temporary name of final while unpack writes it: a
// TempName in the same directory, standing in "hv<seq>" for the file's own
// name, so that its length does not depend on it and every name the file
// system allows (255 bytes) can be restored.
func UnpackTempName(final, token string, seq int64) string {
	return TempName(filepath.Join(filepath.Dir(final), "hv"+strconv.FormatInt(seq, 10)), token)
}

// Bounds of a name, as Linux file systems have them (NAME_MAX, PATH_MAX):
// a longer name could not be restored, and an index is refused for it before
// anything is written.
const (
	MaxSegment = 255
	MaxPath    = 4096
)

// CleanRel checks that rel is a safe relative path for extraction: not empty,
// not absolute, no NUL, no "." or ".." segment, no empty segment, within
// MaxSegment and MaxPath bytes. Separators are "/" only: a backslash is an
// ordinary byte of a POSIX name, and the original archives it as such.
func CleanRel(rel string) error {
	return cleanPath(rel, MaxSegment, MaxPath)
}

// datasetSuffix is the most a dataset name adds to its file's path: the
// part suffix (PartSep and up to ten digits) and ".blosc2".
const datasetSuffix = len(PartSep) + 10 + len(".blosc2")

// CleanDataset is CleanRel for a dataset name, which is its file's path
// plus a suffix (DatasetName): a file of 255 bytes stored compressed has
// a dataset name of 262.
func CleanDataset(name string) error {
	return cleanPath(name, MaxSegment+datasetSuffix, MaxPath+datasetSuffix)
}

func cleanPath(rel string, maxSegment, maxPath int) error {
	switch {
	case rel == "":
		return fmt.Errorf("empty path")
	case len(rel) > maxPath:
		return fmt.Errorf("path %.80q... is %d bytes long, longer than any file system allows (%d)", rel, len(rel), maxPath)
	case strings.ContainsRune(rel, 0):
		return fmt.Errorf("path %q contains NUL", rel)
	case strings.HasPrefix(rel, "/"):
		return fmt.Errorf("path %q is absolute", rel)
	}
	for _, seg := range strings.Split(rel, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("path %q has an unsafe segment %q", rel, seg)
		}
		if len(seg) > maxSegment {
			return fmt.Errorf("path %.80q... has a name of %d bytes, longer than any file system allows (%d)", rel, len(seg), maxSegment)
		}
	}
	if path.Clean(rel) != rel {
		return fmt.Errorf("path %q is not clean", rel)
	}
	return nil
}
