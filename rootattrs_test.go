package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDamagedRootAttributes: a member whose root attributes were damaged
// (rewritten here with h5py) while its index is the set's is damage: exit
// 3 naming the member and the attribute, for every read command. Members
// of two different runs given together stay "not the same set", exit 1.
func TestDamagedRootAttributes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(filepath.Join(src, "d"), 0o755)
	for _, n := range []string{"a", "b", "d/c", "d/e"} {
		os.WriteFile(filepath.Join(src, n), []byte(strings.Repeat(n, 3000)), 0o644)
	}
	set3, set2 := filepath.Join(dir, "three"), filepath.Join(dir, "two")
	mustRun(t, "create", "-q", "-w", "3", src, set3)
	mustRun(t, "create", "-q", "-w", "2", src, set2)
	cases := []struct {
		name, base, member, attr, value string
		want                            []string
	}{
		{"chunk size", set3, "three_1.h5", "__HDF5Vault_chunksize__", "12345", []string{"three_1.h5", "__HDF5Vault_chunksize__ is 12345"}},
		{"number of files", set3, "three_2.h5", "__HDF5Vault_number_of_archive_files__", "4", []string{"three_2.h5", "__HDF5Vault_number_of_archive_files__ is 4, the set's is 3"}},
		{"file number", set3, "three_1.h5", "__HDF5Vault_archive_file_number__", "0", []string{"three_1.h5", "__HDF5Vault_archive_file_number__ is 0, its name says 1"}},
		{"version", set3, "three_0.h5", "__HDF5Vault_version__", "'0.3.1+hdf5vault.2'", []string{"three_0.h5", "__HDF5Vault_version__"}},
		{"version of one of two", set2, "two_1.h5", "__HDF5Vault_version__", "'0.2.0'", []string{"two_0.h5", "two_1.h5", "disagree on __HDF5Vault_version__"}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sampleOut(t, i)
			cdir, members := copySet(t, setMembers(t, tc.base))
			base := filepath.Join(cdir, filepath.Base(tc.base))
			h5py(t, `import sys, h5py
f = h5py.File(sys.argv[1], "r+")
old = f.attrs[sys.argv[2]]
v = eval(sys.argv[3])
if isinstance(v, str):
    f.attrs[sys.argv[2]] = v
else:
    f.attrs.modify(sys.argv[2], type(old)(v))
f.close()`, nil, filepath.Join(cdir, tc.member), tc.attr, tc.value)
			want := map[string]int{"verify": 3, "ls": 3, "check": 3, "unpack": 3, "cat": 3}
			readCmds(t, src, []string{base}, "a", want, tc.want...)
			readCmds(t, src, members, "a", map[string]int{"ls": 3}, tc.want...)
		})
	}
	t.Run("members of two runs", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), "three")
		mustRun(t, "create", "-q", "-w", "3", src, other)
		out, code := run(t, "ls", set3+"_0.h5", set3+"_1.h5", other+"_2.h5")
		if code != 1 || !strings.Contains(out, "not a member of the same set") {
			t.Errorf("members of two runs: exit %d, want 1 (not the same set)\n%s", code, out)
		}
	})
}

// setMembers lists the member files of the set at base.
func setMembers(t *testing.T, base string) []string {
	t.Helper()
	m, err := filepath.Glob(base + "_*.h5")
	if err != nil || len(m) == 0 {
		t.Fatalf("no members of %s: %v", base, err)
	}
	return m
}
