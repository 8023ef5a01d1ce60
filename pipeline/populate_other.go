//go:build unix && !linux

package pipeline

// mapPopulate: other Unixes have no MAP_POPULATE; pages fault in as read.
const mapPopulate = 0
