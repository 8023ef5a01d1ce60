// Package shard splits one archiving job into N shards that run apart (a
// Slurm job array, or plain processes) and meet only through the file
// system: every shard lists the source the same way (List), takes the
// files Assign gives it — disjoint, balanced by bytes, the same in every
// shard — and describes what it stored in a Record, which seal reads back
// (ParseRecord, fuzzed) to build the whole set's index.
package shard
