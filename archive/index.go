package archive

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
)

// Part is one entry of a file's list in __HDF5Vault_info__. The first four
// fields are the original's; the rest are ours and optional (old readers
// ignore unknown keys, and archives from the original lack them).
type Part struct {
	Chunk         *int    `json:"chunk"` // nil for an unsplit file
	ArchiveNumber int     `json:"archive_number"`
	Dataset       string  `json:"dataset"`
	Compression   *string `json:"compression"` // "blosc2" or nil (raw)

	Size     *int64  `json:"size,omitempty"`        // raw bytes of this part
	Stored   *int64  `json:"stored_size,omitempty"` // payload bytes in the archive
	Offset   *int64  `json:"offset,omitempty"`      // payload byte offset in its archive file; absent if none
	FileSize *int64  `json:"file_size,omitempty"`   // whole file, repeated in every part
	Checksum string  `json:"checksum,omitempty"`    // whole file, "xxh3-128:<hex>" (checksum.go)
	MtimeNs  *int64  `json:"mtime_ns,omitempty"`    // whole file, Unix nanoseconds
	Mode     *uint32 `json:"mode,omitempty"`        // whole file, permission bits
}

// Compressed reports whether the payload is a Blosc2 chunk.
func (p *Part) Compressed() bool { return p.Compression != nil }

// Number is the part number (0 for an unsplit file).
func (p *Part) Number() int {
	if p.Chunk == nil {
		return 0
	}
	return *p.Chunk
}

// File is one archived file and its parts, ordered by part number.
type File struct {
	Path  string
	Parts []Part
}

// Index is the whole __HDF5Vault_info__ of a set, files ordered by path.
type Index struct {
	Files []File
}

// Ptr returns a pointer to v, for the optional Part fields.
func Ptr[T any](v T) *T { return &v }

// Blosc2Method returns a fresh pointer to "blosc2" for Part.Compression.
func Blosc2Method() *string { return Ptr(MethodBlosc2) }

// Marshal encodes the index as the original does: one JSON object mapping each
// path to its list of parts. Output is deterministic (paths sorted).
func (ix *Index) Marshal() ([]byte, error) {
	files := append([]File(nil), ix.Files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range files {
		parts := append([]Part(nil), f.Parts...)
		sort.Slice(parts, func(i, j int) bool { return parts[i].Number() < parts[j].Number() })
		if err := AppendIndexEntry(&b, i == 0, f.Path, parts); err != nil {
			return nil, err
		}
	}
	b.WriteString("\n}")
	return b.Bytes(), nil
}

// AppendIndexEntry appends one file of the JSON index to b, as Marshal
// writes it: create streams the index through this, a file at a time.
// The output is encoding/json's, byte for byte; the common entry (plain
// ASCII names, the original's four keys) is written without reflection,
// which at 10^6 files is most of the index's encoding time.
func AppendIndexEntry(b *bytes.Buffer, first bool, path string, parts []Part) error {
	if !first {
		b.WriteByte(',')
	}
	b.WriteString("\n")
	if err := appendJSONString(b, path); err != nil {
		return err
	}
	b.WriteString(": ")
	if parts == nil || !originalKeysOnly(parts) { // nil is "null"
		return appendMarshal(b, parts)
	}
	b.WriteByte('[')
	for i := range parts {
		if err := appendOriginalPart(b, i > 0, &parts[i]); err != nil {
			return err
		}
	}
	b.WriteByte(']')
	return nil
}

// originalKeysOnly reports whether every part has only the original's
// keys set, the ones appendOriginalPart writes.
func originalKeysOnly(parts []Part) bool {
	for i := range parts {
		p := &parts[i]
		if p.Size != nil || p.Stored != nil || p.Offset != nil || p.FileSize != nil ||
			p.Checksum != "" || p.MtimeNs != nil || p.Mode != nil {
			return false
		}
	}
	return true
}

// appendOriginalPart writes p as json.Marshal writes a Part with only the
// original's keys set.
func appendOriginalPart(b *bytes.Buffer, comma bool, p *Part) error {
	if comma {
		b.WriteByte(',')
	}
	var num [20]byte
	b.WriteString(`{"chunk":`)
	if p.Chunk == nil {
		b.WriteString("null")
	} else {
		b.Write(strconv.AppendInt(num[:0], int64(*p.Chunk), 10))
	}
	b.WriteString(`,"archive_number":`)
	b.Write(strconv.AppendInt(num[:0], int64(p.ArchiveNumber), 10))
	b.WriteString(`,"dataset":`)
	if err := appendJSONString(b, p.Dataset); err != nil {
		return err
	}
	b.WriteString(`,"compression":`)
	if p.Compression == nil {
		b.WriteString("null")
	} else if err := appendJSONString(b, *p.Compression); err != nil {
		return err
	}
	b.WriteByte('}')
	return nil
}

// appendJSONString writes s quoted as json.Marshal quotes it: printable
// ASCII other than the characters it escapes is copied, anything else goes
// through json.Marshal.
func appendJSONString(b *bytes.Buffer, s string) error {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return appendMarshal(b, s)
		}
	}
	b.WriteByte('"')
	b.WriteString(s)
	b.WriteByte('"')
	return nil
}

