package training_test

import (
	"fmt"
	"os"

	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/training"
)

// A Divergence fed the statistics of a run whose generator loss explodes
// (as at too high a learning rate): with a window of 3 steps it warns at
// the third step in a row above its threshold. In a Loop it is a
// callback, given to Progress and Report as well.
func ExampleDivergence() {
	d := &training.Divergence{LossAbove: 1e3, Window: 3}
	s := &training.State{Log: os.Stdout, Stepped: true}
	for i, gLoss := range []float64{0.8, 0.9, 5e3, 4e4, 3.4e9, 3.4e9} {
		s.Stats = gan.Stats{Step: i + 1, DLoss: 0, GLoss: gLoss, Diversity: 0.6}
		d.Record(s, training.Step)
	}
	diverged, at := d.Diverged()
	fmt.Println("diverged:", diverged, "at step", at)
	// Output:
	// warning: the run diverged at step 5: a loss above 1000 in absolute value for 3 steps in a row (now D loss 0, G loss 3.4e+09, diversity 0.6); lower the learning rate
	// diverged: true at step 5
}
