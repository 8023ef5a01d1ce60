package zipsink

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"time"
	"unicode/utf8"

	"github.com/hdf5vault/hdf5vault/archive"
)

// Local file header length before the name (APPNOTE 4.3.7).
const localHeaderLen = 30

// Writer writes one zip archive file: every payload a stored member, the
// index a member named __HDF5Vault_info__. One goroutine owns it.
type Writer struct {
	path  string
	f     *os.File
	cw    countWriter
	zw    *zip.Writer
	off   int64 // bytes the zip stream holds so far
	names map[string]bool
	mtime time.Time
	done  bool
}

var _ archive.Writer = (*Writer)(nil)

// countWriter counts what reaches the file, to check our own offset sums.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Create creates a new zip archive at path; it fails if path exists.
func Create(path string) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("zipsink: create %s: %w", path, err)
	}
	w := &Writer{path: path, f: f, names: make(map[string]bool), mtime: time.Now()}
	w.cw.w = f
	w.zw = zip.NewWriter(&w.cw)
	return w, nil
}

// Put stores payload as the member named dataset and returns the offset of
// its first byte in the file (-1 for an empty payload). Dataset attributes have no place in a zip;
// the index carries the same facts (see Reader.Stat).
func (w *Writer) Put(dataset string, payload []byte, _ archive.DatasetAttrs) (int64, error) {
	if w.done {
		return -1, fmt.Errorf("zipsink: %s: put %q after Finish or Abort", w.path, dataset)
	}
	if err := archive.CleanDataset(dataset); err != nil {
		return -1, fmt.Errorf("zipsink: %s: dataset %q: %w", w.path, dataset, err)
	}
	if dataset == archive.AttrInfo {
		return -1, fmt.Errorf("zipsink: %s: dataset name %q is reserved for the index", w.path, dataset)
	}
	if w.names[dataset] {
		return -1, fmt.Errorf("zipsink: %s: dataset %q stored twice", w.path, dataset)
	}
	off, err := w.member(dataset, payload)
	if err != nil {
		return -1, &archive.PutError{File: w.path, Dataset: dataset, Err: err}
	}
	w.names[dataset] = true
	if len(payload) == 0 {
		return -1, nil // nothing stored, as an empty HDF5 dataset has no offset
	}
	return off, nil
}

// member writes one stored member with its CRC and sizes in the local
// header (no data descriptor), as Python's zipfile.writestr does, and
// returns the data offset.
func (w *Writer) member(name string, data []byte) (int64, error) {
	// Parts never exceed the Blosc2 chunk limit (2 GiB); a 4 GiB member
	// would need a Zip64 local header that archive/zip's raw mode does not
	// write. Offsets past 4 GiB are fine: the central directory gets Zip64.
	if int64(len(data)) >= 0xffffffff {
		return -1, fmt.Errorf("member of %d bytes is too large (limit 4 GiB)", len(data))
	}
	fh := &zip.FileHeader{
		Name:               name,
		Method:             zip.Store,
		CRC32:              crc32.ChecksumIEEE(data),
		CompressedSize64:   uint64(len(data)),
		UncompressedSize64: uint64(len(data)),
		CreatorVersion:     3<<8 | 20, // Unix, spec 2.0
		ReaderVersion:      20,
		ExternalAttrs:      0o600 << 16, // -rw-------, like zipfile.writestr
	}
	if !isASCII(name) && utf8.ValidString(name) {
		fh.Flags |= 0x800 // name is UTF-8; CreateRaw does not set it for us
	}
	// Only the MS-DOS fields, as Python's zipfile writes: Modified would add
	// an extended-timestamp extra field to every member.
	//lint:ignore SA1019 deliberate, see above
	fh.ModifiedDate, fh.ModifiedTime = msDosTime(w.mtime)
	mw, err := w.zw.CreateRaw(fh)
	if err != nil {
		return -1, err
	}
	dataOff := w.off + localHeaderLen + int64(len(name))
	if _, err := mw.Write(data); err != nil {
		return -1, err
	}
	w.off = dataOff + int64(len(data))
	return dataOff, nil
}

// Finish writes the index member, the root attributes as the archive
// comment, and the central directory, then fsyncs and closes the file.
func (w *Writer) Finish(root archive.RootAttrs) error {
	if w.done {
		return fmt.Errorf("zipsink: %s: Finish after Finish or Abort", w.path)
	}
	if err := w.finish(root); err != nil {
		return fmt.Errorf("zipsink: %s: %w", w.path, err)
	}
	return nil
}

func (w *Writer) finish(root archive.RootAttrs) error {
	if _, err := w.member(archive.AttrInfo, []byte(root.Info)); err != nil {
		return fmt.Errorf("index member: %w", err)
	}
	c, err := encodeComment(root)
	if err != nil {
		return err
	}
	if err := w.zw.SetComment(c); err != nil {
		return err
	}
	// Our offsets are sums; the bytes written must agree before the
	// central directory follows them.
	if err := w.zw.Flush(); err != nil {
		return err
	}
	if w.cw.n != w.off {
		return fmt.Errorf("internal error: %d bytes written, offsets assume %d", w.cw.n, w.off)
	}
	if err := w.zw.Close(); err != nil {
		return err
	}
	w.done = true
	err = w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Abort closes the file and removes it. Safe after any error.
func (w *Writer) Abort() error {
	w.done = true
	w.f.Close()
	if err := os.Remove(w.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("zipsink: abort %s: %w", w.path, err)
	}
	return nil
}

// comment is the archive comment: the root attributes other than the index,
// which HDF5Vault 0.3 zips lack (readers of those derive what they can).
type comment struct {
	Description string `json:"__Description__"`
	Version     string `json:"__HDF5Vault_version__"`
	ChunkSize   int64  `json:"__HDF5Vault_chunksize__"`
	FileNumber  *int   `json:"__HDF5Vault_archive_file_number__,omitempty"`
	NumFiles    *int   `json:"__HDF5Vault_number_of_archive_files__,omitempty"`
}

func encodeComment(r archive.RootAttrs) (string, error) {
	c := comment{Description: r.Description, Version: r.Version, ChunkSize: r.ChunkSize}
	if r.NumFiles > 1 {
		c.FileNumber, c.NumFiles = &r.FileNumber, &r.NumFiles
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	if len(b) > 0xffff {
		return "", fmt.Errorf("root attributes too long for a zip comment (%d bytes)", len(b))
	}
	return string(b), nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// msDosTime encodes t (local time, 2-second resolution) for a zip header.
func msDosTime(t time.Time) (date, tm uint16) {
	if t.Year() < 1980 {
		t = time.Date(1980, 1, 1, 0, 0, 0, 0, time.Local)
	}
	date = uint16(t.Day() + int(t.Month())<<5 + (t.Year()-1980)<<9)
	tm = uint16(t.Second()/2 + t.Minute()<<5 + t.Hour()<<11)
	return date, tm
}