// appendMarshal appends v as encoding/json writes it.
func appendMarshal(b *bytes.Buffer, v any) error {
	out, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b.Write(out)
	return nil
}

// ParseIndex decodes and validates an index for a set of numFiles archives.
// Everything an extractor relies on is checked here, so a hostile index is
// refused before anything is written: unsafe, overlong or colliding paths,
// missing or duplicate parts, unknown methods, archive numbers out of range,
// datasets named twice, negative sizes, and (before decoding) more bytes than
// its entries could need. Errors match ErrDamaged.
func ParseIndex(data []byte, numFiles int) (*Index, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, Damaged(fmt.Errorf("index: missing or empty (no %s): not an HDF5Vault archive, or a damaged one", AttrInfo))
	}
	if err := checkIndexSize(data); err != nil {
		return nil, Damaged(fmt.Errorf("index: %w", err))
	}
	var raw map[string][]Part
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return nil, Damaged(fmt.Errorf("index: %w", err))
	}
	if raw == nil {
		return nil, Damaged(fmt.Errorf("index: not a JSON object"))
	}
	ix := &Index{Files: make([]File, 0, len(raw))}
	for p, parts := range raw {
		f := File{Path: p, Parts: parts}
		if err := f.validate(numFiles); err != nil {
			return nil, Damaged(fmt.Errorf("index: %w", err))
		}
		ix.Files = append(ix.Files, f)
	}
	sort.Slice(ix.Files, func(i, j int) bool { return ix.Files[i].Path < ix.Files[j].Path })
	if err := ix.checkCollisions(); err != nil {
		return nil, Damaged(fmt.Errorf("index: %w", err))
	}
	return ix, nil
}

func (f *File) validate(numFiles int) error {
	if err := CleanRel(f.Path); err != nil {
		return err
	}
	n := len(f.Parts)
	if n == 0 {
		return fmt.Errorf("%q has no parts", f.Path)
	}
	seen := make([]bool, n)
	for i := range f.Parts {
		p := &f.Parts[i]
		if p.Chunk == nil && n != 1 {
			return fmt.Errorf("%q: part without a number in a split file", f.Path)
		}
		k := p.Number()
		if k < 0 || k >= n || seen[k] {
			return fmt.Errorf("%q: part number %d missing, repeated or out of range (parts: %d)", f.Path, k, n)
		}
		seen[k] = true
		if p.ArchiveNumber < 0 || p.ArchiveNumber >= numFiles {
			return fmt.Errorf("%q: archive number %d outside the set of %d", f.Path, p.ArchiveNumber, numFiles)
		}
		if err := CleanDataset(p.Dataset); err != nil {
			return fmt.Errorf("%q: dataset: %w", f.Path, err)
		}
		if p.Compression != nil && *p.Compression != MethodBlosc2 {
			return fmt.Errorf("%q: unsupported compression %q", f.Path, *p.Compression)
		}
		for _, v := range []*int64{p.Size, p.Stored, p.FileSize} {
			if v != nil && *v < 0 {
				return fmt.Errorf("%q: negative size", f.Path)
			}
		}
	}
	sort.Slice(f.Parts, func(i, j int) bool { return f.Parts[i].Number() < f.Parts[j].Number() })
	return nil
}

// checkCollisions refuses a path that is also a directory of another path
// ("a" and "a/b") and a dataset named twice in one archive file. Files are sorted.
func (ix *Index) checkCollisions() error {
	type key struct {
		n    int
		name string
	}
	dsets := make(map[key]string)
	var order PathOrder
	for _, f := range ix.Files {
		if err := order.Next(f.Path); err != nil {
			return err
		}
		for _, p := range f.Parts {
			k := key{p.ArchiveNumber, p.Dataset}
			if other, dup := dsets[k]; dup {
				return fmt.Errorf("dataset %q of archive %d is claimed by %q and %q", p.Dataset, p.ArchiveNumber, other, f.Path)
			}
			dsets[k] = f.Path
		}
	}
	return nil
}
