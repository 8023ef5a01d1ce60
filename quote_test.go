package main

import (
	"os/exec"
	"strings"
	"testing"
)

func TestShellQuote(t *testing.T) {
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
		got := shellQuote(in)
		if got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
		for _, c := range []byte(got) {
			if c < 0x20 || c == 0x7f {
				t.Errorf("shellQuote(%q) = %q holds a control byte", in, got)
			}
		}
	}
	// bash reads every quoted name back as the name itself.
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not available")
	}
	for in := range cases {
		out, err := exec.Command(bash, "-c", "printf %s "+shellQuote(in)).Output()
		if err != nil || string(out) != in {
			t.Errorf("bash reads %s as %q (%v), want %q", shellQuote(in), out, err, in)
		}
	}
	if strings.Contains(shellQuote("x\x1by"), "\x1b") {
		t.Error("ESC passed through")
	}
}
