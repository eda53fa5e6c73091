// Command modes measures mode collapse and its remedies on the 2-D
// Gaussian mixtures of the PacGAN paper (Lin et al. 2018, Table 1), in
// the setup of PacGAN's public code (docs/modes.md): the ring of 8
// Gaussians (radius 1, std 0.01) and the grid of 25 (spacing 2, std 0.05),
// 2-D standard normal noise, G 2 → 4×400 (batch norm, ReLU) → 2, D
// 2m → 3 maxout layers of 200 units × 5 pieces → 1, Adam lr 1e-4 β1 0.8,
// 100 (packed) samples per batch. For every variant and seed it trains a
// GAN, draws 2,500 samples and scores them with metrics.MixtureCoverage:
// modes covered, share of high-quality samples (within 3 std of a mode)
// and reverse KL. It prints a table (also written to table.md) and one
// scatter plot of samples per data set and variant (seed 1).
//
//	go run ./examples/modes -steps 20000 -seeds 5        # the study
//	go run ./examples/modes -steps 500 -seeds 1 -variants plain,pacgan4
//
// Variants: plain (the non-saturating GAN), pacgan2/3/4 (D judges 2, 3 or
// 4 samples packed together, 100 packs per batch as in PacGAN's code),
// minibatch (D with minibatch discrimination before its output layer,
// Salimans et al. 2016: 100 kernels of dimension 5, the paper's formula
// with T learned as it is), minibatch-wn (the same layer as the authors'
// code builds it: T weight-normalised, a bias per kernel, both initialised
// from the features of a real batch so that the statistics start centred
// and the nearest neighbour at L1 distance 2), losing (each step
// only the losing network is updated: gan.BalanceLosing, margin 0), 2x2
// (two generators against two discriminators, uniform adversary
// weights). Every variant gets the same networks, optimizer, steps and
// seeds; nothing is tuned per variant. wgan-gp (not in the default list,
// which it would make several times longer) is the Wasserstein critic with
// gradient penalty λ = 10 and WGAN-GP's optimizer settings: k = 5 critic
// updates per generator update, Adam with β1 0 and β2 0.9 at the -lr
// learning rate.
//
// Runs execute in parallel, -j at a time, each in a child process; every
// finished run is appended to results.jsonl in the output directory, and a
// rerun with the same settings skips the runs already there, so an
// interrupted study resumes where it stopped.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/training"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == childArg {
		if err := child(context.Background(), os.Args[2:], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "modes:", err)
			os.Exit(1)
		}
		return
	}
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "modes:", err)
		os.Exit(2)
	}
	ctx, stop := training.NotifyContext(context.Background())
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "modes:", err)
		os.Exit(1)
	}
}

// settings are what a run's result depends on besides its data set,
// variant and seed; a results file's runs are reused only under equal
// settings.
type settings struct {
	Steps      int     `json:"steps"`
	Batch      int     `json:"batch"`
	Samples    int     `json:"samples"`
	LR         float64 `json:"lr"`
	Beta1      float64 `json:"beta1"`
	MBDKernels int     `json:"mbd_kernels"`
	MBDDim     int     `json:"mbd_dim"`
	// Penalty is -penalty, a discriminator penalty for every variant
	// (gan.ParsePenalty's syntax; "" for none).
	Penalty string `json:"penalty,omitempty"`
}

// options are the command line.
type options struct {
	settings
	Seeds    int
	Jobs     int
	Out      string
	Data     []string
	Variants []string
}

var (
	allData     = []string{"ring", "grid"}
	allVariants = []string{"plain", "pacgan2", "pacgan3", "pacgan4", "minibatch", "minibatch-wn", "losing", "2x2"}
	// moreVariants are accepted by -variants but not run by default.
	moreVariants = []string{"wgan-gp"}
)

func parseFlags(args []string, errOut io.Writer) (options, error) {
	var o options
	var dataList, variantList string
	fs := flag.NewFlagSet("modes", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.IntVar(&o.Steps, "steps", 20000, "training steps (iterations) per run (PacGAN's code: 400 epochs × 1000 = 400000)")
	fs.IntVar(&o.Seeds, "seeds", 5, "seeds per variant")
	fs.IntVar(&o.Batch, "batch", 100, "discriminator inputs per batch: samples, or packs of m samples for pacganm (PacGAN's 100)")
	fs.IntVar(&o.Samples, "samples", 2500, "samples scored per run (PacGAN's 2500)")
	fs.Float64Var(&o.LR, "lr", 1e-4, "Adam learning rate of every network (PacGAN's)")
	fs.Float64Var(&o.Beta1, "beta1", 0.8, "Adam β1 of every network (PacGAN's)")
	fs.IntVar(&o.MBDKernels, "mbd-kernels", 100, "minibatch variant: number of kernels B (Salimans et al.'s 100)")
	fs.IntVar(&o.MBDDim, "mbd-dim", 5, "minibatch variant: kernel dimension C (Salimans et al.'s 5)")
	fs.IntVar(&o.Jobs, "j", runtime.NumCPU(), "runs trained at once, each in its own process")
	fs.StringVar(&o.Out, "out", "run-modes", "output directory: results.jsonl, table.md and the scatter plots")
	fs.StringVar(&o.Penalty, "penalty", "", "discriminator penalty for every variant: none, gp, r1 or r2, optionally :WEIGHT[:EVERY] (wgan-gp has gp:10 by itself)")
	fs.StringVar(&dataList, "data", strings.Join(allData, ","), "data sets: "+strings.Join(allData, ", "))
	fs.StringVar(&variantList, "variants", strings.Join(allVariants, ","), "variants: "+strings.Join(append(allVariants, moreVariants...), ", "))
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if o.Steps < 1 || o.Seeds < 1 || o.Samples < 1 || o.Batch < 1 || o.Jobs < 1 {
		return o, fmt.Errorf("-steps, -seeds, -samples, -batch and -j must be positive")
	}
	if !(o.LR > 0) || !(o.Beta1 >= 0 && o.Beta1 < 1) {
		return o, fmt.Errorf("-lr must be positive and -beta1 in [0, 1), got %v and %v", o.LR, o.Beta1)
	}
	if o.MBDKernels < 1 || o.MBDDim < 1 {
		return o, fmt.Errorf("-mbd-kernels and -mbd-dim must be positive, got %d and %d", o.MBDKernels, o.MBDDim)
	}
	if _, err := gan.ParsePenalty(o.Penalty); err != nil {
		return o, err
	}
	var err error
	if o.Data, err = pick("-data", dataList, allData); err != nil {
		return o, err
	}
	if o.Variants, err = pick("-variants", variantList, append(allVariants, moreVariants...)); err != nil {
		return o, err
	}
	return o, nil
}

func pick(flagName, list string, known []string) ([]string, error) {
	var out []string
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		ok := false
		for _, k := range known {
			ok = ok || s == k
		}
		if !ok {
			return nil, fmt.Errorf("%s: unknown %q (want %s)", flagName, s, strings.Join(known, ", "))
		}
		out = append(out, s)
	}
	return out, nil
}
