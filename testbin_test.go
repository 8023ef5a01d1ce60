package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// buildTestBinary builds the hdf5vault binary the end-to-end tests run, at
// path. These tests start it about 1,200 times (a read command twice: the
// probe child is the same binary), and most of a start is the dynamic
// loader mapping and relocating the ~35 libraries libhdf5's shared object
// pulls in (libcurl, GnuTLS, Kerberos for its S3 driver, which we never
// call). Linked with libhdf5's static archive (libhdf5-dev ships it beside
// the .so: the same 1.10 build), the binary needs none of them, runs the
// same code and a read command costs about half the CPU time. Without the
// archive, or if that link fails, it is the ordinary build (make build's),
// which make demo and the bench run in .ci/run exercise.
func buildTestBinary(path string) error {
	if a := staticHDF5(); a != "" {
		cmd := exec.Command("go", "build", "-o", path, ".")
		cmd.Env = append(os.Environ(), "CGO_LDFLAGS="+strings.TrimSpace(os.Getenv("CGO_LDFLAGS")+" "+a+" -lsz -lz -lm -ldl"))
		out, err := cmd.CombinedOutput()
		if err == nil {
			return nil
		}
		fmt.Fprintf(os.Stderr, "static libhdf5 link failed, building as make build does: %v\n%s", err, out)
	}
	if out, err := exec.Command("go", "build", "-o", path, ".").CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	return nil
}

// staticHDF5 is the path of libhdf5.a in the directory pkg-config names for
// hdf5 (h5sink's #cgo line), or "" when it is not installed.
func staticHDF5() string {
	out, err := exec.Command("pkg-config", "--libs-only-L", "hdf5").Output()
	if err != nil {
		return ""
	}
	for _, f := range strings.Fields(string(out)) {
		if dir, ok := strings.CutPrefix(f, "-L"); ok {
			if a := filepath.Join(dir, "libhdf5.a"); fileExists(a) {
				return a
			}
		}
	}
	return ""
}
