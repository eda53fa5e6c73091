// Command mnisteval scores generated MNIST digits with the shipped
// classifier of package metrics/mnistclf: the class histogram of the
// digits, its KL divergence from the uniform distribution (0 when every
// class is equally frequent, log 10 ≈ 2.303 when all digits are one class)
// and the Fréchet distance between the classifier's features of the
// generated digits and of the 2,000 real digits the classifier never saw
// (an FID-like score on MNIST-classifier features, not Inception's; lower
// is better, and real training digits score about 2.4 against them).
//
//	go run ./cmd/mnisteval run-mlp/generated-images-idx3-ubyte
//	go run ./cmd/mnisteval -data ../shared/data/mnist10k FILE...
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/metrics"
	"github.com/gogan/gogan/metrics/mnistclf"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "mnisteval:", err)
		os.Exit(1)
	}
}

func run(args []string, out, errOut io.Writer) error {
	fs := flag.NewFlagSet("mnisteval", flag.ContinueOnError)
	fs.SetOutput(errOut)
	dataDir := fs.String("data", "../shared/data/mnist10k", "directory of the real MNIST digits whose last 2,000 are the reference")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("name at least one IDX file of generated 28x28 digits")
	}
	clf, err := mnistclf.Load()
	if err != nil {
		return err
	}
	real, err := data.LoadMNIST(*dataDir)
	if err != nil {
		return err
	}
	if real.N < mnistclf.TrainSize+mnistclf.HeldOutSize || real.H != 28 || real.W != 28 {
		return fmt.Errorf("%s: want at least %d digits of 28x28, have %d of %dx%d",
			*dataDir, mnistclf.TrainSize+mnistclf.HeldOutSize, real.N, real.H, real.W)
	}
	ref, err := real.Floats(mnistclf.TrainSize, mnistclf.TrainSize+mnistclf.HeldOutSize)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "classifier: %s, %.2f%% held-out accuracy\n", mnistclf.Architecture, 100*clf.Meta().HeldOutAccuracy)
	for _, path := range fs.Args() {
		gen, err := data.ReadImagesIDX(path, "")
		if err != nil {
			return err
		}
		if gen.H != 28 || gen.W != 28 || gen.C != 1 || gen.N < 2 {
			return fmt.Errorf("%s: want at least 2 gray 28x28 digits, have %d of %dx%dx%d", path, gen.N, gen.C, gen.H, gen.W)
		}
		pixels, err := gen.Floats(0, gen.N)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		hist, err := clf.ClassHistogram(pixels, gen.N)
		if err != nil {
			return err
		}
		kl, err := metrics.KLFromUniform(hist)
		if err != nil {
			return err
		}
		fd, err := clf.FrechetDistance(ref, pixels, mnistclf.HeldOutSize, gen.N)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s: %d digits\n  classes 0-9:", path, gen.N)
		for _, h := range hist {
			fmt.Fprintf(out, " %.3f", h)
		}
		fmt.Fprintf(out, "\n  KL from uniform %.3f, Frechet distance to held-out real digits %.2f\n", kl, fd)
	}
	return nil
}
