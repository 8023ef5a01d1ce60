// Package zipsink is the zip container of HDF5Vault archives (the -z
// option): the same archive sets as h5sink, in ZIP files instead of HDF5.
//
// Layout, as HDF5Vault 0.3 (Python's zipfile.writestr) writes it: every
// dataset is a member of the same name, stored (method 0, no compression),
// CRC-32 and sizes in the local header, no data descriptor, no extra field,
// names flagged UTF-8 when not ASCII; the index is a member named
// __HDF5Vault_info__, written last. Payloads are never larger than the Blosc2
// chunk limit (2 GiB), so members need no Zip64 sizes; offsets past 4 GiB get
// Zip64 records in the central directory (archive/zip writes them).
//
// Root attributes. The original's zips store none: no chunk size, no file
// number, no set size. This package adds them, except the index, as a JSON
// object in the archive comment ({"__Description__": ..., "__HDF5Vault_version__":
// ..., "__HDF5Vault_chunksize__": ..., and for sets of more than one file
// "__HDF5Vault_archive_file_number__" and "__HDF5Vault_number_of_archive_files__"}),
// which zip tools and Python's zipfile ignore. Reading a zip without that
// comment (every 0.3 zip), the Reader derives:
//   - NumFiles: the highest archive_number in the index plus one (1 without an index);
//   - FileNumber: the archive_number the index gives the datasets present in
//     this file, or, when none is present, the _<n> suffix of the file name;
//   - Description, Version and ChunkSize: left empty (zero); nothing records them.
//
// Dataset attributes have nowhere to live in a zip. Writer.Put ignores them
// and Reader.Stat reports what the index says (compression "blosc2" or
// "None"; chunk and number_of_chunks for split files), zero for a member the
// index does not list.
//
// Put returns the offset of the member's first data byte, computed from the
// header sizes and checked against the bytes actually written in Finish.
// Finish writes the index member, the comment and the central directory,
// fsyncs and closes. Abort closes and removes the file.
//
// Reading uses pread at the member's data offset (concurrent reads run in
// parallel) after checking that the member lies inside the file, and always
// verifies the member's CRC-32: members are read whole, the check costs one
// pass over bytes already in memory, and it is the only integrity check a
// zip carries. Members some other tool compressed are read through
// archive/zip, which checks size and CRC itself.
package zipsink
