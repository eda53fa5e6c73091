package data

import (
	"testing"

	"github.com/stretchr/testify/require"
)

type counting int

func (c counting) Len() int                { return int(c) }
func (c counting) Shape() []int            { return []int{1} }
func (c counting) At(i int, dst []float32) { dst[0] = float32(i) }

func TestLoaderStateResumesExactly(t *testing.T) {
	straight := NewLoader(counting(10), 3)
	resumed := NewLoader(counting(10), 3)
	buf := make([]float32, 3)
	for i := 0; i < 7; i++ { // crosses two epoch boundaries
		require.NoError(t, straight.Next(buf))
		require.NoError(t, resumed.Next(buf))
	}
	st, err := resumed.MarshalState()
	require.NoError(t, err)
	fresh := NewLoader(counting(10), 99) // another seed: everything comes from the state
	require.NoError(t, fresh.UnmarshalState(st))
	require.Equal(t, straight.Epoch(), fresh.Epoch())
	a, b := make([]float32, 3), make([]float32, 3)
	for i := 0; i < 10; i++ {
		require.NoError(t, straight.Next(a))
		require.NoError(t, fresh.Next(b))
		require.Equal(t, a, b, "batch %d after resume", i)
	}

	require.ErrorContains(t, NewLoader(counting(11), 1).UnmarshalState(st), "dataset of 10 samples, this one has 11")
	bad := append([]byte(nil), st...)
	bad[len(bad)-8] = bad[len(bad)-16] // duplicate an index
	require.ErrorContains(t, fresh.UnmarshalState(bad), "not a permutation")
	require.ErrorContains(t, fresh.UnmarshalState(st[:len(st)-1]), "wrong length")
	require.ErrorContains(t, fresh.UnmarshalState([]byte("junk")), "not a gogan-loader-1 state")
}

func TestSourceLoaderStateResumesExactly(t *testing.T) {
	a := NewSourceLoader(NewRing8(), 5)
	buf := make([]float32, 8)
	require.NoError(t, a.Next(buf))
	st, err := a.MarshalState()
	require.NoError(t, err)
	b := NewSourceLoader(NewRing8(), 6)
	require.NoError(t, b.UnmarshalState(st))
	x, y := make([]float32, 8), make([]float32, 8)
	require.NoError(t, a.Next(x))
	require.NoError(t, b.Next(y))
	require.Equal(t, x, y)
	require.Error(t, b.UnmarshalState(append(st, 0)))
}
