// Package shellquote quotes file names for display as GNU ls does with
// --quoting-style=shell-escape: a name taken from an archive, which may hold
// newlines or terminal escape sequences, is shown so that it can neither
// control the terminal nor pass for more than one line, and pasting the
// quoted form into bash gives the name back.
package shellquote
