// Command trainclassifier trains the MNIST classifier that package
// metrics/mnistclf ships and writes its weights file.
//
// Usage, from the repository root:
//
//	go run ./cmd/trainclassifier [-data ../shared/data/mnist10k] [-out metrics/mnistclf/classifier.gogan]
//	    [-epochs 30] [-batch 50] [-lr 0.001] [-shift 2] [-seed 1]
//
// It loads the 10,000 labelled digits of mnist10k, trains on the first
// 8,000 and holds out the last 2,000 (see mnistclf.Train), prints each
// epoch's training loss and held-out accuracy and, at the end, the
// held-out accuracy, and writes the weights atomically to -out in the
// gogan tensor file format (package tensorfile) with JSON metadata
// recording the architecture, split, settings and held-out accuracy. The same flags
// give the same file bit for bit.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/metrics/mnistclf"
	"github.com/gogan/gogan/tensorfile"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "trainclassifier:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("trainclassifier", flag.ContinueOnError)
	dir := fs.String("data", "../shared/data/mnist10k", "directory of the mnist10k IDX files")
	out := fs.String("out", "metrics/mnistclf/classifier.gogan", "weights file to write")
	epochs := fs.Int("epochs", 30, "passes over the 8,000 training digits")
	batch := fs.Int("batch", 50, "mini-batch size")
	lr := fs.Float64("lr", 1e-3, "Adam learning rate")
	shift := fs.Int("shift", 2, "largest random translation in pixels (0: no augmentation)")
	seed := fs.Uint64("seed", 1, "random seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	images, err := data.LoadMNIST(*dir)
	if err != nil {
		return err
	}
	cmd := fmt.Sprintf("go run ./cmd/trainclassifier -epochs %d -batch %d -lr %s -shift %d -seed %d",
		*epochs, *batch, strconv.FormatFloat(*lr, 'g', -1, 64), *shift, *seed)
	fmt.Printf("training %s\non the first %d of %d digits in %s, holding out the last %d\n",
		mnistclf.Architecture, mnistclf.TrainSize, images.N, *dir, mnistclf.HeldOutSize)
	start := time.Now()
	f, c, err := mnistclf.Train(images, mnistclf.TrainConfig{
		Epochs: *epochs, BatchSize: *batch, LR: *lr, Shift: *shift, Seed: *seed,
		Command: cmd, Log: os.Stdout,
	})
	if err != nil {
		return err
	}
	if err := tensorfile.WriteFile(*out, f); err != nil {
		return err
	}
	if _, err := mnistclf.LoadFile(*out); err != nil {
		return fmt.Errorf("verify written file: %w", err)
	}
	st, err := os.Stat(*out)
	if err != nil {
		return err
	}
	fmt.Printf("held-out accuracy %.2f%% (%d digits) after %d epochs in %s\n",
		100*c.Meta().HeldOutAccuracy, mnistclf.HeldOutSize, *epochs, time.Since(start).Round(100*time.Millisecond))
	fmt.Printf("wrote %s (%d bytes)\n", *out, st.Size())
	return nil
}
