package h5sink

import (
	"encoding/hex"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
)

// TestH5pyReadsWriter checks what we write with h5py, the original tooling's
// reader: bytes, dtype, layout, filters, offsets and attributes as h5py
// returns them, for both payload write paths.
func TestH5pyReadsWriter(t *testing.T) {
	for _, mode := range []string{"pwrite", "h5dwrite", "format18"} {
		t.Run(mode, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "set_1.h5")
			ss := samples()
			root := sampleRoot(2, 1)
			root.Info = `{"Images/A02/Zelle ü 1.txt": [{"chunk": null, "archive_number": 1, "dataset": "Images/A02/Zelle ü 1.txt", "compression": null}]}`
			offs := writeSamples(t, path, modes[mode], ss, root)
			d := h5pyDump(t, path)
			if len(d.Datasets) != len(ss) {
				t.Errorf("h5py sees %d datasets, want %d", len(d.Datasets), len(ss))
			}
			for _, s := range ss {
				checkPyDataset(t, d, s, offs[s.Name])
			}
			checkPyRoot(t, d, root)
		})
	}
}

func checkPyDataset(t *testing.T, d pyDump, s sample, off int64) {
	t.Helper()
	got, ok := d.Datasets[s.Name]
	if !ok {
		t.Errorf("h5py does not see %q", s.Name)
		return
	}
	if got.Dtype != "|i1" || len(got.Shape) != 1 || got.Shape[0] != int64(len(s.Payload)) {
		t.Errorf("%s: dtype %s shape %v, want |i1 [%d]", s.Name, got.Dtype, got.Shape, len(s.Payload))
	}
	if got.Layout != 1 || got.Filters != 0 || got.Chunks != nil {
		t.Errorf("%s: layout %d filters %d chunks %v, want contiguous, no filters", s.Name, got.Layout, got.Filters, got.Chunks)
	}
	if got.Hex != hex.EncodeToString(s.Payload) {
		t.Errorf("%s: h5py reads different bytes", s.Name)
	}
	if (got.Offset == nil && off != -1) || (got.Offset != nil && *got.Offset != off) {
		t.Errorf("%s: h5py offset %v, Put returned %d", s.Name, got.Offset, off)
	}
	wantAttrs := map[string]string{"compression": `str "` + s.Attrs.Compression + `"`}
	if s.Attrs.NumChunks > 1 {
		wantAttrs["chunk"] = "int64 " + jsonInt(s.Attrs.Chunk)
		wantAttrs["number_of_chunks"] = "int64 " + jsonInt(s.Attrs.NumChunks)
	}
	checkPyAttrs(t, s.Name, got.Attrs, wantAttrs)
}

func checkPyRoot(t *testing.T, d pyDump, root archive.RootAttrs) {
	t.Helper()
	q := func(s string) string { b, _ := json.Marshal(s); return "str " + string(b) }
	want := map[string]string{
		archive.AttrDescription: q(root.Description),
		archive.AttrVersion:     q(root.Version),
		archive.AttrInfo:        q(root.Info),
		archive.AttrChunkSize:   "int64 " + jsonInt(int(root.ChunkSize)),
	}
	if root.NumFiles > 1 {
		want[archive.AttrFileNumber] = "int64 " + jsonInt(root.FileNumber)
		want[archive.AttrNumFiles] = "int64 " + jsonInt(root.NumFiles)
	}
	checkPyAttrs(t, "/", d.Root, want)
	var info string
	if err := json.Unmarshal(d.Root[archive.AttrInfo].Value, &info); err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(info), &v); err != nil {
		t.Errorf("index read by h5py is not JSON: %v", err)
	}
}

// checkPyAttrs compares "type value" renderings, value as canonical JSON.
func checkPyAttrs(t *testing.T, obj string, got map[string]pyAttr, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: h5py sees attributes %v, want %v", obj, keys(got), want)
	}
	for k, w := range want {
		a, ok := got[k]
		if !ok {
			t.Errorf("%s: attribute %s missing", obj, k)
			continue
		}
		var v any
		json.Unmarshal(a.Value, &v)
		canon, _ := json.Marshal(v)
		if g := a.Type + " " + string(canon); g != w {
			t.Errorf("%s: attribute %s = %.200s, want %.200s", obj, k, g, w)
		}
	}
}

