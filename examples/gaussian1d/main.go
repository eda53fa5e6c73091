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
	"math"
	"os"
	"os/signal"
	"time"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/nn"
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
}

// result is what a run measured.
type result struct {
	Mean, Std float64
	Steps     int
	Elapsed   time.Duration
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
	flag.IntVar(&o.Every, "every", 500, "print statistics every N steps (0: never)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	r, err := run(ctx, o, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gaussian1d:", err)
		os.Exit(1)
	}
	fmt.Printf("target    mean %.4f  std %.4f\n", o.Mean, o.Std)
	fmt.Printf("generated mean %.4f  std %.4f  (%d samples, %d steps, %.1fs, %.0f steps/s)\n",
		r.Mean, r.Std, o.Samples, r.Steps, r.Elapsed.Seconds(), float64(r.Steps)/r.Elapsed.Seconds())
}

// run trains the GAN and measures the generated distribution.
func run(ctx context.Context, o options, log interface{ Write([]byte) (int, error) }) (result, error) {
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
	opt := gan.OptimizerConfig{Kind: "adam", LR: o.LR, Beta1: 0.5, Beta2: 0.999}
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: o.Batch, DSteps: o.K, Seed: o.Seed, GOptimizer: opt, DOptimizer: opt})
	if err != nil {
		return result{}, err
	}
	src := data.NewSourceLoader(data.Gaussian1D{Mean: o.Mean, Std: o.Std}, o.Seed)
	start := time.Now()
	_, err = tr.Train(ctx, src, gan.TrainOptions{Steps: o.Steps, OnStep: func(s gan.Stats) error {
		if o.Every > 0 && s.Step%o.Every == 0 {
			fmt.Fprintf(log, "step %5d  D loss %.4f  G loss %.4f  D(x) %.3f  D(G(z)) %.3f  V %.4f\n",
				s.Step, s.DLoss, s.GLoss, s.DReal, s.DFake, s.V)
		}
		return nil
	}})
	elapsed := time.Since(start)
	if err != nil {
		return result{}, err
	}
	samples, err := tr.Sample(o.Samples)
	if err != nil {
		return result{}, err
	}
	mean, std := meanStd(toF64(samples.Data()))
	return result{Mean: mean, Std: std, Steps: tr.Steps(), Elapsed: elapsed}, nil
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
