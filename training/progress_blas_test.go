package training_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/monitor"
	"github.com/gogan/gogan/ops"
	"github.com/gogan/gogan/training"
	"github.com/stretchr/testify/require"
)

// TestProgressNamesTheBLAS: the progress starts with one line naming the
// BLAS of the CPU's matrix products.
func TestProgressNamesTheBLAS(t *testing.T) {
	var log bytes.Buffer
	_, err := training.Loop{Steps: 2, Log: &log}.Run(context.Background(), newTrainer(t), data.NewLoader(&poisoned{}, 1),
		&training.Progress{Mode: monitor.ModePlain, Every: 1})
	require.NoError(t, err)
	first, _, _ := strings.Cut(log.String(), "\n")
	require.Equal(t, "BLAS: "+ops.BLAS(), first)
}
