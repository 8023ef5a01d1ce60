package blosc

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// decVectorDir holds chunks made by the C libraries (see ../../shared/README.md).
const decVectorDir = "../../shared/vectors/blosc2"

type decVector struct {
	Chunk         string  `json:"chunk"`
	Input         *string `json:"input"`
	Library       string  `json:"library"`
	Codec         string  `json:"codec"`
	CLevel        int     `json:"clevel"`
	TypeSize      int     `json:"typesize"`
	Shuffle       string  `json:"shuffle"`
	SplitMode     string  `json:"splitmode"`
	UseDict       bool    `json:"use_dict"`
	NBytes        int     `json:"nbytes"`
	CBytes        int     `json:"cbytes"`
	HeaderVersion int     `json:"header_version"`
	InputSHA256   string  `json:"input_sha256"`
	Special       string  `json:"special"`
}

func loadDecVectors(t testing.TB) []decVector {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(decVectorDir, "manifest.json"))
	if os.IsNotExist(err) {
		t.Skipf("reference vectors not found at %s (the shared/ directory is absent)", decVectorDir)
	}
	if err != nil {
		t.Fatal(err)
	}
	var vs []decVector
	if err := json.Unmarshal(raw, &vs); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	return vs
}

func readDecVector(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(decVectorDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVectors decodes every C-made chunk and compares it with its input.
func TestVectors(t *testing.T) {
	vs := loadDecVectors(t)
	if len(vs) != 87 {
		t.Errorf("manifest lists %d chunks, want 87", len(vs))
	}
	d := NewDecoder()
	for _, v := range vs {
		t.Run(strings.TrimSuffix(filepath.Base(v.Chunk), ".b2"), func(t *testing.T) {
			chunk := readDecVector(t, v.Chunk)
			if len(chunk) != v.CBytes {
				t.Fatalf("chunk file is %d bytes, manifest says %d", len(chunk), v.CBytes)
			}
			h, err := ParseHeader(chunk)
			if err != nil {
				t.Fatalf("ParseHeader: %v", err)
			}
			checkHeader(t, h, v)

			prefix := []byte("keep")
			out, err := d.DecodeAll(chunk, append([]byte(nil), prefix...))
			if err != nil {
				t.Fatalf("DecodeAll: %v", err)
			}
			if !bytes.HasPrefix(out, prefix) {
				t.Fatalf("DecodeAll did not append to dst")
			}
			out = out[len(prefix):]
			if len(out) != v.NBytes {
				t.Fatalf("decoded %d bytes, want %d", len(out), v.NBytes)
			}
			if v.Input == nil { // uninitialized: only the length counts
				return
			}
			want := readDecVector(t, *v.Input)
			if !bytes.Equal(out, want) {
				t.Fatalf("decoded bytes differ from %s (first difference at %d)", *v.Input, firstDiff(out, want))
			}
			sum := sha256.Sum256(out)
			if hex.EncodeToString(sum[:]) != v.InputSHA256 {
				t.Fatalf("sha256 of output does not match manifest")
			}
		})
	}
}

// checkHeader compares the parsed header with the manifest's settings.
func checkHeader(t *testing.T, h Header, v decVector) {
	t.Helper()
	if h.Version != v.HeaderVersion {
		t.Errorf("Version %d, manifest %d", h.Version, v.HeaderVersion)
	}
	if h.NBytes != v.NBytes || h.CBytes != v.CBytes {
		t.Errorf("NBytes/CBytes %d/%d, manifest %d/%d", h.NBytes, h.CBytes, v.NBytes, v.CBytes)
	}
	if h.TypeSize != v.TypeSize {
		t.Errorf("TypeSize %d, manifest %d", h.TypeSize, v.TypeSize)
	}
	if v.Special != "" {
		want := map[string]Special{"zeros": SpecialZero, "nans_f32": SpecialNaN, "nans_f64": SpecialNaN,
			"repeat_u16": SpecialValue, "repeat_u64": SpecialValue, "uninit": SpecialUninit}[v.Special]
		if h.Special != want {
			t.Errorf("Special %v, manifest %q", h.Special, v.Special)
		}
		return
	}
	if h.Memcpyed || h.NBytes == 0 {
		return // codec and filters are not recorded for stored chunks
	}
	if h.Special != SpecialNone {
		return // C turned an all-zero input into a special chunk
	}
	if h.Codec.String() != v.Codec {
		t.Errorf("Codec %v, manifest %q", h.Codec, v.Codec)
	}
	wantShuffle := map[string]Shuffle{"noshuffle": NoShuffle, "shuffle": ByteShuffle, "bitshuffle": BitShuffle}[v.Shuffle]
	if v.TypeSize == 1 && wantShuffle == ByteShuffle && !h.Extended {
		wantShuffle = NoShuffle // C-Blosc 1.x ignores byte shuffle at typesize 1
	}
	if h.Shuffle != wantShuffle {
		t.Errorf("Shuffle %v, manifest %q", h.Shuffle, v.Shuffle)
	}
	switch v.SplitMode {
	case "always":
		if !h.Split {
			t.Errorf("Split false, manifest always")
		}
	case "never":
		if h.Split {
			t.Errorf("Split true, manifest never")
		}
	}
	if h.UseDict != v.UseDict {
		t.Errorf("UseDict %v, manifest %v", h.UseDict, v.UseDict)
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
