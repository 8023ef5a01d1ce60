package pipeline

import "golang.org/x/sys/unix"

// mapPopulate maps every cached page in one call instead of one fault per
// 16 pages later.
const mapPopulate = unix.MAP_POPULATE
