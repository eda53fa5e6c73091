// Command modes measures mode collapse and its remedies on the 2-D
// Gaussian mixtures of the PacGAN paper (Lin et al. 2018): the ring of 8
// Gaussians (std 0.01) and the grid of 25 (std 0.05), with 2-D standard
// normal noise. For every variant and seed it trains a GAN, draws 2,500
// samples and scores them with metrics.MixtureCoverage: modes covered,
// share of high-quality samples and reverse KL. It prints a table (also
// written to table.md) and one scatter plot of samples per data set and
// variant.
//
//	go run ./examples/modes                         # all variants, 3 seeds
//	go run ./examples/modes -steps 2000 -seeds 1 -variants plain,pacgan4
//
// Variants: plain (the non-saturating GAN), pacgan4 (D judges 4 packed
// samples), minibatch (D with minibatch discrimination), losing (only the
// losing network is updated), 2x2 (two generators against two
// discriminators), wgan-gp (the Wasserstein critic with gradient penalty
// λ = 10 and WGAN-GP's optimizer settings: k = 5 critic updates per
// generator update, Adam with β1 0 and β2 0.9 at the -lr learning rate;
// not in the default list, which it would make several times longer).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/training"
)

func main() {
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

// options are the command line.
type options struct {
	Steps    int
	Seeds    int
	Batch    int
	Samples  int
	LR       float64
	Out      string
	Data     []string
	Variants []string
	// Penalty is -penalty: a penalty on D's input gradient added to every
	// variant (gan.ParsePenalty's syntax; "" for none).
	Penalty string
}

var (
	allData     = []string{"ring", "grid"}
	allVariants = []string{"plain", "pacgan4", "minibatch", "losing", "2x2"}
	// moreVariants are accepted by -variants but not run by default.
	moreVariants = []string{"wgan-gp"}
)

func parseFlags(args []string, errOut io.Writer) (options, error) {
	var o options
	var dataList, variantList string
	fs := flag.NewFlagSet("modes", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.IntVar(&o.Steps, "steps", 5000, "training steps per run")
	fs.IntVar(&o.Seeds, "seeds", 3, "seeds per variant")
	fs.IntVar(&o.Batch, "batch", 100, "batch size (a multiple of 4, for pacgan4)")
	fs.IntVar(&o.Samples, "samples", 2500, "samples scored per run")
	fs.Float64Var(&o.LR, "lr", 1e-4, "Adam learning rate of every network (PacGAN's)")
	fs.StringVar(&o.Out, "out", "run-modes", "output directory for table.md and the scatter plots")
	fs.StringVar(&o.Penalty, "penalty", "", "discriminator penalty for every variant: none, gp, r1 or r2, optionally :WEIGHT[:EVERY] (wgan-gp has gp:10 by itself)")
	fs.StringVar(&dataList, "data", strings.Join(allData, ","), "data sets: "+strings.Join(allData, ", "))
	fs.StringVar(&variantList, "variants", strings.Join(allVariants, ","), "variants: "+strings.Join(append(allVariants, moreVariants...), ", "))
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if o.Steps < 1 || o.Seeds < 1 || o.Samples < 1 || !(o.LR > 0) {
		return o, fmt.Errorf("-steps, -seeds, -samples and -lr must be positive")
	}
	if o.Batch < 4 || o.Batch%4 != 0 {
		return o, fmt.Errorf("-batch must be a positive multiple of 4, got %d", o.Batch)
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
