package gan_test

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/tensorfile"
	"github.com/stretchr/testify/require"
)

// TestLoadCheckpointRefusesNonFiniteTensors: a checkpoint whose weights
// or optimizer state hold a NaN or an infinity (checksum intact: saved
// so, not damaged on disk) is refused, naming the tensor, and the
// trainer is left as it was.
func TestLoadCheckpointRefusesNonFiniteTensors(t *testing.T) {
	tr, b := newResumable(t, 1)
	steps(t, tr, b, 2)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.gogan")
	require.NoError(t, tr.SaveCheckpoint(good, b, nil))
	f, err := tensorfile.ReadFile(good)
	require.NoError(t, err)
	var weight, moment string
	for _, ten := range f.Tensors {
		if weight == "" && strings.HasPrefix(ten.Name, "generator/") {
			weight = ten.Name
		}
		if moment == "" && strings.HasPrefix(ten.Name, "optimizer/discriminator/") {
			moment = ten.Name
		}
	}
	require.NotEmpty(t, weight)
	require.NotEmpty(t, moment)
	for _, c := range []struct {
		name string
		v    float64
	}{{weight, math.NaN()}, {moment, math.Inf(1)}} {
		bad, err := tensorfile.ReadFile(good)
		require.NoError(t, err)
		for i := range bad.Tensors {
			if bad.Tensors[i].Name == c.name {
				switch d := bad.Tensors[i].Data.(type) {
				case []float64:
					d[len(d)-1] = c.v
				case []float32:
					d[len(d)-1] = float32(c.v)
				}
			}
		}
		path := filepath.Join(dir, "bad.gogan")
		require.NoError(t, tensorfile.WriteFile(path, bad))
		fresh, fb := newResumable(t, 1)
		_, err = fresh.LoadCheckpoint(path, fb)
		require.ErrorIs(t, err, gan.ErrNonFinite)
		require.ErrorContains(t, err, c.name)
		require.Equal(t, 0, fresh.Steps(), "a refused checkpoint changed the trainer")
	}
}

// TestSaveCheckpointRefusesNonFiniteWeights: a trainer whose weights hold
// a NaN does not overwrite its last good checkpoint.
func TestSaveCheckpointRefusesNonFiniteWeights(t *testing.T) {
	tr, b := newResumable(t, 1)
	steps(t, tr, b, 2)
	path := filepath.Join(t.TempDir(), "c.gogan")
	require.NoError(t, tr.SaveCheckpoint(path, b, nil))
	before, err := os.ReadFile(path)
	require.NoError(t, err)
	p := tr.Generator().Params().All()[0]
	switch d := p.Value.Data().(type) {
	case []float64:
		d[0] = math.NaN()
	case []float32:
		d[0] = float32(math.NaN())
	}
	err = tr.SaveCheckpoint(path, b, nil)
	require.ErrorIs(t, err, gan.ErrNonFinite)
	require.ErrorContains(t, err, "generator/"+p.Name)
	after, rerr := os.ReadFile(path)
	require.NoError(t, rerr)
	require.Equal(t, before, after, "the last good checkpoint was replaced")
}
