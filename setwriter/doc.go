// Package setwriter owns an archive set while it is written: it names the
// files, takes the set's lock, refuses what must not be replaced, opens the
// writers on temporary names, and commits the finished set in one step for
// readers or aborts it, leaving nothing under a final name.
//
// The lifecycle is Write(opts, open, fn): open → fn writes and finishes →
// commit, or abort on any error. The lock (.BASE.hdf5vault-lock, host and
// pid, created atomically) keeps a second run of the same base out, on this
// host or another. The commit writes a journal (.BASE.hdf5vault-commit,
// fsynced) listing the old and new members before the first rename, moves
// the old members aside, renames the new ones without ever replacing a file
// (renameat2 RENAME_NOREPLACE, or link + unlink), and removes the journal
// last. While a journal exists, readers of the base (Settle) and the next
// create finish the commit, or undo it when it cannot be finished, so a
// SIGKILL at any instant leaves the old set, the new set, or nothing.
//
// A set may also be written by shards (OpenShard: create --shard K/N), each
// its own members under temporary names, with a record
// (.BASE.shard-K.hdf5vault-shard) that keeps them from the stale-file sweep
// until seal (OpenSeal) checks every shard, adopts their files and commits
// them with the same journal, each member under its shard's token.
package setwriter
