package training

import (
	"fmt"
	"image"
	"os"
	"path/filepath"

	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/images"
	"github.com/gogan/gogan/monitor"
)

// GridSize is the number of samples in a grid (8×8) and TimelineWidth the
// number of them a row of the timeline shows.
const (
	GridSize      = 64
	TimelineWidth = 8
)

// Grids pictures the generator of an image GAN as training goes. At Init
// it draws a fixed batch of GridSize latent vectors, and two more for the
// interpolation, from the trainer's sampling generator (so a resumed run
// draws the same, and sampling never changes the course of training); it
// writes the 8×8 grid of their samples to samples-NNNNNN.png (NNNNNN the
// step) every Every steps and at the end. At the end it also writes
// timeline.png, the first TimelineWidth samples of each grid this process
// wrote, oldest at the top, and interpolation.png, a spherical
// interpolation between the two extra vectors. Nothing is written at the
// end of a failed run.
type Grids struct {
	// Dir is the folder the pictures go to.
	Dir string
	// Every writes a grid every N steps (0: only at the end).
	Every int
	// Scale scales the pictures' pixels up (1 if zero).
	Scale int

	fixed, ends []float64
	timeline    [][]image.Image
	last        string // the file name of the last grid written
	finished    bool
	figures     []monitor.Figure
}

// Record implements Callback.
func (g *Grids) Record(s *State, e Event) error {
	switch e {
	case Init:
		if err := os.MkdirAll(g.Dir, 0o755); err != nil {
			return fmt.Errorf("training: create run directory: %w", err)
		}
		g.fixed = s.Trainer.Noise(GridSize)
		g.ends = s.Trainer.Noise(2)
		g.timeline, g.last, g.finished, g.figures = nil, "", false, nil
	case Step:
		if g.Every > 0 && s.Stats.Step%g.Every == 0 {
			return g.writeGrid(s.Trainer, s.Stats.Step)
		}
	case End:
		if !s.Failed() {
			return g.finish(s.Trainer)
		}
	}
	return nil
}

// Figures returns the pictures written at the end, with captions, for a
// report; nil before the end.
func (g *Grids) Figures() []monitor.Figure { return g.figures }

// finish writes the last grid, the timeline and the interpolation, once.
func (g *Grids) finish(tr *gan.Trainer) error {
	if g.finished {
		return nil
	}
	g.finished = true
	scale := max(g.Scale, 1)
	if err := g.writeGrid(tr, tr.Steps()); err != nil {
		return err
	}
	figs := []monitor.Figure{{File: g.last, Caption: fmt.Sprintf("Samples from fixed noise after %d steps", tr.Steps())}}
	if len(g.timeline) > 0 {
		if err := images.WriteSampleTimeline(filepath.Join(g.Dir, "timeline.png"), g.timeline, scale); err != nil {
			return err
		}
		figs = append(figs, monitor.Figure{File: "timeline.png",
			Caption: "The first 8 fixed-noise samples at each grid, oldest at the top (this process's grids only)"})
	}
	latent := tr.Generator().LatentDim()
	gen := func(z []float64) ([]image.Image, error) { return generate(tr, z) }
	err := images.WriteInterpolation(filepath.Join(g.Dir, "interpolation.png"), gen, g.ends[:latent], g.ends[latent:],
		images.InterpolationOptions{Steps: 10, Scale: scale})
	if err != nil {
		return err
	}
	g.figures = append(figs, monitor.Figure{File: "interpolation.png", Caption: "Spherical interpolation between two latent vectors"})
	return nil
}

// writeGrid writes the grid of the fixed noise's samples after step.
func (g *Grids) writeGrid(tr *gan.Trainer, step int) error {
	imgs, err := generate(tr, g.fixed)
	if err != nil {
		return err
	}
	grid, err := images.Grid(imgs, 8, 2)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("samples-%06d.png", step)
	if err := images.WritePNG(filepath.Join(g.Dir, name), images.Scale(grid, max(g.Scale, 1))); err != nil {
		return err
	}
	if name != g.last {
		g.timeline = append(g.timeline, imgs[:TimelineWidth])
	}
	g.last = name
	return nil
}

// generate returns the samples of the latent vectors z as images.
func generate(tr *gan.Trainer, z []float64) ([]image.Image, error) {
	batch, err := tr.GenerateFrom(z)
	if err != nil {
		return nil, err
	}
	return images.FromTensor(batch)
}
