package data

import (
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// seq is a Dataset of n samples of size d; element j of sample i is
// i*d + j, so a batch tells which samples it holds.
type seq struct{ n, d int }

func (s seq) Len() int     { return s.n }
func (s seq) Shape() []int { return []int{s.d} }
func (s seq) At(i int, dst []float32) {
	for j := range dst {
		dst[j] = float32(i*s.d + j)
	}
}

// ids returns the sample indices in a batch from seq.
func ids(t *testing.T, batch []float32, d int) []int {
	var out []int
	for k := 0; k < len(batch); k += d {
		i := int(batch[k]) / d
		for j := 0; j < d; j++ {
			require.Equal(t, float32(i*d+j), batch[k+j], "sample copied whole")
		}
		out = append(out, i)
	}
	return out
}

func TestLoaderEpochs(t *testing.T) {
	l := NewLoader(seq{n: 10, d: 3}, 42)
	require.Equal(t, []int{3}, l.Shape())
	batch := make([]float32, 4*3)
	var epochs [][]int
	for e := 0; e < 5; e++ {
		require.Equal(t, e, l.Epoch())
		var seen []int
		for b := 0; b < 2; b++ { // 10 samples: two batches of 4, 2 dropped
			require.NoError(t, l.Next(batch))
			seen = append(seen, ids(t, batch, 3)...)
		}
		require.Equal(t, e+1, l.Epoch(), "the epoch ends as soon as too few samples remain")
		s := append([]int(nil), seen...)
		sort.Ints(s)
		for i := 1; i < len(s); i++ {
			require.NotEqual(t, s[i-1], s[i], "no sample twice in an epoch")
		}
		epochs = append(epochs, seen)
	}
	require.NotEqual(t, epochs[0], epochs[1], "reshuffled each epoch")

	// Same seed, same batches; another seed, others.
	again, other := NewLoader(seq{n: 10, d: 3}, 42), NewLoader(seq{n: 10, d: 3}, 43)
	var a, o [][]int
	for e := 0; e < 5; e++ {
		var sa, so []int
		for b := 0; b < 2; b++ {
			require.NoError(t, again.Next(batch))
			sa = append(sa, ids(t, batch, 3)...)
			require.NoError(t, other.Next(batch))
			so = append(so, ids(t, batch, 3)...)
		}
		a, o = append(a, sa), append(o, so)
	}
	require.Equal(t, epochs, a)
	require.NotEqual(t, epochs, o)
}

func TestLoaderCoversEverySampleEachEpoch(t *testing.T) {
	l := NewLoader(seq{n: 12, d: 1}, 7)
	batch := make([]float32, 3)
	for e := 0; e < 3; e++ {
		var seen []int
		for b := 0; b < 4; b++ {
			require.NoError(t, l.Next(batch))
			seen = append(seen, ids(t, batch, 1)...)
		}
		sort.Ints(seen)
		require.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, seen)
		require.Equal(t, e+1, l.Epoch())
	}
	// A larger batch than what is left ends the epoch first.
	require.NoError(t, l.Next(make([]float32, 5)))
	require.Equal(t, 3, l.Epoch())
	// 7 left: a batch of 10 starts epoch 4, and the 2 left after it end it.
	require.NoError(t, l.Next(make([]float32, 10)))
	require.Equal(t, 5, l.Epoch())
}

func TestLoaderErrors(t *testing.T) {
	l := NewLoader(seq{n: 4, d: 3}, 1)
	require.EqualError(t, l.Next(make([]float32, 7)), "data: batch buffer of 7 values is not a positive multiple of the sample size 3")
	require.EqualError(t, l.Next(nil), "data: batch buffer of 0 values is not a positive multiple of the sample size 3")
	require.EqualError(t, l.Next(make([]float32, 15)), "data: batch of 5 samples is larger than the dataset of 4")
	require.EqualError(t, NewLoader(nil, 1).Next(make([]float32, 1)), "data: Loader has no dataset")
	require.EqualError(t, NewLoader(seq{n: 0, d: 1}, 1).Next(make([]float32, 1)), "data: batch of 1 samples is larger than the dataset of 0")
	require.EqualError(t, NewSourceLoader(nil, 1).Next(make([]float32, 1)), "data: SourceLoader has no source")
	require.EqualError(t, NewSourceLoader(NewRing8(), 1).Next(make([]float32, 3)), "data: batch buffer of 3 values is not a positive multiple of the sample size 2")
	require.Equal(t, 0, l.Epoch())
}

func TestSourceLoader(t *testing.T) {
	src := NewRing8()
	l := NewSourceLoader(src, 5)
	require.Equal(t, []int{2}, l.Shape())
	batch := make([]float32, 2*64)
	require.NoError(t, l.Next(batch))
	require.Equal(t, 0, l.Epoch())
	// Same as drawing with the same generator by hand.
	rng := rand.New(rand.NewPCG(5, loaderStream))
	want := make([]float32, 2*64)
	for k := 0; k < 64; k++ {
		src.Draw(rng, want[2*k:2*k+2])
	}
	require.Equal(t, want, batch)
	l2 := NewSourceLoader(src, 5)
	require.NoError(t, l2.Next(want))
	require.Equal(t, batch, want)
}

func TestNextDoesNotAllocate(t *testing.T) {
	img, err := NewImages(1, 4, 4, make([]uint8, 16*50), nil)
	require.NoError(t, err)
	l := NewLoader(img, 1)
	batch := make([]float32, 16*8)
	require.Zero(t, testing.AllocsPerRun(200, func() {
		if err := l.Next(batch); err != nil {
			panic(err)
		}
	}))
	require.Positive(t, l.Epoch())
	s := NewSourceLoader(NewGrid25(), 1)
	require.Zero(t, testing.AllocsPerRun(200, func() {
		if err := s.Next(batch); err != nil {
			panic(err)
		}
	}))
	g := NewSourceLoader(NewGaussian1D(), 1)
	require.Zero(t, testing.AllocsPerRun(200, func() {
		if err := g.Next(batch); err != nil {
			panic(err)
		}
	}))
}

func BenchmarkLoaderNextMNISTBatch64(b *testing.B) {
	img, err := NewImages(1, 28, 28, make([]uint8, 28*28*1000), nil)
	require.NoError(b, err)
	l := NewLoader(img, 1)
	batch := make([]float32, 64*28*28)
	b.ReportAllocs()
	for b.Loop() {
		if err := l.Next(batch); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSubsetAndLimit(t *testing.T) {
	s, err := Subset(seq{n: 10, d: 2}, []int{9, 0, 9})
	require.NoError(t, err)
	require.Equal(t, 3, s.Len())
	require.Equal(t, []int{2}, s.Shape())
	dst := make([]float32, 2)
	s.At(0, dst)
	require.Equal(t, []float32{18, 19}, dst)
	s.At(1, dst)
	require.Equal(t, []float32{0, 1}, dst)
	_, err = Subset(seq{n: 10, d: 2}, []int{10})
	require.EqualError(t, err, "data: Subset index 10 out of range [0, 10)")

	l := Limit(seq{n: 10, d: 2}, 4)
	require.Equal(t, 4, l.Len())
	l.At(3, dst)
	require.Equal(t, []float32{6, 7}, dst)
	require.Equal(t, 10, Limit(seq{n: 10, d: 2}, 50).Len())
	require.Equal(t, 0, Limit(seq{n: 10, d: 2}, -1).Len())
	require.Nil(t, Limit(nil, 3))
}
