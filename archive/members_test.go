package archive

import (
	"slices"
	"strings"
	"testing"
)

func TestMembers(t *testing.T) {
	names := []string{"set_1.h5", "set_0.h5", "set_x.h5", "settle_0.h5", "one.h5", ".set_2.h5.h-1-a" + TempSuffix,
		"amb.h5", "amb_0.h5", "mix.h5", "mix.zip", "nm_0.h5", "nm_1.zip", "notes.txt"}
	for prefix, want := range map[string][]string{
		"set": {"set_0.h5", "set_1.h5"}, "one": {"one.h5"}, "none": nil, "notes": nil,
	} {
		if got, err := Members(prefix, names); err != nil || !slices.Equal(got, want) {
			t.Errorf("Members(%q) = %q, %v; want %q", prefix, got, err, want)
		}
	}
	for _, prefix := range []string{"amb", "mix", "nm"} {
		if _, err := Members(prefix, names); err == nil || !strings.Contains(err.Error(), "ambiguous") {
			t.Errorf("Members(%q): err = %v, want ambiguous", prefix, err)
		}
	}
}
