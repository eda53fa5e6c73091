package losses_test

import (
	"math"
	"testing"

	"github.com/gogan/gogan/losses"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"
)

func TestRealLabelSmoothing(t *testing.T) {
	l, err := losses.SmoothReal(losses.NonSaturating{}, 0.9)
	require.NoError(t, err)
	require.Equal(t, "nonsaturating+smooth0.9", l.Name())
	real, fake := []float64{1, 3}, []float64{-1, 2}
	sp := losses.Softplus
	want := ((0.9*sp(-1)+0.1*sp(1))+(0.9*sp(-3)+0.1*sp(3)))/2 + (sp(-1)+sp(2))/2
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		got, grads := evalD(t, dt, l, real, fake)
		require.InDelta(t, want, got, 1e-5)
		// d/dr of the real term: (−0.9·σ(−r) + 0.1·σ(r))/batch; the optimum is σ(r) = 0.9.
		for i, r := range real {
			s := 1 / (1 + math.Exp(-r))
			require.InDelta(t, (-0.9*(1-s)+0.1*s)/2, grads[0][i], 1e-5)
		}
	}
	// Target 1 is the base loss; the generator's loss is unchanged.
	one, err := losses.SmoothReal(losses.Minimax{}, 1)
	require.NoError(t, err)
	a, _ := evalD(t, tensor.Float64, one, real, fake)
	b, _ := evalD(t, tensor.Float64, losses.Minimax{}, real, fake)
	require.InDelta(t, b, a, 1e-12)
	g1, _ := evalG(t, tensor.Float64, l, fake)
	g2, _ := evalG(t, tensor.Float64, losses.NonSaturating{}, fake)
	require.Equal(t, g2, g1)

	_, err = losses.SmoothReal(losses.Hinge{}, 0.9)
	require.ErrorContains(t, err, "needs the minimax or nonsaturating loss, not hinge")
	_, err = losses.SmoothReal(losses.NonSaturating{}, 1.2)
	require.ErrorContains(t, err, "outside (0, 1]")
}
