package bench

import (
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"
)

// Spec describes a synthetic acquisition. Images are Plates x Wells x Fields
// x Channels TIFF fields of Width x Height 16-bit pixels (Images, if > 0,
// stops after that many); SmallFiles files of SmallSize bytes go under small/.
type Spec struct {
	Plates, Wells, Fields, Channels int
	Width, Height                   int
	Images                          int // at most this many fields in all; 0: no limit
	RowsPerStrip                    int // TIFF strip height; 0: about 64 KiB strips
	Seed                            uint64
	SmallFiles, SmallSize           int
	Workers                         int // 0: GOMAXPROCS; the output does not depend on it
}

// Stats counts what Generate wrote.
type Stats struct {
	Files int
	Bytes int64
}

// FieldSpec is an acquisition of n fields of about fieldBytes each: two
// channels, four fields per well, wells filling 384-well plates in turn.
func FieldSpec(n, fieldBytes int, seed uint64) Spec {
	side := max(1, int(math.Sqrt(float64(fieldBytes/2))))
	const channels, fields, wellsPerPlate = 2, 4, 384
	wells := max(1, (n+channels*fields-1)/(channels*fields))
	plates := (wells + wellsPerPlate - 1) / wellsPerPlate
	return Spec{Plates: plates, Wells: min(wells, wellsPerPlate), Fields: fields, Channels: channels,
		Width: side, Height: max(1, fieldBytes/2/side), Images: n, Seed: seed}
}

func (s Spec) validate() error {
	neg := s.Plates < 0 || s.Wells < 0 || s.Fields < 0 || s.Channels < 0 || s.Images < 0 ||
		s.SmallFiles < 0 || s.SmallSize < 0 || s.RowsPerStrip < 0
	if neg {
		return fmt.Errorf("bench: negative count in %+v", s)
	}
	if s.Plates*s.Wells*s.Fields*s.Channels > 0 && (s.Width <= 0 || s.Height <= 0) {
		return fmt.Errorf("bench: field size %dx%d", s.Width, s.Height)
	}
	return nil
}

// Generate writes the acquisition s under dir (created if needed; files of
// the same names are overwritten). Modification times are fixed too, so
// nothing in the tree depends on when it was generated.
func Generate(dir string, s Spec) (Stats, error) {
	if err := s.validate(); err != nil {
		return Stats{}, err
	}
	imgs := s.images()
	st, err := s.writeSidecars(dir, imgs)
	if err != nil {
		return st, err
	}
	workers := s.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	n, err := s.writeImages(dir, imgs, workers)
	st.Files += len(imgs)
	st.Bytes += n
	if err != nil {
		return st, err
	}
	n, err = s.writeSmallFiles(dir, workers)
	st.Files += s.SmallFiles
	st.Bytes += n
	return st, err
}

// writeSidecars writes the metadata files of every plate with images, in
// name order.
func (s Spec) writeSidecars(dir string, imgs []image) (Stats, error) {
	byPlate := map[int][]image{}
	for _, im := range imgs {
		byPlate[im.plate] = append(byPlate[im.plate], im)
	}
	files := map[string][]byte{}
	for p, list := range byPlate {
		side, err := s.sidecars(p, list)
		if err != nil {
			return Stats{}, err
		}
		maps.Copy(files, side)
	}
	var st Stats
	for i, name := range slices.Sorted(maps.Keys(files)) {
		if err := writeFile(dir, name, i, files[name]); err != nil {
			return st, err
		}
		st.Files++
		st.Bytes += int64(len(files[name]))
	}
	return st, nil
}

// writeImages renders and writes the images on workers goroutines, each with
// its own buffers; image i's pixels come from its own random stream.
func (s Spec) writeImages(dir string, imgs []image, workers int) (int64, error) {
	var g errgroup.Group
	sizes := make([]int64, workers)
	for wk := range workers {
		g.Go(func() error {
			m := newFieldMaker(s.Width, s.Height)
			pix := make([]byte, 2*s.Width*s.Height)
			for i := wk; i < len(imgs); i += workers {
				n, err := s.writeImage(dir, imgs[i], i, m, pix)
				sizes[wk] += n
				if err != nil {
					return err
				}
			}
			return nil
		})
	}
	err := g.Wait()
	var total int64
	for _, n := range sizes {
		total += n
	}
	return total, err
}

func (s Spec) writeImage(dir string, im image, i int, m *fieldMaker, pix []byte) (int64, error) {
	fieldRng := rng{mix(s.Seed, 1, uint64(im.plate), uint64(im.well), uint64(im.field))}
	chanRng := rng{mix(s.Seed, 2, uint64(im.plate), uint64(im.well), uint64(im.field), uint64(im.channel))}
	m.render(pix, cells(&fieldRng, s.Width, s.Height), im.channel, &chanRng)
	rows := s.RowsPerStrip
	if rows == 0 {
		rows = stripRows(s.Width)
	}
	desc := fmt.Sprintf("hdf5vault synthetic field: %s field %d channel %d", im.rel, im.field+1, im.channel+1)
	hdr, err := tiffLayout{s.Width, s.Height, rows}.header(desc, "hdf5vault bench", uint32(math.Round(1e4/pixelSizeUm)))
	if err != nil {
		return 0, err
	}
	return int64(len(hdr) + len(pix)), writeFile(dir, im.rel, i, hdr, pix)
}

// smallPerDir is how many small files share a directory.
const smallPerDir = 250

// writeSmallFiles writes small/dNNNN/sNNNNNN.dat: 16-bit background noise,
// about as compressible as the fields' background.
func (s Spec) writeSmallFiles(dir string, workers int) (int64, error) {
	var g errgroup.Group
	for wk := range workers {
		g.Go(func() error {
			m := newFieldMaker(1, 1)
			buf := make([]byte, s.SmallSize)
			for i := wk; i < s.SmallFiles; i += workers {
				r := rng{mix(s.Seed, 3, uint64(i))}
				m.noiseBytes(buf, &r)
				name := fmt.Sprintf("small/d%04d/s%06d.dat", i/smallPerDir, i)
				if err := writeFile(dir, name, i, buf); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return int64(s.SmallFiles) * int64(s.SmallSize), g.Wait()
}

// writeFile writes parts as dir/rel and sets its modification time to the
// acquisition date plus i seconds.
func writeFile(dir, rel string, i int, parts ...[]byte) error {
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	for _, b := range parts {
		if _, err := f.Write(b); err != nil {
			f.Close()
			return fmt.Errorf("bench: write %s: %w", p, err)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("bench: write %s: %w", p, err)
	}
	t := acquired.Add(time.Duration(i) * time.Second)
	return os.Chtimes(p, t, t)
}
