// Package archiveset reads an HDF5Vault archive set: it resolves the member
// files from the command line, checks that they form one complete set,
// refuses a hostile index or payload layout before anything is written, and
// then reads files through the index for unpack, check, verify, ls and cat.
//
// Every part is checked up front (dataset exists, stored size agrees with the
// Blosc2 header and with the index's recorded sizes, decoded size within the
// set's chunk size), so the decoders never allocate more than a part the
// layout has already vouched for, and extraction writes only below DEST/<stem>.
package archiveset
