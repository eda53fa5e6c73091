// Command sampleidx draws digits from a saved generator alone (a model
// file of Trainer.Save, or a checkpoint, whose generator holds the live
// weights while the model file holds the EMA average when
// gan.Config.GeneratorEMA was on) and writes them as an IDX3 ubyte file,
// mapping [-1, 1] to 0..255 as MNIST stores digits, for cmd/mnisteval.
// No discriminator and no trainer are needed.
//
//	go run ./cmd/sampleidx -model run-mlp/model.gogan -n 10000 -out ema-idx3-ubyte
//	go run ./cmd/sampleidx -model run-mlp/checkpoint.gogan -n 10000 -out live-idx3-ubyte
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/models"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "sampleidx:", err)
		os.Exit(1)
	}
}

func run(args []string, out, errOut io.Writer) error {
	fs := flag.NewFlagSet("sampleidx", flag.ContinueOnError)
	fs.SetOutput(errOut)
	model := fs.String("model", "", "model file or checkpoint holding a generator (required)")
	n := fs.Int("n", 10000, "number of samples")
	seed := fs.Uint64("seed", 1, "seed of the noise")
	path := fs.String("out", "", "IDX3 file to write (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	case *model == "" || *path == "":
		return fmt.Errorf("-model and -out are required")
	case *n < 1:
		return fmt.Errorf("-n must be positive, got %d", *n)
	}
	gen, _, _, err := models.Load(*model)
	if err != nil {
		return err
	}
	if gen == nil {
		return fmt.Errorf("%s describes no generator", *model)
	}
	shape := gen.SampleShape()
	if !(len(shape) == 2 || len(shape) == 3 && shape[0] == 1) {
		return fmt.Errorf("%s: the generator makes samples of shape %v, want gray images [1 H W] or [H W]", *model, shape)
	}
	h, w := shape[len(shape)-2], shape[len(shape)-1]
	s, err := gan.NewSampler(gen, nil, *seed)
	if err != nil {
		return err
	}
	const chunk = 500 // keeps the sampling graph small
	pix := make([]byte, 0, *n*h*w)
	for done := 0; done < *n; done += chunk {
		x, err := s.Sample(min(chunk, *n-done))
		if err != nil {
			return err
		}
		switch v := x.Data().(type) {
		case []float32:
			for _, p := range v {
				pix = append(pix, data.ToByte(p))
			}
		case []float64:
			for _, p := range v {
				pix = append(pix, data.ToByte(float32(p)))
			}
		}
	}
	idx, err := data.NewIDXUint8(pix, *n, h, w)
	if err != nil {
		return err
	}
	if err := data.WriteIDXFile(*path, idx); err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %d samples of %dx%d from %s to %s\n", *n, h, w, *model, *path)
	return nil
}
