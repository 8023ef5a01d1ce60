package shard

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hdf5vault/hdf5vault/archive"
)

// Settings are what must be equal in every shard of a set.
type Settings struct {
	ChunkSize      int64  `json:"chunk_size"`
	Compress       bool   `json:"compress"`
	Codec          string `json:"codec"`
	Level          int    `json:"clevel"`
	UseDict        bool   `json:"use_dict"`
	FollowSymlinks bool   `json:"follow_symlinks"`
	SkipUnreadable bool   `json:"skip_unreadable"`
}

// Record is what one finished shard stored: the listing it was assigned
// from, its settings, and its files with their parts.
type Record struct {
	Source   string   `json:"source"`
	Listing  string   `json:"listing"` // Listing.Digest
	Files    int64    `json:"listing_files"`
	Bytes    int64    `json:"listing_bytes"`
	Settings Settings `json:"settings"`
	Entries  []File   `json:"files"`
}

// File is one stored file. Parts are [archive, offset, stored, raw,
// compressed (0/1)], the side index's fields.
type File struct {
	Path     string     `json:"path"`
	Size     int64      `json:"size"`
	MtimeNs  int64      `json:"mtime_ns"`
	Mode     uint32     `json:"mode"`
	Checksum string     `json:"xxh3_128"`
	Parts    [][5]int64 `json:"parts"`
}

// FromEntry is e as a record holds it.
func FromEntry(e *archive.Entry) File {
	f := File{Path: e.Path, Size: e.Size, MtimeNs: e.MtimeNs, Mode: e.Mode, Checksum: hex.EncodeToString(e.Checksum[:])}
	for _, p := range e.Parts {
		c := int64(0)
		if p.Compressed {
			c = 1
		}
		f.Parts = append(f.Parts, [5]int64{int64(p.Archive), p.Offset, p.Stored, p.Raw, c})
	}
	return f
}

// Entry is f as the index needs it.
func (f *File) Entry() archive.Entry {
	e := archive.Entry{Path: f.Path, Size: f.Size, MtimeNs: f.MtimeNs, Mode: f.Mode}
	hex.Decode(e.Checksum[:], []byte(f.Checksum))
	for _, p := range f.Parts {
		e.Parts = append(e.Parts, archive.SidePart{Archive: int(p[0]), Offset: p[1], Stored: p[2], Raw: p[3], Compressed: p[4] == 1})
	}
	return e
}

// ParseRecord reads a record and checks every entry against the shard's
// members (archive numbers it may use): safe paths in strictly ascending
// order, the parts the size needs at the record's split size, adding up to
// the size, and sane offsets and sizes. Nothing it claims is believed
// before it is checked.
func ParseRecord(b []byte, members []int) (*Record, error) {
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	if r.Settings.ChunkSize < 1 || r.Settings.ChunkSize > archive.MaxChunkSize {
		return nil, fmt.Errorf("split size %d out of range", r.Settings.ChunkSize)
	}
	mine := map[int64]bool{}
	for _, m := range members {
		mine[int64(m)] = true
	}
	for i := range r.Entries {
		f := &r.Entries[i]
		if err := checkFile(f, r.Settings.ChunkSize, mine); err != nil {
			return nil, fmt.Errorf("file %q: %w", f.Path, err)
		}
		if i > 0 && r.Entries[i-1].Path >= f.Path {
			return nil, fmt.Errorf("file %q: out of order or repeated", f.Path)
		}
	}
	return &r, nil
}

func checkFile(f *File, chunk int64, members map[int64]bool) error {
	if err := archive.CleanRel(f.Path); err != nil {
		return err
	}
	if f.Size < 0 {
		return errors.New("negative size")
	}
	if b, err := hex.DecodeString(f.Checksum); err != nil || len(b) != 16 {
		return errors.New("checksum is not 32 hex digits")
	}
	if len(f.Parts) != archive.NumParts(f.Size, chunk) {
		return fmt.Errorf("%d parts where its size needs %d", len(f.Parts), archive.NumParts(f.Size, chunk))
	}
	var raw int64
	for _, p := range f.Parts {
		switch {
		case !members[p[0]]:
			return fmt.Errorf("archive file %d is not this shard's", p[0])
		case p[1] < -1 || p[2] < 0 || p[3] < 0 || p[3] > chunk || p[4] < 0 || p[4] > 1:
			return fmt.Errorf("part %v out of range", p)
		}
		raw += p[3]
	}
	if raw != f.Size {
		return fmt.Errorf("parts hold %d bytes of %d", raw, f.Size)
	}
	return nil
}
