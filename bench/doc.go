// Package bench makes synthetic microscope acquisitions and measures the
// hdf5vault commands on them.
//
// Generate writes plates of 16-bit grayscale TIFF fields (noisy background,
// Gaussian spots and cells) named like a high-content screen
// (Plate1/B03/B03_f07_ch1.tif) with per-plate JSON and XML sidecars, or many
// small files. Output depends only on the Spec: the same seed gives the same
// bytes, whatever the number of cores.
//
// The runner executes the hdf5vault binary as child processes over a matrix of
// settings and reports wall time, throughput, compression ratio and the
// child's peak RSS, next to an in-memory compression bound (no I/O). On many
// small files, Scale runs every command (create, ls, ls -l, cat, verify,
// unpack) beside the same jobs with tar and zstd.
package bench
