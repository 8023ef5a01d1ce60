package bench

import (
	"fmt"
	"path"
	"strconv"
)

// image is one field of one channel, the unit the generator writes.
type image struct {
	plate, well, field, channel int // zero-based
	rel                         string
}

// plateColumns is the number of columns of the smallest standard plate
// (96, 384 or 1536 wells) that holds n wells.
func plateColumns(n int) int {
	switch {
	case n <= 96:
		return 12
	case n <= 384:
		return 24
	}
	return 48
}

// plateFormat is the well count of that plate (plates are 2:3, rows:columns).
func plateFormat(n int) int {
	c := plateColumns(n)
	return c * c * 2 / 3
}

// rowName is a plate row's letter: A..Z, then AA, AB, ... as on 1536-well plates.
func rowName(r int) string {
	if r < 26 {
		return string(rune('A' + r))
	}
	return rowName(r/26-1) + rowName(r%26)
}

func plateName(p int) string { return "Plate" + strconv.Itoa(p+1) }

// wellName names well i of a plate with the given number of wells (B03).
func wellName(i, wells int) string {
	cols := plateColumns(wells)
	return fmt.Sprintf("%s%02d", rowName(i/cols), i%cols+1)
}

// images lists every image of s in write order: plate, well, field, channel.
// Names look like Plate1/B03/B03_f07_ch1.tif.
func (s Spec) images() []image {
	fieldDigits := max(2, len(strconv.Itoa(s.Fields)))
	var out []image
	for p := range s.Plates {
		for w := range s.Wells {
			well := wellName(w, s.Wells)
			for f := range s.Fields {
				for c := range s.Channels {
					if s.Images > 0 && len(out) == s.Images {
						return out
					}
					name := fmt.Sprintf("%s_f%0*d_ch%d.tif", well, fieldDigits, f+1, c+1)
					out = append(out, image{p, w, f, c, path.Join(plateName(p), well, name)})
				}
			}
		}
	}
	return out
}
