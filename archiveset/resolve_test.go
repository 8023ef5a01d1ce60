package archiveset

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
)

func touch(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	touch(t, dir, "set_0.h5", "set_1.h5", "set_x.h5", "settle_0.h5", "one.h5", "z_0.zip", "z_1.zip",
		filepath.Base(archive.TempName("set_2.h5", "99")), "amb.h5", "amb_0.h5", "mix.h5", "mix.zip")
	j := func(n ...string) []string {
		for i := range n {
			n[i] = filepath.Join(dir, n[i])
		}
		return n
	}
	ok := []struct {
		args []string
		want []string
	}{
		{j("set"), j("set_0.h5", "set_1.h5")},
		{j("one"), j("one.h5")},
		{j("z"), j("z_0.zip", "z_1.zip")},
		{j("set_1.h5", "set_0.h5"), j("set_1.h5", "set_0.h5")},
	}
	for _, tc := range ok {
		got, err := Resolve(tc.args)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("Resolve(%v) = %v, %v; want %v", tc.args, got, err, tc.want)
		}
	}
	bad := []struct {
		args []string
		want string
	}{
		{j("nothing"), "no archive"},
		{j("amb"), "ambiguous"},
		{j("mix"), "ambiguous"},
		{j("set_0.h5", "z_1.zip"), "not both"},
		{j("gone.h5"), "no such archive"},
		{[]string{archive.TempName(filepath.Join(dir, "set_2.h5"), "99")}, "temporary"},
	}
	for _, tc := range bad {
		_, err := Resolve(tc.args)
		wantErr(t, err, tc.want)
	}
}
