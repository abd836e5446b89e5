// Command genicons draws the extension's toolbar icons (16, 32, 48 and 128
// px PNGs): a blue rounded square holding a white certificate sheet with a
// gold seal. They are drawn here, not shipped as binaries of unknown origin.
//
// Usage: genicons -out DIR
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
)

var (
	blue  = color.RGBA{0x1d, 0x4e, 0xd8, 0xff}
	white = color.RGBA{0xff, 0xff, 0xff, 0xff}
	line  = color.RGBA{0x93, 0xa9, 0xe8, 0xff}
	gold  = color.RGBA{0xf5, 0x9e, 0x0b, 0xff}
)

// Sizes are the icon sizes Chrome asks for.
var Sizes = []int{16, 32, 48, 128}

func main() {
	out := flag.String("out", "", "directory for icon<N>.png")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "usage: genicons -out DIR")
		os.Exit(2)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, n := range Sizes {
		if err := write(filepath.Join(*out, fmt.Sprintf("icon%d.png", n)), Draw(n)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

func write(name string, img image.Image) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// shape reports the colour at (x, y) in a unit square, or false outside.
func shape(x, y float64, small bool) (color.RGBA, bool) {
	c, ok := color.RGBA{}, false
	if roundRect(x, y, 0, 0, 1, 1, 0.2) {
		c, ok = blue, true
	}
	// The sheet.
	if roundRect(x, y, 0.22, 0.16, 0.78, 0.84, 0.05) {
		c = white
		if !small {
			for _, ly := range []float64{0.30, 0.42, 0.54} {
				if y > ly-0.025 && y < ly+0.025 && x > 0.32 && x < 0.68 {
					c = line
				}
			}
		}
	}
	// The seal, overlapping the sheet's lower right corner.
	dx, dy := x-0.70, y-0.72
	if r := math.Hypot(dx, dy); r < 0.17 {
		c = gold
		if r < 0.10 && !small {
			c = white
		}
		if r < 0.07 && !small {
			c = gold
		}
	}
	return c, ok
}

func roundRect(x, y, x0, y0, x1, y1, r float64) bool {
	if x < x0 || x > x1 || y < y0 || y > y1 {
		return false
	}
	cx := math.Max(x0+r, math.Min(x, x1-r))
	cy := math.Max(y0+r, math.Min(y, y1-r))
	return math.Hypot(x-cx, y-cy) <= r
}

// Draw renders the icon at n×n with 4×4 supersampling.
func Draw(n int) *image.NRGBA {
	const ss = 4
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	small := n < 32
	for py := 0; py < n; py++ {
		for px := 0; px < n; px++ {
			var r, g, b, a float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					x := (float64(px) + (float64(sx)+0.5)/ss) / float64(n)
					y := (float64(py) + (float64(sy)+0.5)/ss) / float64(n)
					if c, ok := shape(x, y, small); ok {
						r += float64(c.R)
						g += float64(c.G)
						b += float64(c.B)
						a++
					}
				}
			}
			if a == 0 {
				continue
			}
			img.SetNRGBA(px, py, color.NRGBA{
				R: uint8(r / a), G: uint8(g / a), B: uint8(b / a),
				A: uint8(255 * a / (ss * ss)),
			})
		}
	}
	return img
}
