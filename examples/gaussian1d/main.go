// Command gaussian1d trains a small GAN to imitate a 1-D Gaussian, the
// classic toy problem of the GAN literature, and prints the mean and
// standard deviation of the generated samples against the target's.
//
//	go run ./examples/gaussian1d -mean 4 -std 0.5 -steps 4000
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/monitor"
	"github.com/gogan/gogan/nn"
	"github.com/gogan/gogan/optim"
	"github.com/gogan/gogan/training"
)

// options are the command's settings.
type options struct {
	Mean, Std float64
	Steps     int
	Batch     int
	Hidden    int
	LR        float64
	Seed      uint64
	Samples   int
	K         int
	Latent    int
	Every     int // print progress every Every steps (0: never)
	// Progress selects the progress display (tests force plain lines).
	Progress monitor.Mode
}

// result is what a run measured.
type result struct {
	Mean, Std float64
	Steps     int
	Elapsed   time.Duration
	// Interrupted tells that Ctrl-C stopped training early: the
	// generator is measured as it stands.
	Interrupted bool
}

func main() {
	var o options
	flag.Float64Var(&o.Mean, "mean", 4, "mean of the target Gaussian")
	flag.Float64Var(&o.Std, "std", 0.5, "standard deviation of the target Gaussian")
	flag.IntVar(&o.Steps, "steps", 4000, "training steps")
	flag.IntVar(&o.Batch, "batch", 256, "batch size")
	flag.IntVar(&o.Hidden, "hidden", 64, "width of the two hidden layers of G and D")
	flag.Float64Var(&o.LR, "lr", 5e-4, "Adam learning rate of both networks")
	flag.Uint64Var(&o.Seed, "seed", 1, "random seed")
	flag.IntVar(&o.K, "k", 1, "discriminator updates per generator update")
	flag.IntVar(&o.Latent, "latent", 4, "size of the noise vector z")
	flag.IntVar(&o.Samples, "samples", 10000, "samples drawn to measure the result")
	flag.IntVar(&o.Every, "every", 500, "print statistics every N steps when the output is not a terminal (a terminal shows a live bar); 0: no progress")
	collapse := flag.Bool("collapse", false, "run the mode-collapse study instead (Glover's setup: plain vs minibatch discrimination over -seeds seeds; see collapse.go); its steps are 5000 unless -steps is given)")
	seeds := flag.Int("seeds", 5, "collapse study: seeds per variant")
	out := flag.String("out", ".", "collapse study: directory of the histogram PNGs")
	variants := flag.String("variants", strings.Join(collapseVariants, ","), "collapse study: variants to run")
	noise := flag.String("noise", "grid", "collapse study: z as Glover draws it (grid: an evenly spaced batch over [-8, 8]) or uniform (i.i.d. on [-8, 8])")
	flag.Parse()

	ctx, stop := training.NotifyContext(context.Background()) // Ctrl-C: stop and measure the generator as it stands
	defer stop()
	if *collapse {
		steps := glSteps
		if isFlagSet("steps") {
			steps = o.Steps
		}
		if err := collapseStudy(ctx, strings.Split(*variants, ","), *seeds, steps, *noise, *out, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "gaussian1d:", err)
			os.Exit(1)
		}
		return
	}
	r, err := run(ctx, o, os.Stdout)
	if err != nil && !r.Interrupted {
		fmt.Fprintln(os.Stderr, "gaussian1d:", err)
		os.Exit(1)
	}
	fmt.Printf("target    mean %.4f  std %.4f\n", o.Mean, o.Std)
	fmt.Printf("generated mean %.4f  std %.4f  (%d samples, %d steps, %.1fs, %.0f steps/s)\n",
		r.Mean, r.Std, o.Samples, r.Steps, r.Elapsed.Seconds(), float64(r.Steps)/r.Elapsed.Seconds())
	if err != nil {
		fmt.Fprintln(os.Stderr, "gaussian1d: interrupted:", err)
		os.Exit(1)
	}
}

// run trains the GAN and measures the generated distribution. Interrupted
// by ctx, it still measures the generator and returns ctx's error with
// the result.
func run(ctx context.Context, o options, log io.Writer) (result, error) {
	if o.Std <= 0 || o.Steps <= 0 || o.Batch <= 0 || o.Hidden <= 0 || o.Samples <= 0 || o.K <= 0 || o.Latent <= 0 {
		return result{}, fmt.Errorf("-std, -steps, -batch, -hidden, -samples, -k and -latent must be positive")
	}
	act := nn.LeakyReLU(0.2)
	gen, err := models.NewMLPGenerator(models.MLPGeneratorConfig{
		LatentDim: o.Latent, Hidden: []int{o.Hidden, o.Hidden}, OutputShape: []int{1},
		Activation: act, Output: nn.Identity(), DType: "float32",
	}, o.Seed)
	if err != nil {
		return result{}, err
	}
	disc, err := models.NewMLPDiscriminator(models.MLPDiscriminatorConfig{
		InputShape: []int{1}, Hidden: []int{o.Hidden, o.Hidden}, Activation: act, DType: "float32",
	}, o.Seed)
	if err != nil {
		return result{}, err
	}
	opt := optim.AdamConfig{LR: o.LR, Beta1: 0.5, Beta2: 0.999}
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: o.Batch, DSteps: o.K, Seed: o.Seed, GOptimizer: opt, DOptimizer: opt})
	if err != nil {
		return result{}, err
	}
	src := data.NewSourceLoader(data.Gaussian1D{Mean: o.Mean, Std: o.Std}, o.Seed)
	var callbacks []training.Callback
	if o.Every > 0 {
		callbacks = append(callbacks, &training.Progress{Mode: o.Progress, Every: o.Every})
	}
	res, err := training.Loop{Steps: o.Steps, Log: log}.Run(ctx, tr, src, callbacks...)
	if err != nil && !res.Interrupted {
		return result{}, err
	}
	samples, serr := tr.Sample(o.Samples)
	if serr != nil {
		return result{}, serr
	}
	mean, std := meanStd(toF64(samples.Data()))
	return result{Mean: mean, Std: std, Steps: tr.Steps(), Elapsed: res.Elapsed, Interrupted: res.Interrupted}, err
}

func meanStd(xs []float64) (mean, std float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(xs)))
}

func toF64(d any) []float64 {
	switch v := d.(type) {
	case []float64:
		return v
	case []float32:
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out
	}
	return nil
}

// isFlagSet reports whether the command line set the flag name.
func isFlagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
