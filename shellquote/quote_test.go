package shellquote

import (
	"os/exec"
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	cases := map[string]string{
		"Plate1/B03/f07.tif":      "Plate1/B03/f07.tif",
		"Zelle ü 1.txt":           "'Zelle ü 1.txt'",
		"a\nb":                    `'a'$'\n''b'`,
		"\x1b]0;owned\a":          `$'\033'']0;owned'$'\a'`,
		"don't":                   `'don'\''t'`,
		"bad\xffbyte":             `'bad'$'\377''byte'`,
		"":                        "''",
		"rtl\u202eexe.txt":        `'rtl'$'\342\200\256''exe.txt'`,
		`back\slash`:              `'back\slash'`,
		"Mikroskop 🔬/Zelle 🧫.tif": "'Mikroskop 🔬/Zelle 🧫.tif'",
	}
	for in, want := range cases {
		got := Quote(in)
		if got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
		for _, c := range []byte(got) {
			if c < 0x20 || c == 0x7f {
				t.Errorf("Quote(%q) = %q holds a control byte", in, got)
			}
		}
	}
	// bash reads every quoted name back as the name itself.
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not available")
	}
	for in := range cases {
		out, err := exec.Command(bash, "-c", "printf %s "+Quote(in)).Output()
		if err != nil || string(out) != in {
			t.Errorf("bash reads %s as %q (%v), want %q", Quote(in), out, err, in)
		}
	}
	if strings.Contains(Quote("x\x1by"), "\x1b") {
		t.Error("ESC passed through")
	}
}

// FuzzQuote: whatever the name, the quoted form holds no control
// byte, and a name that needs no quoting comes back unchanged.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"plain.txt", "a\nb", "\x1b]0;t\a", "don't", "bad\xff", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := Quote(s)
		for i := 0; i < len(q); i++ {
			if q[i] < 0x20 || q[i] == 0x7f {
				t.Fatalf("Quote(%q) = %q holds control byte %#x", s, q, q[i])
			}
		}
		if !strings.ContainsAny(q, `'$`) && q != s {
			t.Fatalf("Quote(%q) = %q changed a name it did not quote", s, q)
		}
	})
}
