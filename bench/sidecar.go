package bench

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"path"
	"strings"
	"time"
)

// acquired is the fixed acquisition date written into sidecars and used as
// the files' modification time, so repeated runs give identical archives.
var acquired = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)

// pixelSizeUm is the sidecars' pixel size (a 20x objective on a 6.5 um camera).
const pixelSizeUm = 0.325

var channelDyes = []struct {
	name       string
	excitation int // nm
	exposureMs int
}{{"DAPI", 405, 20}, {"GFP", 488, 100}, {"RFP", 561, 150}, {"Cy5", 640, 200}}

type channelMeta struct {
	Index        int    `json:"index" xml:"index,attr"`
	Name         string `json:"name" xml:"name,attr"`
	ExcitationNm int    `json:"excitation_nm,omitempty" xml:"excitation_nm,attr,omitempty"`
	ExposureMs   int    `json:"exposure_ms" xml:"exposure_ms,attr"`
}

func channels(n int) []channelMeta {
	cs := make([]channelMeta, n)
	for i := range cs {
		cs[i] = channelMeta{Index: i + 1, Name: fmt.Sprintf("Channel%d", i+1), ExposureMs: 100}
		if i < len(channelDyes) {
			d := channelDyes[i]
			cs[i] = channelMeta{i + 1, d.name, d.excitation, d.exposureMs}
		}
	}
	return cs
}

// plateJSON is Plate<n>/Plate<n>_metadata.json.
type plateJSON struct {
	Plate       string        `json:"plate"`
	Generator   string        `json:"generator"`
	Seed        uint64        `json:"seed"`
	Acquired    string        `json:"acquired"`
	PlateWells  int           `json:"plate_format"`
	Width       int           `json:"width"`
	Height      int           `json:"height"`
	BitDepth    int           `json:"bit_depth"`
	PixelSizeUm float64       `json:"pixel_size_um"`
	Channels    []channelMeta `json:"channels"`
	Wells       []string      `json:"wells"`
	Images      int           `json:"images"`
}

// plateXML is Plate<n>/Plate<n>_index.xml: every image with its position.
type plateXML struct {
	XMLName  xml.Name      `xml:"Plate"`
	Name     string        `xml:"name,attr"`
	Acquired string        `xml:"acquired,attr"`
	Channels []channelMeta `xml:"Channels>Channel"`
	Images   []imageXML    `xml:"Images>Image"`
}

type imageXML struct {
	Well    string  `xml:"well,attr"`
	Field   int     `xml:"field,attr"`
	Channel int     `xml:"channel,attr"`
	File    string  `xml:"file,attr"`
	XUm     float64 `xml:"x_um,attr"`
	YUm     float64 `xml:"y_um,attr"`
}

// sidecars returns the metadata files of one plate, keyed by relative path.
func (s Spec) sidecars(plate int, imgs []image) (map[string][]byte, error) {
	name := plateName(plate)
	js := plateJSON{Plate: name, Generator: "hdf5vault bench", Seed: s.Seed,
		Acquired: acquired.Format(time.RFC3339), PlateWells: plateFormat(s.Wells),
		Width: s.Width, Height: s.Height, BitDepth: 16, PixelSizeUm: pixelSizeUm,
		Channels: channels(s.Channels), Wells: []string{}}
	xm := plateXML{Name: name, Acquired: js.Acquired, Channels: js.Channels}
	fieldUm := float64(s.Width) * pixelSizeUm
	for _, im := range imgs {
		well := wellName(im.well, s.Wells)
		if n := len(js.Wells); n == 0 || js.Wells[n-1] != well {
			js.Wells = append(js.Wells, well)
		}
		// Fields tile a 3-wide grid inside the well.
		xm.Images = append(xm.Images, imageXML{Well: well, Field: im.field + 1, Channel: im.channel + 1,
			File: strings.TrimPrefix(im.rel, name+"/"),
			XUm:  float64(im.field%3) * fieldUm, YUm: float64(im.field/3) * fieldUm})
	}
	js.Images = len(imgs)
	j, err := json.MarshalIndent(js, "", "  ")
	if err != nil {
		return nil, err
	}
	x, err := xml.MarshalIndent(xm, "", "  ")
	if err != nil {
		return nil, err
	}
	return map[string][]byte{
		path.Join(name, name+"_metadata.json"): append(j, '\n'),
		path.Join(name, name+"_index.xml"):     append([]byte(xml.Header), append(x, '\n')...),
	}, nil
}
