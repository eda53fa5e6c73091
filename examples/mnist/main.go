// Command mnist trains a GAN on MNIST digits on the CPU.
//
//	go run ./examples/mnist                                  # reference MLP, 5000 steps
//	go run ./examples/mnist -data DIR -steps 5000 -export 2000 -out run-mlp
//	go run ./examples/mnist -model dcgan -steps 3000 -out run-dcgan
//	go run ./examples/mnist -loss wgan-gp -out run-wgangp     # k 5, Adam 1e-4, β (0, 0.9), penalty 10
//	go run ./examples/mnist -penalty r1:10:16 -out run-r1     # R1 γ 10, lazily every 16 D updates
//
// It writes to -out: grids of samples from a fixed noise batch
// (samples-NNNNNN.png, so the grids show progress), the step statistics
// (stats.csv), the trained networks (model.gogan, readable with
// models.Load) and, with -export N, N generated digits as an IDX3 file
// (generated-images-idx3-ubyte). Ctrl-C stops training and still saves;
// a second Ctrl-C exits at once.
//
// A new run refuses an -out folder that holds a run: continue it with
// -resume, or pass -overwrite to move it aside. Nothing is written into
// -out before the data and flags are checked, and the folder is locked
// while the run lasts.
//
// Without -data it reads the 10,000 digits in ../shared/data/mnist10k when
// that folder exists, else MNIST from the user's cache, downloading it
// there if needed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/losses"
	"github.com/gogan/gogan/monitor"
	"github.com/gogan/gogan/training"
)

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mnist:", err)
		os.Exit(2)
	}
	ctx, stop := training.NotifyContext(context.Background()) // Ctrl-C, SIGTERM: checkpoint and stop
	defer stop()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mnist:", err)
		os.Exit(1)
	}
}

// config holds the command line.
type config struct {
	Data   string
	Out    string
	Model  string
	Steps  int
	Epochs int
	Batch  int
	Loss   string
	K      int
	LR     float64
	Seed   uint64
	// Penalty is -penalty (gan.ParsePenalty's syntax; "" for none).
	Penalty string `json:"penalty,omitempty"`
	// Device is -device: cpu, or cuda / cuda:N (refused until the GPU
	// backend exists).
	Device    string `json:"device,omitempty"`
	Export    int
	GridEvery int
	LogEvery  int
	// CheckpointEvery writes checkpoint.gogan every N steps (0: only at
	// the end and on interruption).
	CheckpointEvery int
	// NaNRollbacks is -nan-rollback.
	NaNRollbacks int
	// DivergeLoss is -diverge-loss: training.Divergence's LossAbove (0:
	// its default), negative for no divergence warning.
	DivergeLoss float64 `json:"diverge_loss,omitempty"`
	// Conditional is -conditional, the class-conditioning scheme: "" or
	// "none", concat, projection or acgan.
	Conditional string `json:"conditional,omitempty"`
	// Resume is a run directory to continue from ("" for a new run); its
	// checkpoint supplies the configuration.
	Resume string `json:"-"`
	// StepsSet records that -steps was given, so it may extend a resumed run.
	StepsSet bool `json:"-"`
	// Overwrite is -overwrite: a new run into a folder that holds a run
	// moves that run aside to OUT.old-<time> first.
	Overwrite bool `json:"-"`
	// EMA is -ema: β of the generator's weight average (0: off).
	EMA float64 `json:"ema,omitempty"`
	// SN is -sn: spectral normalisation of the discriminator's weights.
	SN bool `json:"sn,omitempty"`
	// progress selects the progress display (tests force plain lines).
	progress monitor.Mode
}

