// Package selection decides which archive paths a command works on: literal
// paths (a file, or a directory and everything below it) and --include and
// --exclude globs. It is shared by unpack and check (archived paths) and by
// create (paths relative to the source), so that the same words select the
// same files everywhere.
//
// Paths are relative and '/'-separated, as `hdf5vault ls` prints them. A
// glob is split at '/' into components; each component is a path.Match
// pattern (`*` any run of characters but '/', `?` one character but '/',
// `[a-z]`, `[^a-z]` or `[!a-z]`, `\` quotes the next character), and a
// component that is exactly `**` matches any number of components, none
// included. A glob without a '/' (a trailing one aside) matches any one
// component, at any depth, as rsync's and tar's --exclude do: `*.tmp`,
// `cache`. A glob with a '/' is anchored at the top of the tree (a leading
// '/' changes nothing): `Plate1/B03/*.tif`. A glob matches a path when it
// matches the whole path or one of its leading directories, so a directory
// selects everything below it; a trailing '/' matches directories only.
//
// A path is selected when it is, or lies below, one of the literal paths or
// matches one of the includes (everything is, when neither is given), and
// matches none of the excludes: exclude wins.
//
// ReadList reads a --files-from list (newline- or NUL-separated). Both
// parsers are fuzzed (FuzzGlob, FuzzReadList).
package selection
