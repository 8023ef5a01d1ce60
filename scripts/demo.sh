#!/usr/bin/env bash
# make demo: a small synthetic acquisition archived, listed, unpacked,
# compared and verified with the hdf5vault binary, saying what it does.
set -euo pipefail
hv=${1:-bin/hdf5vault}
out=demo

step() {
	printf '\n== %s\n$ %s\n' "$1" "${*:2}"
	"${@:2}"
}

rm -rf "$out"
mkdir -p "$out/unpacked"
step "Generate 16 synthetic 16-bit TIFF fields of 512 KiB and the plate's JSON/XML sidecars" \
	"$hv" bench --generate "$out/acquisition" --fields 16 --field-size 524288
step "Archive them into two HDF5 files (two writers)" \
	"$hv" create "$out/acquisition" "$out/archive" -w 2
ls -l "$out"/archive_*.h5
step "List the archive set" \
	"$hv" ls -l "$out/archive"
step "Unpack it (into $out/unpacked/archive)" \
	"$hv" unpack -d "$out/unpacked" "$out/archive"
step "Compare the unpacked tree with the source, byte for byte" \
	diff -r "$out/acquisition" "$out/unpacked/archive"
step "Check the archive against the source directory (size and MD5 per file)" \
	"$hv" check -d "$out/acquisition" "$out/archive"
step "Verify every payload decodes to its recorded checksum" \
	"$hv" verify "$out/archive"
step "Look inside with HDF5's own h5ls (an independent reader)" \
	h5ls -r "$out/archive_0.h5" >"$out/h5ls.txt"
head -n 8 "$out/h5ls.txt"

src=$(find "$out/acquisition" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
arc=$(cat "$out"/archive_*.h5 | wc -c)
printf '\nDemo done: %s source bytes in %s bytes of archive files (ratio %s); everything is under %s/.\n' \
	"$src" "$arc" "$(awk -v a="$src" -v b="$arc" 'BEGIN { printf "%.2f", a / b }')" "$out"
