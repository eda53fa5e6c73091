// Command mnisteval scores generated MNIST digits with the shipped
// classifier of package metrics/mnistclf: the class histogram of the
// digits, its KL divergence from the uniform distribution (0 when every
// class is equally frequent, log 10 ≈ 2.303 when all digits are one class)
// and the Fréchet distance between the classifier's features of the
// generated digits and of the 2,000 real digits the classifier never saw
// (an FID-like score on MNIST-classifier features, not Inception's; lower
// is better, and real training digits score about 2.4 against them).
//
// For the digits of a class-conditional generator it also reports the
// requested-class accuracy: the share of digits the classifier assigns to
// the class that was asked for, overall and per class, read from an IDX
// label file (-labels, or generated-labels-idx1-ubyte beside an images
// file named generated-images-idx3-ubyte, as examples/mnist -conditional
// -export writes them), and the class coverage, the number of classes
// that hold at least half their uniform share (5%) of the digits.
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
	"path/filepath"
	"strings"

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
	labelsPath := fs.String("labels", "", "IDX file of the classes the digits were generated for (one file only; default: the generated-labels-idx1-ubyte beside each images file, when present)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("name at least one IDX file of generated 28x28 digits")
	}
	if *labelsPath != "" && fs.NArg() > 1 {
		return fmt.Errorf("-labels goes with one images file, not %d", fs.NArg())
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
		fmt.Fprintf(out, "  class coverage %d of %d\n", coverage(hist), len(hist))
		lp := *labelsPath
		if lp == "" {
			lp = siblingLabels(path)
		}
		if lp == "" {
			continue
		}
		if err := requestedAccuracy(out, clf, gen, lp); err != nil {
			return err
		}
	}
	return nil
}

// coverage returns the number of classes that hold at least half their
// uniform share of the digits.
func coverage(hist []float64) int {
	n := 0
	for _, h := range hist {
		if h >= 0.5/float64(len(hist)) {
			n++
		}
	}
	return n
}

// siblingLabels returns the generated-labels-idx1-ubyte file beside an
// images file named generated-images-idx3-ubyte (any prefix or suffix such
// as .gz kept), or "" if there is none.
func siblingLabels(images string) string {
	dir, base := filepath.Split(images)
	if !strings.Contains(base, "images-idx3-ubyte") {
		return ""
	}
	p := filepath.Join(dir, strings.Replace(base, "images-idx3-ubyte", "labels-idx1-ubyte", 1))
	if st, err := os.Stat(p); err != nil || st.IsDir() {
		return ""
	}
	return p
}

// requestedAccuracy prints the share of gen's digits that the classifier
// assigns to the class in the label file at path, overall and per class.
func requestedAccuracy(out io.Writer, clf *mnistclf.Classifier, gen *data.Images, path string) error {
	x, err := data.ReadIDXFile(path)
	if err != nil {
		return err
	}
	labels, err := x.Uint8s()
	if err != nil || len(x.Dims) != 1 {
		return fmt.Errorf("%s: want a label file of ubyte with 1 dim, have %v with dims %v", path, x.Type, x.Dims)
	}
	if len(labels) != gen.N {
		return fmt.Errorf("%s has %d labels for %d digits", path, len(labels), gen.N)
	}
	pixels, err := gen.Floats(0, gen.N)
	if err != nil {
		return err
	}
	pred, err := clf.Predict(pixels, gen.N)
	if err != nil {
		return err
	}
	var right, count [mnistclf.NumClasses]int
	total := 0
	for i, l := range labels {
		if int(l) >= mnistclf.NumClasses {
			return fmt.Errorf("%s: label %d of digit %d is not a digit class", path, l, i)
		}
		count[l]++
		if pred[i] == int(l) {
			right[l]++
			total++
		}
	}
	fmt.Fprintf(out, "  requested-class accuracy %.2f%% (%d of %d, labels %s)\n  per class 0-9:", 100*float64(total)/float64(gen.N), total, gen.N, path)
	for c := range count {
		if count[c] == 0 {
			fmt.Fprint(out, " -")
			continue
		}
		fmt.Fprintf(out, " %.3f", float64(right[c])/float64(count[c]))
	}
	fmt.Fprintln(out)
	return nil
}