func keys(m map[string]pyAttr) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func jsonInt(i int) string { b, _ := json.Marshal(i); return string(b) }

// TestH5dumpSeesFormat checks types, layout and attribute types with the
// HDF5 command-line tools, which know nothing of our code.
func TestH5dumpSeesFormat(t *testing.T) {
	if _, err := exec.LookPath("h5dump"); err != nil {
		t.Skip("h5dump (hdf5-tools) not installed")
	}
	path := filepath.Join(t.TempDir(), "set_0.h5")
	ss := samples()
	writeSamples(t, path, Options{}, ss, sampleRoot(2, 0))
	for _, s := range ss {
		if strings.ContainsAny(s.Name, "[") {
			continue // h5dump -d reads "[" as the start of a selection
		}
		out, err := exec.Command("h5dump", "-A", "-p", "-d", s.Name, path).CombinedOutput()
		if err != nil {
			t.Fatalf("h5dump -d %q: %v\n%s", s.Name, err, out)
		}
		text := string(out)
		for _, want := range []string{
			"DATATYPE  H5T_STD_I8LE",
			"CONTIGUOUS",
			"FILTERS {\n      NONE",
			`ATTRIBUTE "compression" {
      DATATYPE  H5T_STRING {
         STRSIZE H5T_VARIABLE;
         STRPAD H5T_STR_NULLTERM;
         CSET H5T_CSET_UTF8;`,
			`(0): "` + s.Attrs.Compression + `"`,
		} {
			if !strings.Contains(text, want) {
				t.Errorf("h5dump of %q lacks %q:\n%s", s.Name, want, text)
			}
		}
		space := regexp.MustCompile(`DATASPACE  SIMPLE \{ \( (\d+) \) / \( (\d+) \) \}`).FindStringSubmatch(text)
		if space == nil || space[1] != space[2] || space[1] != jsonInt(len(s.Payload)) {
			t.Errorf("h5dump of %q: dataspace %v, want %d/%d", s.Name, space, len(s.Payload), len(s.Payload))
		}
		hasChunk := strings.Contains(text, `ATTRIBUTE "chunk" {
      DATATYPE  H5T_STD_I64LE`) && strings.Contains(text, `ATTRIBUTE "number_of_chunks" {
      DATATYPE  H5T_STD_I64LE`)
		if hasChunk != (s.Attrs.NumChunks > 1) {
			t.Errorf("h5dump of %q: chunk attributes present = %v, want %v", s.Name, hasChunk, s.Attrs.NumChunks > 1)
		}
	}
	out, err := exec.Command("h5dump", "-A", "-g", "/", path).CombinedOutput()
	if err != nil {
		t.Fatalf("h5dump: %v\n%s", err, out)
	}
	root := string(out)
	for _, name := range []string{archive.AttrDescription, archive.AttrVersion, archive.AttrInfo} {
		if !regexp.MustCompile(`ATTRIBUTE "` + name + `" \{\s+DATATYPE  H5T_STRING \{\s+STRSIZE H5T_VARIABLE;\s+STRPAD H5T_STR_NULLTERM;\s+CSET H5T_CSET_UTF8;`).MatchString(root) {
			t.Errorf("root attribute %s is not a variable-length UTF-8 string:\n%s", name, root)
		}
	}
	for _, name := range []string{archive.AttrChunkSize, archive.AttrFileNumber, archive.AttrNumFiles} {
		if !regexp.MustCompile(`ATTRIBUTE "` + name + `" \{\s+DATATYPE  H5T_STD_I64LE\s+DATASPACE  SCALAR`).MatchString(root) {
			t.Errorf("root attribute %s is not a scalar H5T_STD_I64LE", name)
		}
	}
	ls, err := exec.Command("h5ls", "-r", path).CombinedOutput()
	if err != nil {
		t.Fatalf("h5ls: %v\n%s", err, ls)
	}
	for _, want := range []string{`/Images/A02/Zelle\ \303\274\ 1.txt Dataset {22}`, `/Images/A02/field\ 2\ (copy).tif.blosc2 Dataset {4096}`,
		"/odd/name.blosc2.blosc2  Dataset {999}", "/deep/a/b/c/d            Group", "/empty.dat               Dataset {0}"} {
		if !strings.Contains(string(ls), want) {
			t.Errorf("h5ls -r lacks %q:\n%s", want, ls)
		}
	}
}
