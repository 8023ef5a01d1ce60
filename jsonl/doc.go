// Package jsonl is what every command says to a program: the summary
// schema shared by create, verify, check, ls and unpack (Summary, one
// struct for all of them), and the JSON lines a command writes on stdout
// under --json (Lines): one object per line, each with a "message_type" —
// "status" while it works (Status, at most one a second), "file" lines of
// ls, "damaged", "differs" and "failed" lines naming a file as it is met,
// "error" when the run fails — and always one "summary" object last. It
// knows nothing of archives or the pipeline: the commands fill it in.
package jsonl
