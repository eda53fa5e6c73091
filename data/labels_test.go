package data

import (
	"image/color"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNextLabeledIsNextWithLabels checks that NextLabeled takes the same
// samples as Next, labels them right, and leaves the Loader in the same
// state, so labelled and unlabelled streams checkpoint alike.
func TestNextLabeledIsNextWithLabels(t *testing.T) {
	const n, d, b = 23, 3, 5
	labels := make([]int, n)
	for i := range labels {
		labels[i] = (i * 7) % 4
	}
	ds, err := NewLabeled(seq{n, d}, labels, 4)
	require.NoError(t, err)
	plain, lab := NewLoader(seq{n, d}, 9), NewLoader(ds, 9)
	require.Equal(t, 0, plain.NumClasses())
	require.Equal(t, 4, lab.NumClasses())
	x, y := make([]float32, b*d), make([]float32, b*d)
	got := make([]int, b)
	for step := 0; step < 12; step++ { // several epochs
		require.NoError(t, plain.Next(x))
		if step%3 == 0 {
			require.NoError(t, lab.Next(y)) // mixing the two keeps the stream
		} else {
			require.NoError(t, lab.NextLabeled(y, got))
			for k, i := range ids(t, y, d) {
				require.Equal(t, labels[i], got[k], "step %d sample %d", step, k)
			}
		}
		require.Equal(t, x, y, "step %d", step)
		a, err := plain.MarshalState()
		require.NoError(t, err)
		c, err := lab.MarshalState()
		require.NoError(t, err)
		require.Equal(t, a, c)
	}
	require.ErrorContains(t, plain.NextLabeled(x, got), "has no labels")
	require.ErrorContains(t, lab.NextLabeled(x, got[:2]), "2 labels for a batch of 15 values")
}

func TestNewLabeledAndSlicesErrors(t *testing.T) {
	_, err := NewLabeled(seq{3, 1}, []int{0, 1}, 2)
	require.ErrorContains(t, err, "2 labels for 3 samples")
	_, err = NewLabeled(seq{2, 1}, []int{0, 2}, 2)
	require.ErrorContains(t, err, "label 2 of sample 1 is outside [0, 2)")
	_, err = NewLabeled(seq{2, 1}, []int{0, 0}, 0)
	require.ErrorContains(t, err, "must be positive")
	_, err = NewSlices([]int{2}, make([]float32, 5))
	require.ErrorContains(t, err, "5 values are not a positive whole number")
	s, err := NewSlices([]int{2}, []float32{1, 2, 3, 4, 5, 6})
	require.NoError(t, err)
	require.Equal(t, 3, s.Len())
	dst := make([]float32, 2)
	s.At(2, dst)
	require.Equal(t, []float32{5, 6}, dst)

	m, err := NewImages(1, 1, 1, []uint8{0, 1, 2}, []uint8{3, 0, 7})
	require.NoError(t, err)
	require.Equal(t, 8, m.NumClasses())
	require.Equal(t, 7, m.Label(2))
	m.Labels = nil
	require.Equal(t, 0, m.NumClasses())
}

// TestLoadImageDirClasses reads a folder whose subfolders are classes.
func TestLoadImageDirClasses(t *testing.T) {
	dir := t.TempDir()
	writeImageFile(t, filepath.Join(dir, "b-cats", "x.png"), solid(4, 4, color.Gray{Y: 255}), false)
	writeImageFile(t, filepath.Join(dir, "b-cats", "deep", "y.png"), solid(4, 4, color.Gray{Y: 255}), false)
	writeImageFile(t, filepath.Join(dir, "a-dogs", "z.png"), solid(4, 4, color.Gray{Y: 0}), false)
	writeImageFile(t, filepath.Join(dir, "top.png"), solid(4, 4, color.Gray{Y: 128}), false) // not in a class: ignored
	ds, names, err := LoadImageDirClasses(dir, ImageDirOptions{Size: 2, Gray: true})
	require.NoError(t, err)
	require.Equal(t, []string{"a-dogs", "b-cats"}, names)
	require.Equal(t, 3, ds.Len())
	require.Equal(t, 2, ds.NumClasses())
	px := make([]float32, 4)
	for i, want := range []struct {
		label int
		value float32
	}{{0, -1}, {1, 1}, {1, 1}} {
		require.Equal(t, want.label, ds.Label(i))
		ds.At(i, px)
		require.Equal(t, []float32{want.value, want.value, want.value, want.value}, px)
	}

	_, _, err = LoadImageDirClasses(filepath.Join(dir, "a-dogs"), ImageDirOptions{Size: 2})
	require.ErrorContains(t, err, "has no subfolders")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "c-empty"), 0o755))
	_, _, err = LoadImageDirClasses(dir, ImageDirOptions{Size: 2})
	require.ErrorContains(t, err, `class "c-empty"`)
}
