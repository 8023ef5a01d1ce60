#!/usr/bin/python3
"""Writes an archive set the way HDF5Vault 0.3 (the original tool) does, with
h5py: one dataset per file (int8, contiguous, no filters, attribute
"compression"), groups for directories, the JSON index with the original's
four keys only (no sizes, offsets or checksums) as a root attribute of every
member, and no side index. Payloads are stored raw, as the original's
`-m none` stores them (this script has no Blosc2 encoder).

    /usr/bin/python3 scripts/original_set.py SRC DEST_BASE [WRITERS]

writes DEST_BASE_<n>.h5 (DEST_BASE.h5 for one writer), files dealt to the
members in turn, for measuring how hdf5vault opens sets it did not write.
"""
import json
import os
import sys

import h5py
import numpy as np


def main():
    src, base = sys.argv[1], sys.argv[2]
    writers = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    paths = sorted(os.path.relpath(os.path.join(d, f), src) for d, _, fs in os.walk(src) for f in fs)
    index = {p: [{"chunk": None, "archive_number": i % writers, "dataset": p, "compression": None}]
             for i, p in enumerate(paths)}
    info = json.dumps(index)
    digits = len(str(writers))
    for k in range(writers):
        name = base + ".h5" if writers == 1 else "%s_%0*d.h5" % (base, digits, k)
        # 1.8 object formats: the index attribute is larger than 64 KiB.
        with h5py.File(name, "w", libver=("v108", "latest")) as f:
            for p in paths[k::writers]:
                with open(os.path.join(src, p), "rb") as fh:
                    data = np.frombuffer(fh.read(), dtype=np.int8)
                d = f.create_dataset(p, data=data)
                d.attrs["compression"] = "None"
            f.attrs["__Description__"] = "HDF5Vault archive (written the original's way by scripts/original_set.py)"
            f.attrs["__HDF5Vault_version__"] = "0.3.0"
            f.attrs["__HDF5Vault_chunksize__"] = np.int64(1000000000)
            if writers > 1:
                f.attrs["__HDF5Vault_archive_file_number__"] = np.int64(k)
                f.attrs["__HDF5Vault_number_of_archive_files__"] = np.int64(writers)
            f.attrs["__HDF5Vault_info__"] = info


if __name__ == "__main__":
    main()
