package gpu

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gogan/gogan/cuda"
)

// Errors of Open, for errors.Is: a GPU device was asked for, and the
// program or the machine cannot provide it.
var (
	// ErrNotBuilt: the program was built without the cu build tag. It
	// wraps cuda.ErrNotBuilt.
	ErrNotBuilt = cuda.ErrNotBuilt
	// ErrNoDriver: built with the tag, but the NVIDIA driver
	// (libcuda.so.1) cannot be loaded. It is cuda.ErrNoDriver.
	ErrNoDriver = cuda.ErrNoDriver
	// ErrNoDevice: the driver finds no GPU. It is cuda.ErrNoDevice.
	ErrNoDevice = cuda.ErrNoDevice
)

// ParseName checks a device name: "host", "cuda" or "cuda:N". It returns
// the kind ("host" or "cuda") and the CUDA ordinal.
func ParseName(name string) (kind string, ordinal int, err error) {
	switch {
	case name == "host":
		return "host", 0, nil
	case name == "cuda":
		return "cuda", 0, nil
	case strings.HasPrefix(name, "cuda:"):
		n, err := strconv.Atoi(strings.TrimPrefix(name, "cuda:"))
		if err != nil || n < 0 {
			return "", 0, fmt.Errorf("gpu: device %q: want cuda:N with N a device number ≥ 0", name)
		}
		return "cuda", n, nil
	}
	return "", 0, fmt.Errorf("gpu: unknown device %q (want host, cuda or cuda:N)", name)
}

// Open opens the device that name (see ParseName) names: the Host device,
// or a CUDA device. Its error says why a CUDA device cannot be had, and
// wraps ErrNotBuilt, ErrNoDriver or ErrNoDevice accordingly.
func Open(name string) (Device, error) {
	kind, n, err := ParseName(name)
	if err != nil {
		return nil, err
	}
	if kind == "host" {
		return NewHost(), nil
	}
	d, err := OpenCUDA(n)
	switch {
	case errors.Is(err, ErrNotBuilt):
		return nil, fmt.Errorf("this program was built without the cu build tag (go build -tags cu): %w", err)
	case errors.Is(err, ErrNoDriver):
		return nil, fmt.Errorf("built with the cu tag, but this machine has no NVIDIA driver: %w", err)
	case errors.Is(err, ErrNoDevice):
		return nil, fmt.Errorf("the NVIDIA driver finds no GPU on this machine: %w", err)
	case err != nil:
		return nil, err
	}
	return d, nil
}
