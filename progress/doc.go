// Package progress is everything the commands show of a run in progress,
// and create's summary: the engines (pipeline for create, archiveset for
// the read commands) only call back with counts, and this package renders
// them.
//
// On a terminal one line is redrawn in place with a bar, fitted below the
// terminal's width at every redraw (a line that wrapped would leave stale
// fragments behind); an ETA appears only once enough is measured.
// Otherwise (cron, batch jobs) it writes one plain line per interval, each
// beginning with an ISO 8601 time. Archiving shows create's bytes against
// the counting scan's total; a Meter shows a read command's stages (opening
// the set, then its own work). WriteSummary prints create's summary.
//
// It knows nothing of archives: the stages and their totals are the
// callers'.
package progress
