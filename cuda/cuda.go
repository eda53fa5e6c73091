package cuda

import (
	"errors"
	"fmt"
)

// ErrNotBuilt is returned by every entry point of a program built without
// the cu build tag.
var ErrNotBuilt = errors.New("cuda: gogan was built without the cu build tag (go build -tags cu)")

// ErrNoDriver is wrapped by Open, Devices and DriverVersion when the CUDA
// driver library (libcuda.so.1) cannot be loaded: no NVIDIA driver on
// this machine.
var ErrNoDriver = errors.New("cuda: the CUDA driver (libcuda.so.1) could not be loaded")

// ErrNoDevice is wrapped by Open and Devices when the driver loads but
// reports no CUDA device (cuInit's CUDA_ERROR_NO_DEVICE, or a device
// count of 0): a driver without a GPU, as in some containers.
var ErrNoDevice = errors.New("cuda: the CUDA driver found no CUDA device")

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

// A DevPtr is a device address (CUdeviceptr). Element i of a float32
// allocation at p is at p + 4·i.
type DevPtr uint64

// Version is a CUDA version as cuDriverGetVersion reports it:
// 1000·major + 10·minor (13000 is CUDA 13.0).
type Version int

// Major returns v's major version.
func (v Version) Major() int { return int(v) / 1000 }

// Minor returns v's minor version.
func (v Version) Minor() int { return int(v) % 1000 / 10 }

// String returns "major.minor", for example "13.0".
func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major(), v.Minor()) }
