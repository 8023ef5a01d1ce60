//go:build !unix

package pipeline

import (
	"errors"
	"os"
)

const canMap = false

func mapPart(*os.File, int64, int) (data, whole []byte, err error) {
	return nil, nil, errors.New("no mmap on this platform")
}

func unmap([]byte) {}

func mapAnon(n int) []byte { return make([]byte, n) }

func unmapAnon([]byte) {}
