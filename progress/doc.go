// Package progress shows how far a long read command (unpack, verify,
// check) has come, stage by stage: files and bytes done of the stage's
// totals, rate and ETA. On a terminal it redraws one line with a bar; else
// (cron, batch jobs) it writes one plain line every interval, as create
// does. It knows nothing of archives: archiveset announces the stages.
package progress
