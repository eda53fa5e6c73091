package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/stretchr/testify/require"
)

const sharedDigits = "../../../shared/data/mnist10k"

func TestScoresRealDigitsAsNearlyPerfect(t *testing.T) {
	if _, err := os.Stat(sharedDigits); err != nil {
		t.Skipf("real MNIST digits not found at %s: %v", sharedDigits, err)
	}
	real, err := data.LoadMNIST(sharedDigits)
	require.NoError(t, err)
	// The first 2,000 training digits stand in for a perfect generator.
	pix := real.Bytes[:2000*784]
	idx, err := data.NewIDXUint8(pix, 2000, 28, 28)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "gen-idx3-ubyte")
	require.NoError(t, data.WriteIDXFile(path, idx))
	// A collapsed generator: one digit 2,000 times.
	one := make([]uint8, 2000*784)
	for i := range one {
		one[i] = pix[i%784]
	}
	idx1, err := data.NewIDXUint8(one, 2000, 28, 28)
	require.NoError(t, err)
	collapsed := filepath.Join(t.TempDir(), "collapsed-idx3-ubyte")
	require.NoError(t, data.WriteIDXFile(collapsed, idx1))

	var out bytes.Buffer
	require.NoError(t, run([]string{"-data", sharedDigits, path, collapsed}, &out, io.Discard))
	s := out.String()
	require.Contains(t, s, "97.65% held-out accuracy")
	require.Regexp(t, `gen-idx3-ubyte: 2000 digits\n  classes 0-9:( 0\.\d{3}){10}\n  KL from uniform 0\.0\d\d, Frechet distance to held-out real digits [0-4]\.\d\d\n`, s)
	require.Regexp(t, `collapsed-idx3-ubyte: 2000 digits\n  classes 0-9:( [01]\.\d{3}){10}\n  KL from uniform 2\.303, Frechet distance to held-out real digits \d{3}\.\d\d\n`, s)
}

func TestErrors(t *testing.T) {
	require.ErrorContains(t, run(nil, io.Discard, io.Discard), "name at least one IDX file")
	require.Error(t, run([]string{"-data", t.TempDir(), "x"}, io.Discard, io.Discard))
}
