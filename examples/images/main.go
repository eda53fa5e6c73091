// Command images trains a DCGAN (Radford et al. 2015) on a folder of PNG
// and JPEG images on the CPU.
//
//	go run ./examples/images -data DIR                      # 64×64 RGB, 2000 steps
//	go run ./examples/images -data DIR -size 32 -gray -steps 500 -out run-faces
//
// Images are scaled so that their shorter side is -size pixels and
// centre-cropped to -size×-size (see data.LoadImageDir); unreadable files
// are reported and skipped. The networks are models.ReferenceDCGAN64 with
// the image size and channels of the data: -size 64 is the paper's
// configuration, and any power of two from 8 (and 28) works, with one
// fewer layer per halving.
//
// It writes to -out: grids of samples from a fixed noise batch
// (samples-NNNNNN.png, so the grids show progress), the step statistics
// (stats.csv), the trained networks (model.gogan, readable with
// models.Load), the plots and report.html, and a checkpoint
// (checkpoint.gogan) every -checkpoint-every steps, at the end and on
// Ctrl-C or SIGTERM: Ctrl-C stops training and still saves (a second
// Ctrl-C exits at once), and -resume DIR continues the run in DIR exactly.
//
// A new run refuses an -out folder that holds a run: continue it with
// -resume, or pass -overwrite to move it aside. Nothing is written into
// -out before the data and flags are checked, and the folder is locked
// while the run lasts.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/training"
)

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "images:", err)
		os.Exit(2)
	}
	ctx, stop := training.NotifyContext(context.Background()) // Ctrl-C, SIGTERM: checkpoint and stop
	defer stop()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "images:", err)
		os.Exit(1)
	}
}

// config holds the command line.
type config struct {
	Data      string
	Out       string
	Size      int
	Gray      bool
	Recursive bool
	Limit     int
	Steps     int
	Batch     int
	LR        float64
	Seed      uint64
	GridEvery int
	LogEvery  int
	// CheckpointEvery writes checkpoint.gogan every N steps (0: only at
	// the end and on interruption).
	CheckpointEvery int
	// Resume is a run directory to continue from ("" for a new run); its
	// checkpoint supplies the configuration.
	Resume string `json:"-"`
	// StepsSet records that -steps was given, so it may extend a resumed run.
	StepsSet bool `json:"-"`
	// Overwrite is -overwrite: a new run into a folder that holds a run
	// moves that run aside to OUT.old-<time> first.
	Overwrite bool `json:"-"`
}

func parseFlags(args []string, errOut io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("images", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.StringVar(&c.Data, "data", "", "directory of PNG and JPEG images (required)")
	fs.StringVar(&c.Out, "out", "run-images", "output directory")
	fs.IntVar(&c.Size, "size", 64, "image size: a power of two from 8 to 1024, or 28")
	fs.BoolVar(&c.Gray, "gray", false, "train on grayscale images (default RGB)")
	fs.BoolVar(&c.Recursive, "recursive", false, "also read the images in subdirectories of -data")
	fs.IntVar(&c.Limit, "limit", 0, "read at most this many images (0: all; they must fit the memory limit GOGAN_MAX_DATA_BYTES, 1 GiB by default)")
	fs.IntVar(&c.CheckpointEvery, "checkpoint-every", 500, "write a checkpoint every N steps (0: only at the end and on Ctrl-C/SIGTERM)")
	fs.IntVar(&c.Steps, "steps", 2000, "training steps (one D update and one G update each)")
	fs.IntVar(&c.Batch, "batch", 64, "batch size (the training graphs must fit the memory limit GOGAN_MAX_DATA_BYTES, 1 GiB by default)")
	fs.Float64Var(&c.LR, "lr", 2e-4, "Adam learning rate of both networks")
	fs.Uint64Var(&c.Seed, "seed", 1, "random seed (same seed, same machine: same run)")
	fs.IntVar(&c.GridEvery, "grid-every", 500, "write a sample grid every N steps (0: only at the end)")
	fs.IntVar(&c.LogEvery, "log-every", 50, "print statistics every N steps")
	fs.StringVar(&c.Resume, "resume", "", "continue the run in this directory from its last checkpoint (its configuration is reused; -steps may raise the step budget)")
	fs.BoolVar(&c.Overwrite, "overwrite", false, "start a new run even if -out holds one, moving the old run aside to OUT.old-<time> (never deleting it)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if c.Resume != "" {
		var err error
		if c.StepsSet, err = training.CheckResumeFlags(fs); err != nil {
			return c, err
		}
		if c.Steps < 1 {
			return c, fmt.Errorf("-steps must be positive, got %d", c.Steps)
		}
		return c, nil // the checkpoint's configuration was checked when the run began
	}
	switch {
	case c.Data == "":
		return c, fmt.Errorf("-data is required: a directory of PNG or JPEG images")
	case c.Steps < 1:
		return c, fmt.Errorf("-steps must be positive, got %d", c.Steps)
	case c.Batch < 1:
		return c, fmt.Errorf("-batch must be positive, got %d", c.Batch)
	case c.Limit < 0:
		return c, fmt.Errorf("-limit must not be negative, got %d", c.Limit)
	case !(c.LR > 0):
		return c, fmt.Errorf("-lr must be positive, got %v", c.LR)
	case c.GridEvery < 0 || c.LogEvery < 1 || c.CheckpointEvery < 0:
		return c, fmt.Errorf("-grid-every and -checkpoint-every must not be negative and -log-every must be positive")
	case c.Out == "":
		return c, fmt.Errorf("-out must name a directory")
	}
	gcfg, _ := c.modelConfigs()
	if err := gcfg.Validate(); err != nil {
		return c, fmt.Errorf("-size %d: want a power of two from 8 to %d, or 28", c.Size, models.MaxDCGANImageSize)
	}
	return c, nil
}

// modelConfigs returns the DCGAN of Radford et al. for the command line's
// image size and channels.
func (c config) modelConfigs() (models.DCGANGeneratorConfig, models.DCGANDiscriminatorConfig) {
	gcfg, dcfg := models.ReferenceDCGAN64()
	channels := 3
	if c.Gray {
		channels = 1
	}
	gcfg.ImageSize, gcfg.Channels = c.Size, channels
	dcfg.ImageSize, dcfg.Channels = c.Size, channels
	return gcfg, dcfg
}
