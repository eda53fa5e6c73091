package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/stretchr/testify/require"
)

// TestRequestedClassAccuracy scores 1,000 real digits labelled with their
// true classes (the classifier's accuracy on them) and with wrong ones.
func TestRequestedClassAccuracy(t *testing.T) {
	if _, err := os.Stat(sharedDigits); err != nil {
		t.Skipf("real MNIST digits not found at %s: %v", sharedDigits, err)
	}
	real, err := data.LoadMNIST(sharedDigits)
	require.NoError(t, err)
	const n = 1000
	pix := real.Bytes[:n*784]
	dir := t.TempDir()
	images := filepath.Join(dir, "generated-images-idx3-ubyte")
	idx, err := data.NewIDXUint8(pix, n, 28, 28)
	require.NoError(t, err)
	require.NoError(t, data.WriteIDXFile(images, idx))
	wrong := make([]uint8, n)
	for i := range wrong {
		wrong[i] = (real.Labels[i] + 1) % 10
	}
	writeLabels := func(path string, l []uint8) {
		x, err := data.NewIDXUint8(l, len(l))
		require.NoError(t, err)
		require.NoError(t, data.WriteIDXFile(path, x))
	}
	writeLabels(filepath.Join(dir, "generated-labels-idx1-ubyte"), real.Labels[:n])
	writeLabels(filepath.Join(dir, "wrong-labels"), wrong)

	acc := regexp.MustCompile(`requested-class accuracy ([0-9.]+)%`)
	score := func(args ...string) float64 {
		var out bytes.Buffer
		require.NoError(t, run(append([]string{"-data", sharedDigits}, args...), &out, &out))
		m := acc.FindStringSubmatch(out.String())
		require.NotNil(t, m, out.String())
		require.Contains(t, out.String(), "class coverage 10 of 10")
		v, err := strconv.ParseFloat(m[1], 64)
		require.NoError(t, err)
		return v
	}
	require.Greater(t, score(images), 97.0) // the labels beside the images, found by name
	require.Less(t, score("-labels", filepath.Join(dir, "wrong-labels"), images), 3.0)

	writeLabels(filepath.Join(dir, "short"), wrong[:10])
	err = run([]string{"-data", sharedDigits, "-labels", filepath.Join(dir, "short"), images}, &bytes.Buffer{}, &bytes.Buffer{})
	require.ErrorContains(t, err, "has 10 labels for 1000 digits")
}
