// Package archive holds the HDF5Vault format's names and structs: archive file
// names, dataset names, the __HDF5Vault_info__ index, the binary side index
// (sideindex.go) and the root attributes,
// plus the container interfaces that the HDF5 and zip back ends implement
// and the one read both use (ReadPayloadAt).
// ../shared/docs/FORMAT.md is the contract.
package archive
