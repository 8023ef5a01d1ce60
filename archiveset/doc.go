// Package archiveset reads an HDF5Vault archive set: it resolves the member
// files from the command line, checks that they form one complete set,
// refuses a hostile index or payload layout before anything is written, and
// then reads files through the index for unpack, check, verify, ls and cat.
//
// Sets with a side index (archive.SideIndex) are opened from its header and
// block table alone and read a block at a time (Walk, Lookup): every entry
// is checked as it is decoded (order, path, part count and sizes, payloads
// inside their member file), and unpack and verify also refuse payloads that
// overlap. Other sets are read through their JSON index, every part checked
// up front (at its recorded offset, or by asking the container for the
// dataset in the original's sets) — or, when opened lazily (ls, cat, unpack
// of chosen paths), only the parts of the files a lookup or a selection
// finds, each before it is handed out — so the decoders never allocate more
// than a part the layout has already vouched for. Either way extraction writes
// only below DEST/<stem>, and payloads are read through archive.Reader.
package archiveset
