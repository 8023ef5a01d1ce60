package archiveset

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"hash"
	"io"
	"os"
)

// digest is what a stream hashed to; md5 or sha256 is nil when not computed.
type digest struct {
	size        int64
	md5, sha256 []byte
}

// hashes computes the MD5 (check's column) and/or the SHA-256 (the stored
// checksum) of a stream, each only when wanted.
type hashes struct {
	md5, sha256 hash.Hash
	n           int64
}

func newHashes(withMD5, withSHA bool) *hashes {
	h := &hashes{}
	if withMD5 {
		h.md5 = md5.New()
	}
	if withSHA {
		h.sha256 = sha256.New()
	}
	return h
}

func (h *hashes) Write(b []byte) (int, error) {
	if h.md5 != nil {
		h.md5.Write(b)
	}
	if h.sha256 != nil {
		h.sha256.Write(b)
	}
	h.n += int64(len(b))
	return len(b), nil
}

func (h *hashes) digest() digest {
	d := digest{size: h.n}
	if h.md5 != nil {
		d.md5 = h.md5.Sum(nil)
	}
	if h.sha256 != nil {
		d.sha256 = h.sha256.Sum(nil)
	}
	return d
}

func digestDisk(p string, withSHA bool) (digest, error) {
	f, err := os.Open(p)
	if err != nil {
		return digest{}, err
	}
	defer f.Close()
	h := newHashes(true, withSHA)
	if _, err := io.Copy(h, f); err != nil {
		return digest{}, err
	}
	return h.digest(), nil
}

// digest reads an archived file and hashes it: MD5 if asked, SHA-256 if
// the archive records a checksum to compare with.
func (r *fileReader) digest(ctx context.Context, f *File, withMD5 bool) (digest, error) {
	h := newHashes(withMD5, f.SHA256 != nil)
	err := r.each(ctx, f, func(b []byte) error {
		h.Write(b)
		return nil
	})
	if err != nil {
		return digest{}, err
	}
	return h.digest(), nil
}
