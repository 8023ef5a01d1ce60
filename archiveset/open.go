package archiveset

import (
	"context"
	"strings"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/h5sink"
	"github.com/hdf5vault/hdf5vault/zipsink"
)

// OpenFile opens one archive file with the back end its extension names.
func OpenFile(path string) (archive.Reader, error) {
	if strings.HasSuffix(path, ".zip") {
		return openZip(path)
	}
	r, err := h5sink.Open(path)
	if err != nil {
		return nil, err // not a typed nil inside the interface
	}
	return r, nil
}

func openZip(path string) (archive.Reader, error) {
	r, err := zipsink.Open(path)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// OpenArgs resolves command-line arguments (member files or a base name)
// and opens the set they name.
func OpenArgs(ctx context.Context, args []string) (*Set, error) {
	return OpenArgsWith(ctx, args, OpenOptions{})
}

// OpenArgsWith is OpenArgs with options.
func OpenArgsWith(ctx context.Context, args []string, o OpenOptions) (*Set, error) {
	paths, err := Resolve(args)
	if err != nil {
		return nil, err
	}
	return OpenWith(ctx, paths, OpenFile, o)
}
