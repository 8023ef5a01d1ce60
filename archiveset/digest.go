package archiveset

import (
	"context"
	"crypto/md5"
	"github.com/hdf5vault/hdf5vault/archive"
	"hash"
	"io"
	"os"
)

// digest is what a stream hashed to; md5 or sum is nil when not computed.
type digest struct {
	size     int64
	md5, sum []byte // sum: the archive's checksum (archive.ChecksumAlgo)
}

// hashes computes the MD5 (check's column) and/or the stored checksum of a
// stream, each only when wanted.
type hashes struct {
	md5 hash.Hash
	sum *archive.Checksum
	n   int64
}

func newHashes(withMD5, withSum bool) *hashes {
	h := &hashes{}
	if withMD5 {
		h.md5 = md5.New()
	}
	if withSum {
		h.sum = archive.NewChecksum()
	}
	return h
}

func (h *hashes) Write(b []byte) (int, error) {
	if h.md5 != nil {
		h.md5.Write(b)
	}
	if h.sum != nil {
		h.sum.Write(b)
	}
	h.n += int64(len(b))
	return len(b), nil
}

func (h *hashes) digest() digest {
	d := digest{size: h.n}
	if h.md5 != nil {
		d.md5 = h.md5.Sum(nil)
	}
	if h.sum != nil {
		d.sum = h.sum.Sum()
	}
	return d
}

func digestDisk(p string, withSum bool) (digest, error) {
	f, err := os.Open(p)
	if err != nil {
		return digest{}, err
	}
	defer f.Close()
	h := newHashes(true, withSum)
	if _, err := io.Copy(h, f); err != nil {
		return digest{}, err
	}
	return h.digest(), nil
}

// digest reads an archived file and hashes it: MD5 if asked, the checksum if
// the archive records a checksum to compare with.
func (r *fileReader) digest(ctx context.Context, f *File, withMD5 bool) (digest, error) {
	h := newHashes(withMD5, f.Checksum != nil)
	err := r.each(ctx, f, func(b []byte) error {
		h.Write(b)
		return nil
	})
	if err != nil {
		return digest{}, err
	}
	return h.digest(), nil
}
