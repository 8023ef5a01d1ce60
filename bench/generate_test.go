package bench

import (
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// hashTree maps every file under dir (slash paths) to its SHA-256.
func hashTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		sum := sha256.Sum256(b)
		out[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func smallSpec(seed uint64) Spec {
	return Spec{Plates: 2, Wells: 3, Fields: 2, Channels: 2, Width: 96, Height: 80, RowsPerStrip: 7,
		Seed: seed, SmallFiles: 260, SmallSize: 301}
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	s := smallSpec(42)
	s.Workers = 1
	stA, err := Generate(a, s)
	if err != nil {
		t.Fatal(err)
	}
	s.Workers = 3 // a different split of the work must not change a byte
	stB, err := Generate(b, s)
	if err != nil {
		t.Fatal(err)
	}
	ha, hb := hashTree(t, a), hashTree(t, b)
	if len(ha) == 0 || !mapsEqual(ha, hb) || stA != stB {
		t.Fatalf("same seed, different output: %d vs %d files, stats %+v vs %+v", len(ha), len(hb), stA, stB)
	}

	s.Seed = 43
	if _, err := Generate(c, s); err != nil {
		t.Fatal(err)
	}
	hc := hashTree(t, c)
	for name, h := range ha {
		if strings.HasSuffix(name, ".tif") && hc[name] == h {
			t.Errorf("%s: seeds 42 and 43 gave the same bytes", name)
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestGenerateStatsAndNames(t *testing.T) {
	dir := t.TempDir()
	s := smallSpec(1)
	st, err := Generate(dir, s)
	if err != nil {
		t.Fatal(err)
	}
	var files int
	var size int64
	var tifs, smalls []string
	perDir := map[string]int{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if d.IsDir() {
			return nil
		}
		fi, _ := d.Info()
		files++
		size += fi.Size()
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case strings.HasSuffix(rel, ".tif"):
			tifs = append(tifs, rel)
		case strings.HasPrefix(rel, "small/"):
			smalls = append(smalls, rel)
			perDir[filepath.Dir(rel)]++
			if fi.Size() != int64(s.SmallSize) {
				t.Errorf("%s: %d bytes, want %d", rel, fi.Size(), s.SmallSize)
			}
		}
		return nil
	})
	if st.Files != files || st.Bytes != size {
		t.Errorf("Stats %+v, on disk %d files %d bytes", st, files, size)
	}
	// 2 plates x 3 wells x 2 fields x 2 channels, + 2 sidecars per plate.
	if len(tifs) != 24 || files != 24+4+260 {
		t.Errorf("%d tifs, %d files", len(tifs), files)
	}
	for _, want := range []string{"Plate1/A01/A01_f01_ch1.tif", "Plate2/A03/A03_f02_ch2.tif",
		"Plate1/Plate1_metadata.json", "Plate2/Plate2_index.xml", "small/d0001/s000259.dat"} {
		if _, err := os.Stat(filepath.Join(dir, want)); err != nil {
			t.Errorf("missing %s", want)
		}
	}
	if len(smalls) != 260 || len(perDir) != 2 {
		t.Errorf("%d small files in %d directories, want 260 in 2", len(smalls), len(perDir))
	}
}

func TestWellNames(t *testing.T) {
	// Standard plate naming: rows of letters, two-digit columns.
	cases := []struct {
		i, wells int
		want     string
	}{{0, 96, "A01"}, {14, 96, "B03"}, {95, 96, "H12"}, {383, 384, "P24"}, {1535, 1536, "AF48"}, {96, 384, "E01"}}
	for _, c := range cases {
		if got := wellName(c.i, c.wells); got != c.want {
			t.Errorf("wellName(%d, %d) = %s, want %s", c.i, c.wells, got, c.want)
		}
	}
	s := Spec{Plates: 1, Wells: 20, Fields: 9, Channels: 2}
	var names []string
	for _, im := range s.images() {
		names = append(names, im.rel)
	}
	if !slices.Contains(names, "Plate1/B03/B03_f07_ch1.tif") || len(names) != 20*9*2 {
		t.Errorf("%d names, B03_f07_ch1 present: %v", len(names), slices.Contains(names, "Plate1/B03/B03_f07_ch1.tif"))
	}
}

// tiffTags reads the first IFD of a little-endian TIFF, written here
// independently of the generator: every tag's values as uint32s.
func tiffTags(t *testing.T, b []byte) map[uint16][]uint32 {
	t.Helper()
	if len(b) < 8 || string(b[:4]) != "II*\x00" {
		t.Fatalf("not a little-endian TIFF: % x", b[:min(8, len(b))])
	}
	le := binary.LittleEndian
	ifd := int(le.Uint32(b[4:]))
	n := int(le.Uint16(b[ifd:]))
	tags := map[uint16][]uint32{}
	var last uint16
	for i := range n {
		e := b[ifd+2+12*i:]
		tag, typ, count := le.Uint16(e), le.Uint16(e[2:]), int(le.Uint32(e[4:]))
		if tag <= last {
			t.Errorf("tag %d after %d: IFD entries must be sorted", tag, last)
		}
		last = tag
		size := map[uint16]int{2: 1, 3: 2, 4: 4, 5: 8}[typ]
		if size == 0 {
			t.Fatalf("tag %d: unexpected type %d", tag, typ)
		}
		val := e[8:12]
		if size*count > 4 {
			off := int(le.Uint32(e[8:]))
			if off%2 != 0 {
				t.Errorf("tag %d: value offset %d is not word aligned", tag, off)
			}
			val = b[off : off+size*count]
		}
		var vs []uint32
		for j := range count {
			switch typ {
			case 2:
				vs = append(vs, uint32(val[j]))
			case 3:
				vs = append(vs, uint32(le.Uint16(val[2*j:])))
			case 4:
				vs = append(vs, le.Uint32(val[4*j:]))
			case 5:
				vs = append(vs, le.Uint32(val[8*j:]), le.Uint32(val[8*j+4:]))
			}
		}
		tags[tag] = vs
	}
	if next := le.Uint32(b[ifd+2+12*n:]); next != 0 {
		t.Errorf("next IFD offset %d, want 0 (one image)", next)
	}
	return tags
}

// pixels checks a 16-bit grayscale baseline TIFF and returns its samples.
func pixels(t *testing.T, b []byte, w, h int) []uint16 {
	t.Helper()
	tags := tiffTags(t, b)
	want := map[uint16]uint32{256: uint32(w), 257: uint32(h), 258: 16, 259: 1, 262: 1, 277: 1, 339: 1}
	for tag, v := range want {
		if got := tags[tag]; len(got) != 1 || got[0] != v {
			t.Errorf("tag %d = %v, want %d", tag, got, v)
		}
	}
	offs, counts, rps := tags[273], tags[279], tags[278]
	if len(offs) == 0 || len(offs) != len(counts) || len(rps) != 1 {
		t.Fatalf("strips: offsets %v counts %v rows %v", offs, counts, rps)
	}
	if wantStrips := (h + int(rps[0]) - 1) / int(rps[0]); len(offs) != wantStrips {
		t.Errorf("%d strips of %d rows for %d rows", len(offs), rps[0], h)
	}
	var data []byte
	for i, o := range offs {
		if int(o)+int(counts[i]) > len(b) {
			t.Fatalf("strip %d beyond the file", i)
		}
		data = append(data, b[o:o+counts[i]]...)
	}
	if len(data) != 2*w*h || int(offs[len(offs)-1]+counts[len(counts)-1]) != len(b) {
		t.Fatalf("strips hold %d bytes for %dx%d; last ends at %d of %d", len(data), w, h,
			offs[len(offs)-1]+counts[len(counts)-1], len(b))
	}
	px := make([]uint16, w*h)
	for i := range px {
		px[i] = binary.LittleEndian.Uint16(data[2*i:])
	}
	return px
}

func TestFieldsAreTIFFsThatLookLikeMicroscopy(t *testing.T) {
	dir := t.TempDir()
	s := Spec{Plates: 1, Wells: 1, Fields: 1, Channels: 2, Width: 512, Height: 384, Seed: 7}
	if _, err := Generate(dir, s); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []string{"1", "2"} {
		p := filepath.Join(dir, "Plate1/A01/A01_f01_ch"+ch+".tif")
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		px := pixels(t, b, 512, 384)
		sorted := slices.Clone(px)
		slices.Sort(sorted)
		median, top := sorted[len(sorted)/2], sorted[len(sorted)-1]
		var bright int
		for _, v := range px {
			if v > 1000 {
				bright++
			}
		}
		// A camera offset of 100-200 counts, spots of thousands of counts
		// covering a small part of the field.
		if median < 100 || median > 200 || top < 2000 || bright == 0 || bright > len(px)/20 {
			t.Errorf("ch%s: median %d, max %d, %d of %d pixels above 1000", ch, median, top, bright, len(px))
		}
		if out, err := exec.Command("file", "-b", p).Output(); err == nil {
			// file(1)'s magic is an independent TIFF parser.
			for _, want := range []string{"TIFF image data, little-endian", "height=384", "bps=16", "compression=none", "width=512"} {
				if !strings.Contains(string(out), want) {
					t.Errorf("file(1) says %q, missing %q", out, want)
				}
			}
		}
	}
}

// Real 16-bit fields deflate about 2x; pure noise would not compress and a
// flat image would compress 100x.
func TestFieldCompressibility(t *testing.T) {
	dir := t.TempDir()
	s := FieldSpec(1, 512<<10, 3)
	if _, err := Generate(dir, s); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "Plate1/A01/A01_f01_ch1.tif"))
	if err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	w, _ := flate.NewWriter(&z, 9)
	w.Write(b)
	w.Close()
	ratio := float64(len(b)) / float64(z.Len())
	if ratio < 1.6 || ratio > 2.6 {
		t.Errorf("deflate -9 ratio %.2f, want 1.6-2.6 like real fields", ratio)
	}
}

func TestFieldSpec(t *testing.T) {
	for _, n := range []int{1, 7, 37, 3100} {
		s := FieldSpec(n, 512<<10, 1)
		if s.Width != 512 || s.Height != 512 {
			t.Errorf("FieldSpec(%d): %dx%d, want 512x512", n, s.Width, s.Height)
		}
		imgs := s.images()
		if len(imgs) != n {
			t.Errorf("FieldSpec(%d) makes %d images", n, len(imgs))
		}
		seen := map[string]bool{}
		for _, im := range imgs {
			if seen[im.rel] {
				t.Fatalf("FieldSpec(%d): %s twice", n, im.rel)
			}
			seen[im.rel] = true
		}
	}
	if s := FieldSpec(3100, 512<<10, 1); s.Plates != 2 {
		t.Errorf("3100 fields need 2 384-well plates, got %d", s.Plates)
	}
}

func TestSidecarsDescribeTheImages(t *testing.T) {
	dir := t.TempDir()
	s := Spec{Plates: 1, Wells: 3, Fields: 2, Channels: 3, Width: 16, Height: 16, Images: 13, Seed: 5}
	if _, err := Generate(dir, s); err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Plate    string   `json:"plate"`
		Wells    []string `json:"wells"`
		Images   int      `json:"images"`
		Channels []struct {
			Name string `json:"name"`
		} `json:"channels"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "Plate1/Plate1_metadata.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	if meta.Plate != "Plate1" || meta.Images != 13 || !slices.Equal(meta.Wells, []string{"A01", "A02", "A03"}) ||
		len(meta.Channels) != 3 || meta.Channels[0].Name != "DAPI" {
		t.Errorf("metadata %+v", meta)
	}
	var idx struct {
		Images []struct {
			File string `xml:"file,attr"`
		} `xml:"Images>Image"`
	}
	b, err = os.ReadFile(filepath.Join(dir, "Plate1/Plate1_index.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(b, &idx); err != nil {
		t.Fatal(err)
	}
	tifs, _ := filepath.Glob(filepath.Join(dir, "Plate1/*/*.tif"))
	if len(idx.Images) != 13 || len(tifs) != 13 {
		t.Fatalf("index lists %d images, %d on disk", len(idx.Images), len(tifs))
	}
	for _, im := range idx.Images {
		if _, err := os.Stat(filepath.Join(dir, "Plate1", im.File)); err != nil {
			t.Errorf("index names %s: %v", im.File, err)
		}
	}
}

func TestGenerateRejectsBadSpecs(t *testing.T) {
	for _, s := range []Spec{
		{Plates: 1, Wells: 1, Fields: 1, Channels: 1},                            // no size
		{Plates: -1, Width: 4, Height: 4},                                        // negative
		{Plates: 1, Wells: 1, Fields: 1, Channels: 1, Width: 1 << 17, Height: 1}, // too wide for the TIFF layout
		{SmallFiles: 3, SmallSize: -1},
	} {
		if _, err := Generate(t.TempDir(), s); err == nil {
			t.Errorf("Generate accepted %+v", s)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	s := FieldSpec(8, 2<<20, 1)
	dir := b.TempDir()
	var st Stats
	for b.Loop() {
		var err error
		if st, err = Generate(dir, s); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(st.Bytes)
}
