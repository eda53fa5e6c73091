package gan

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAdversaryWeights(t *testing.T) {
	w, err := adversaryWeights(nil, 2, 3)
	require.NoError(t, err)
	require.Equal(t, [][]float64{{1, 1, 1}, {1, 1, 1}}, w)
	_, err = adversaryWeights([][]float64{{1, 1}}, 2, 2)
	require.ErrorContains(t, err, "AdversaryWeights has 1 rows, want one per generator (2)")
	_, err = adversaryWeights([][]float64{{1, 0}, {1, 0}}, 2, 2)
	require.ErrorContains(t, err, "discriminator 1 has no adversary")
	_, err = adversaryWeights([][]float64{{0, 0}, {1, 1}}, 2, 2)
	require.ErrorContains(t, err, "generator 0 has no adversary")
	_, err = adversaryWeights([][]float64{{1, math.NaN()}, {1, 1}}, 2, 2)
	require.ErrorContains(t, err, "AdversaryWeights[0][1] = NaN")
}
