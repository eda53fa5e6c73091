package gan

import "github.com/gogan/gogan/data"

// RunDiscriminatorPass fills the discriminator pass's inputs from b, runs
// it, and returns its loss (of discriminator 0), the gradients of
// discriminator 0's learnables, and a function that reruns the pass on the
// same inputs and returns the loss (for finite differences). float64
// networks only.
func RunDiscriminatorPass(t *Trainer, b data.Batches) (float64, [][]float64, func() (float64, error), error) {
	if err := t.feed(t.d, b); err != nil {
		return 0, nil, nil, err
	}
	rerun := func() (float64, error) {
		if err := t.run(t.d); err != nil {
			return 0, err
		}
		return f64(t.d.losses[0]), nil
	}
	loss, err := rerun()
	if err != nil {
		return 0, nil, nil, err
	}
	var grads [][]float64
	for _, g := range t.d.grads[0] {
		grads = append(grads, append([]float64(nil), g.Data().([]float64)...))
	}
	return loss, grads, rerun, nil
}

func f64(v interface{ Data() any }) float64 {
	if f, ok := v.Data().(float64); ok {
		return f
	}
	return v.Data().([]float64)[0]
}
