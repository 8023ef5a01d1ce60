// Package walker lists the regular files under a source directory in a
// stable order (sorted per directory) and streams them to a callback, so the
// archiver can start work before the walk ends and never holds the whole tree
// as buffers. Symlinks are counted and not followed unless asked (then with
// loop protection); fifos, sockets and devices are skipped and reported; names
// that cannot be stored (not UTF-8, a backslash) and unreadable directories
// fail the walk or are listed, as the caller chooses. The walker never
// modifies the tree. Root holds the source directory open: without
// following symlinks, the walk lists, and the archiver's readers open,
// everything from it with no symlink on the way, so a directory replaced
// by a symlink mid-run cannot lead them outside the tree.
package walker
