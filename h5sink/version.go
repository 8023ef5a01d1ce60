package h5sink

// #include <hdf5.h>
import "C"

import "fmt"

// LibVersion is the version of the libhdf5 this binary runs with, as
// H5get_libversion reports it ("1.10.8"), for hdf5vault --version.
func LibVersion() string {
	var major, minor, release C.uint
	if C.H5get_libversion(&major, &minor, &release) < 0 {
		return "unknown"
	}
	return fmt.Sprintf("%d.%d.%d", major, minor, release)
}
