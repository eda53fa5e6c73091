//go:build !cu

package gan_test

import (
	"testing"

	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/gpu"
	"github.com/stretchr/testify/require"
)

// TestCUDARefusedWithoutTag: without the cu build tag a GPU device is
// refused at NewTrainer, saying that the program lacks the tag.
func TestCUDARefusedWithoutTag(t *testing.T) {
	for _, dev := range []string{"cuda", "cuda:0", "cuda:3"} {
		gen, disc := toyNets(t, 1, false, 0)
		_, err := gan.NewTrainer(gen, disc, gan.Config{Device: dev})
		require.ErrorIs(t, err, gpu.ErrNotBuilt, "device %q", dev)
		require.ErrorContains(t, err, `Device "`+dev+`"`)
		require.ErrorContains(t, err, "-tags cu")
	}
}
