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
	"math"
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
	if *n > math.MaxUint32 {
		return fmt.Errorf("-n %d: an IDX file holds at most %d samples", *n, uint32(math.MaxUint32))
	}
	// The file must fit the data limit so that cmd/mnisteval can read it
	// back; it is written a chunk at a time, so memory does not grow with n.
	if err := data.CheckCount(fmt.Sprintf("-n %d: the IDX file of %d samples of %dx%d", *n, *n, h, w), int64(*n), int64(h*w)); err != nil {
		return fmt.Errorf("%w; the file must fit the limit to be read back (lower -n)", err)
	}
	const chunk = 500 // keeps the sampling graph small
	err = data.WriteImagesIDXFrom(*path, *n, h, w, chunk, func(_, k int) ([]float32, error) {
		x, err := s.Sample(k)
		if err != nil {
			return nil, err
		}
		switch v := x.Data().(type) {
		case []float32:
			return v, nil
		case []float64:
			f := make([]float32, len(v))
			for i, p := range v {
				f[i] = float32(p)
			}
			return f, nil
		}
		return nil, fmt.Errorf("samples of type %T", x.Data())
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %d samples of %dx%d from %s to %s\n", *n, h, w, *model, *path)
	return nil
}
