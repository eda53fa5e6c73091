package cuda

import (
	"errors"
	"fmt"
)

// ErrNotBuilt is returned by every entry point of a program built without
// the cuda build tag.
var ErrNotBuilt = errors.New("cuda: gogan was built without the cuda build tag (go build -tags cuda)")

// ErrNoDriver is wrapped by Open and Devices when the CUDA driver library
// (libcuda.so.1) cannot be loaded: no NVIDIA driver on this machine.
var ErrNoDriver = errors.New("cuda: the CUDA driver (libcuda.so.1) could not be loaded")

// A Device describes one CUDA device.
type Device struct {
	// Index is the device's ordinal, as in "cuda:0".
	Index int
	// Name is the device's name, for example "NVIDIA H100 80GB HBM3".
	Name string
	// Memory is the device's total memory in bytes.
	Memory uint64
}

// String returns "cuda:N (name, M GiB)".
func (d Device) String() string {
	return fmt.Sprintf("cuda:%d (%s, %.1f GiB)", d.Index, d.Name, float64(d.Memory)/(1<<30))
}