func parseFlags(args []string, errOut io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("mnist", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.StringVar(&c.Data, "data", "", "directory with the MNIST IDX files (default: ../shared/data/mnist10k if present, else the user cache, downloading if needed)")
	fs.StringVar(&c.Out, "out", "run-mnist", "output directory")
	fs.StringVar(&c.Model, "model", "mlp", "model configuration: mlp (the reference MLP) or dcgan (the reference 28x28 DCGAN)")
	fs.IntVar(&c.Steps, "steps", 5000, "training steps (one step = k D updates + 1 G update); 0 to train by -epochs")
	fs.IntVar(&c.Epochs, "epochs", 0, "train this many passes over the data instead of -steps")
	fs.IntVar(&c.Batch, "batch", 64, "batch size (the training graphs must fit the memory limit GOGAN_MAX_DATA_BYTES, 1 GiB by default)")
	fs.StringVar(&c.Loss, "loss", "nonsaturating", "loss: "+fmt.Sprint(losses.Names())+"; wgan-gp brings WGAN-GP's settings: gradient penalty 10, -k 5, -lr 1e-4 (unless given) and Adam β = (0, 0.9)")
	fs.StringVar(&c.Penalty, "penalty", "", "discriminator penalty: none, gp, r1 or r2, optionally :WEIGHT[:EVERY] (e.g. r1:10, r1:10:16 for lazily every 16 D updates); with a penalty the dcgan discriminator has no batch norm")
	fs.StringVar(&c.Device, "device", "cpu", "where to train: cpu (Gorgonia's tape machine), cuda / cuda:N (an NVIDIA GPU; needs a binary built with -tags cu), or host (the GPU program run by Go reference kernels on the CPU: slow, for verification)")
	fs.IntVar(&c.K, "k", 1, "discriminator updates per generator update")
	fs.Float64Var(&c.LR, "lr", 2e-4, "Adam learning rate of both networks")
	fs.Uint64Var(&c.Seed, "seed", 1, "random seed (same seed, same machine: same run)")
	fs.IntVar(&c.Export, "export", 0, "write this many generated digits to generated-images-idx3-ubyte (784 bytes each; the file must fit the memory limit GOGAN_MAX_DATA_BYTES, 1 GiB by default; with -conditional: a multiple of 10, equally many of each class, their classes in generated-labels-idx1-ubyte)")
	fs.StringVar(&c.Conditional, "conditional", "none", "class-conditional GAN: none, concat (class concatenated to G's and D's inputs), projection (projection discriminator) or acgan (auxiliary classifier); writes classes-NNNNNN.png, one row per class")
	fs.IntVar(&c.GridEvery, "grid-every", 500, "write a sample grid every N steps (0: only at the end)")
	fs.IntVar(&c.LogEvery, "log-every", 100, "print statistics every N steps when the output is not a terminal (a terminal shows a live bar)")
	fs.IntVar(&c.CheckpointEvery, "checkpoint-every", 1000, "write a checkpoint every N steps (0: only at the end and on Ctrl-C/SIGTERM)")
	fs.IntVar(&c.NaNRollbacks, "nan-rollback", 0, "on a NaN or Inf loss, roll back to the last checkpoint with halved learning rates, at most N times (0: stop, keeping the last good checkpoint)")
	fs.Float64Var(&c.DivergeLoss, "diverge-loss", training.DefaultDivergence.LossAbove, "warn (progress line and report.html) that the run diverged when a loss stays above this in absolute value, or D's loss pinned at 0 with collapsed samples, for 20 steps in a row (negative: no warning)")
	fs.StringVar(&c.Resume, "resume", "", "continue the run in this directory from its last checkpoint (its configuration is reused; -steps may raise the step budget)")
	fs.Float64Var(&c.EMA, "ema", 0, "keep an exponential moving average of the generator's weights with this β (e.g. 0.999) and sample, save and export with it (0: off)")
	fs.BoolVar(&c.SN, "sn", false, "spectral normalisation of the discriminator's weights (Miyato et al. 2018)")
	fs.BoolVar(&c.Overwrite, "overwrite", false, "start a new run even if -out holds one, moving the old run aside to OUT.old-<time> (never deleting it)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.Resume != "" {
		var err error
		if c.StepsSet, err = training.CheckResumeFlags(fs); err != nil {
			return c, err
		}
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	switch {
	case c.Steps < 0:
		return c, fmt.Errorf("-steps must not be negative, got %d", c.Steps)
	case c.Epochs < 0:
		return c, fmt.Errorf("-epochs must not be negative, got %d", c.Epochs)
	case c.Steps == 0 && c.Epochs == 0:
		return c, fmt.Errorf("set -steps or -epochs")
	case c.Batch < 1:
		return c, fmt.Errorf("-batch must be positive, got %d", c.Batch)
	case c.K < 1:
		return c, fmt.Errorf("-k must be at least 1, got %d", c.K)
	case !(c.LR > 0):
		return c, fmt.Errorf("-lr must be positive, got %v", c.LR)
	case c.Export < 0:
		return c, fmt.Errorf("-export must not be negative, got %d", c.Export)
	case c.NaNRollbacks < 0:
		return c, fmt.Errorf("-nan-rollback must not be negative, got %d", c.NaNRollbacks)
	case c.GridEvery < 0 || c.LogEvery < 1 || c.CheckpointEvery < 0:
		return c, fmt.Errorf("-grid-every and -checkpoint-every must not be negative and -log-every must be positive")
	case !(c.EMA >= 0 && c.EMA < 1):
		return c, fmt.Errorf("-ema must be 0 (off) or lie in (0, 1), got %v", c.EMA)
	case c.Out == "":
		return c, fmt.Errorf("-out must name a directory")
	}
	loss, err := losses.ByName(c.Loss)
	if err != nil {
		return c, err
	}
	if _, err := gan.ParsePenalty(c.Penalty); err != nil {
		return c, err
	}
	if _, ok := loss.(losses.WGANGP); ok && c.Resume == "" {
		// WGAN-GP's settings (Gulrajani et al. 2017), unless given.
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["k"] {
			c.K = 5
		}
		if !set["lr"] {
			c.LR = 1e-4
		}
	}
	if c.Model != "mlp" && c.Model != "dcgan" {
		return c, fmt.Errorf("unknown -model %q (want mlp or dcgan)", c.Model)
	}
	if err := checkConditional(c); err != nil {
		return c, err
	}
	return c, nil
}

// loadDigits finds and reads the training digits.
func loadDigits(ctx context.Context, dir string, log io.Writer) (*data.Images, error) {
	if dir == "" {
		if st, err := os.Stat(defaultDigits); err == nil && st.IsDir() {
			dir = defaultDigits
		} else {
			fmt.Fprintf(log, "no -data given and %s not found: using MNIST from the cache\n", defaultDigits)
			cache, err := data.DefaultCacheDir()
			if err != nil {
				return nil, err
			}
			d, err := data.Download(ctx, data.MNISTSpec(), cache)
			if err != nil {
				return nil, err
			}
			dir = d
		}
	}
	return data.LoadMNIST(dir)
}
