package archiveset

// The restore's system calls on Linux, on the directory's descriptor with
// a single-component name (so they stay inside the directory os.Root
// opened): openat with the final permission bits, write, fchmod only when
// the umask or a default ACL took bits away, futimens, close, and one
// renameat2(RENAME_NOREPLACE) that publishes without ever replacing. That
// is what tar -x costs a file; going through os.File and os.Root by name
// took twice as many calls (poller set-up, symlink checks, utimensat by
// name, link and unlink).

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/hdf5vault/hdf5vault/internal/eintr"
)

// output is a restored file being written under its temporary name.
type output struct {
	d     *dirRoot
	tmp   string
	full  string
	f     *File
	fd    int // -1 once closed
	chmod bool
}

// create creates tmp in d, exclusively, for f (full names it in messages).
func create(d *dirRoot, tmp, full string, f *File) (*output, error) {
	mode := uint32(0o666)
	chmod := false
	if f.Mode != nil {
		mode = uint32(perm(f))
		u := umask()
		chmod = d.acl || u < 0 || mode&uint32(u) != 0
	}
	fd, err := eintr.Retry(func() (int, error) {
		return unix.Openat(d.fd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, mode)
	})
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: tmp, Err: err}
	}
	return &output{d: d, tmp: tmp, full: full, f: f, fd: fd, chmod: chmod}, nil
}

func (o *output) Write(b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := eintr.Retry(func() (int, error) { return unix.Write(o.fd, b[n:]) })
		switch {
		case err != nil:
			return n, &fs.PathError{Op: "write", Path: o.full, Err: err}
		case m == 0:
			return n, &fs.PathError{Op: "write", Path: o.full, Err: unix.EIO}
		}
		n += m
	}
	return n, nil
}

// finish sets the recorded mode and mtime and closes the file.
func (o *output) finish() error {
	if o.chmod {
		if _, err := eintr.Retry(func() (int, error) { return 0, unix.Fchmod(o.fd, uint32(perm(o.f))) }); err != nil {
			return &fs.PathError{Op: "chmod", Path: o.tmp, Err: err}
		}
	}
	if o.f.MtimeNs != nil {
		ts := [2]unix.Timespec{{Nsec: unix.UTIME_OMIT}, unix.NsecToTimespec(*o.f.MtimeNs)}
		if _, err := eintr.Retry(func() (int, error) { return 0, futimens(o.fd, &ts) }); err != nil {
			return &fs.PathError{Op: "futimens", Path: o.tmp, Err: err}
		}
	}
	fd := o.fd
	o.fd = -1
	if err := unix.Close(fd); err != nil {
		return &fs.PathError{Op: "close", Path: o.tmp, Err: err}
	}
	return nil
}

// futimens is utimensat with a NULL path: the times of fd itself.
func futimens(fd int, ts *[2]unix.Timespec) error {
	_, _, e := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(ts)), 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// abort closes the file if still open and removes it.
func (o *output) abort() {
	if o.fd >= 0 {
		unix.Close(o.fd)
		o.fd = -1
	}
	eintr.Retry(func() (int, error) { return 0, unix.Unlinkat(o.d.fd, o.tmp, 0) })
}

// publish gives the finished temporary file its real name in one call
// that fails if the name exists; on a file system without
// RENAME_NOREPLACE, through link(2) (and, without hard links, a check and
// a rename).
func publish(d *dirRoot, tmp, name, full string) error {
	_, err := eintr.Retry(func() (int, error) { return 0, unix.Renameat2(d.fd, tmp, d.fd, name, unix.RENAME_NOREPLACE) })
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EEXIST):
		return appeared(full)
	case errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP):
		return linkPublish(d.Root, tmp, name, full)
	}
	return &os.LinkError{Op: "rename", Old: tmp, New: full, Err: err}
}

// defaultACL reports whether files created in dir may get other bits than
// the umask leaves: the directory has a default ACL, or whether it has one
// cannot be told.
func defaultACL(dir *os.File) bool {
	_, err := unix.Fgetxattr(int(dir.Fd()), "system.posix_acl_default", nil)
	return !errors.Is(err, unix.ENODATA) && !errors.Is(err, unix.EOPNOTSUPP)
}

// umask is the process's file mode creation mask, read once from
// /proc/self/status (setting it to read it would race with other
// threads); -1 when it cannot be read, and then every mode is set
// explicitly.
var umask = sync.OnceValue(func() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := bytes.CutPrefix(sc.Bytes(), []byte("Umask:")); ok {
			m, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 8, 32)
			if err != nil {
				return -1
			}
			return int(m)
		}
	}
	return -1
})
