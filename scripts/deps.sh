#!/usr/bin/env bash
# Installs what building and testing hdf5vault needs on Debian 12, but only
# what is missing: apt-get runs only when a package is absent. Then checks Go.
set -euo pipefail

# gcc/libc6-dev/pkg-config/libhdf5-dev: cgo build against HDF5; hdf5-tools
# (h5dump, h5ls) and /usr/bin/python3 with h5py + numpy: the tests' independent
# readers of the archives; xxhash (xxh128sum): independent check of the stored
# per-file checksum; zstd (with tar): what bench --small measures hdf5vault
# against; strace: the commit test kills create at chosen syscalls; fuse3
# (fusermount3): the mount command and its tests; python3-tifffile: reads a
# field in place through the mount in the tests; groff-base (groff): renders
# the generated man page in its test; zsh: loads the zsh completion script in
# its test (fish is checked when installed); slurm-wlm and munge: the tests
# run create --shard and seal on a one-node Slurm cluster of their own; time
# (GNU time): the peak RSS of a command and its probe child in a test.
pkgs=(gcc libc6-dev pkg-config libhdf5-dev hdf5-tools python3-h5py python3-numpy xxhash zstd tar strace fuse3 python3-tifffile tmux groff-base zsh slurm-wlm munge time)

echo "deps: checking the system packages (${pkgs[*]})"
if command -v dpkg-query >/dev/null 2>&1; then
	missing=()
	for p in "${pkgs[@]}"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
			missing+=("$p")
		fi
	done
	if ((${#missing[@]})); then
		echo "deps: installing ${missing[*]} with apt-get (a few minutes on a fresh machine)"
		if [ "$(id -u)" -eq 0 ]; then
			as_root=()
		elif command -v sudo >/dev/null 2>&1; then
			# No terminal (CI): never wait for a password.
			if [ -t 0 ]; then as_root=(sudo); else as_root=(sudo -n); fi
		else
			echo "deps: not root and no sudo; install as root: apt-get install -y ${missing[*]}" >&2
			exit 1
		fi
		export DEBIAN_FRONTEND=noninteractive
		echo "deps: apt-get update"
		"${as_root[@]}" apt-get update
		"${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
	fi
else
	echo "deps: no dpkg (not Debian): make sure these are installed: ${pkgs[*]}" >&2
fi

if ! command -v go >/dev/null 2>&1; then
	if [ -x /usr/local/go/bin/go ]; then
		PATH=/usr/local/go/bin:$PATH
	else
		echo "deps: Go not found (looked on PATH and in /usr/local/go/bin); install Go from https://go.dev/dl/" >&2
		exit 1
	fi
fi
if ! pkg-config --exists hdf5 2>/dev/null && [ ! -f /usr/include/hdf5/serial/hdf5.h ] && [ ! -f /usr/include/hdf5.h ]; then
	echo "deps: HDF5 headers not found (libhdf5-dev)" >&2
	exit 1
fi
echo "deps: ok ($(go version | cut -d' ' -f3), HDF5 $(pkg-config --modversion hdf5 2>/dev/null || echo '?'))"
