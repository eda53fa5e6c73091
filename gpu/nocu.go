//go:build !cu

package gpu

import (
	"fmt"

	"github.com/gogan/gogan/cuda"
)

// OpenCUDA returns an error wrapping cuda.ErrNotBuilt: the program was
// built without the cu build tag.
func OpenCUDA(ordinal int) (Device, error) {
	return nil, fmt.Errorf("gpu: cuda:%d: %w", ordinal, cuda.ErrNotBuilt)
}
