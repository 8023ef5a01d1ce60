// Package tempfile names the temporary files of a run that writes into a
// directory (create's archive files and summary, unpack's files) and removes
// those of runs that are gone. A name is archive.TempName(final, token) with
// token "<host>-<pid>-<random>", so any later run can tell whose it is: a
// file whose pid is gone on this host is stale; another host's is never
// touched, because its pid means nothing here.
package tempfile
