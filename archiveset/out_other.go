//go:build !linux

package archiveset

import (
	"os"
	"syscall"
	"time"
)

// output is a restored file being written under its temporary name.
type output struct {
	d      *dirRoot
	tmp    string
	f      *File
	file   *os.File
	closed bool
}

// create creates tmp in d, exclusively, for f (full names it in messages).
func create(d *dirRoot, tmp, full string, f *File) (*output, error) {
	file, err := d.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o666)
	if err != nil {
		return nil, err
	}
	return &output{d: d, tmp: tmp, f: f, file: file}, nil
}

func (o *output) Write(b []byte) (int, error) { return o.file.Write(b) }

// finish sets the recorded mode and mtime and closes the file.
func (o *output) finish() error {
	if o.f.Mode != nil {
		if err := o.file.Chmod(perm(o.f)); err != nil {
			return err
		}
	}
	o.closed = true
	if err := o.file.Close(); err != nil {
		return err
	}
	if o.f.MtimeNs != nil {
		return o.d.Chtimes(o.tmp, time.Time{}, time.Unix(0, *o.f.MtimeNs))
	}
	return nil
}

// abort closes the file if still open and removes it.
func (o *output) abort() {
	if !o.closed {
		o.file.Close()
	}
	o.d.Remove(o.tmp)
}

// publish gives the finished temporary file its real name, never
// replacing an existing file.
func publish(d *dirRoot, tmp, name, full string) error {
	return linkPublish(d.Root, tmp, name, full)
}

// defaultACL: the portable restore sets every recorded mode explicitly.
func defaultACL(*os.File) bool { return true }
