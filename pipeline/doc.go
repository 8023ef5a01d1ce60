// Package pipeline runs one archiving job: a walker streams the source tree
// into a bounded channel, readers read and hash each file part by part into
// buffers from a byte-budgeted Pool (the backpressure: nothing is read until
// its buffers fit the budget; parts of 1 MiB and more are mapped instead of
// read, and their mappings count against the budget), a pool of compressor
// goroutines encodes the parts, and one goroutine per archive file stores
// them, each payload going to the file with the fewest bytes so far. Every
// goroutine belongs to an errgroup, so the first error, or the context's
// end, stops every stage.
package pipeline
