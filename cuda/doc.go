// Package cuda binds the NVIDIA CUDA driver and cuBLAS at run time, for
// gogan's GPU backend (package gpu's CUDA device), without cgo: the
// libraries are opened with github.com/ebitengine/purego when the program
// is built with gogan's GPU build tag, cu, so the package compiles and is
// vetted on any machine, and a binary built with CGO_ENABLED=0 runs on a
// GPU machine that has the NVIDIA driver and nothing else: no CUDA SDK,
// no C compiler, no Go toolchain.
//
// # The build tags cu and cuda
//
// gogan's GPU tag is cu:
//
//	CGO_ENABLED=0 go build -tags cu ./...
//
// The tag cuda is Gorgonia's, and gogan never uses it. With it, Gorgonia
// v0.9.18 compiles its own CUDA engine (cuda.go, vm_tape_cuda.go,
// op_math_cuda.go, device_cuda.go, …), which imports gorgonia.org/cu and
// gorgonia.org/cu/dnn and needs cuda.h and cudnn.h at build time. That
// engine cannot serve: gorgonia.org/cu v0.9.x does not compile against
// CUDA 13 (cuCtxCreate, cuMemAdvise and cuMemPrefetchAsync changed
// signatures), gorgonia.org/cu/dnn not against cuDNN 9, every Gorgonia
// cuda engine links cuDNN, and several of its nn ops are wrong (swapped
// Conv2d gradient arguments, β = 1 accumulation, a batch norm that does
// not normalise). So `go build -tags cuda ./...` fails inside Gorgonia,
// while `-tags cu` leaves Gorgonia on its CPU engine and switches on only
// this package's bindings and package gpu's CUDA device.
//
// # Why not gorgonia.org/cu
//
// gogan binds the driver itself instead of using gorgonia.org/cu because
// cu v0.9.x does not compile against CUDA 13 (cuCtxCreate and others
// changed), and because cu needs cgo and the CUDA SDK's headers at build
// time, where gogan needs a CGO_ENABLED=0 binary, built anywhere, that
// runs on a GPU machine with only the driver. This package uses only
// calls whose signatures CUDA 13 kept (the primary context instead of
// cuCtxCreate) and binds them by their versioned names (cuMemAlloc_v2,
// …); cuBLAS is found as libcublas.so.13, .12 or .11.
//
// # What is bound
//
// The driver: devices, the primary context, memory (allocation, sets,
// copies in every direction, free/total), modules (PTX that the driver
// compiles, with its JIT error log on failure), kernel launches (one
// by-value struct parameter), synchronisation and the driver's version.
// cuBLAS: SGEMM on device pointers, row-major, and a host-copy SGEMM that
// checks that driver and cuBLAS work on a machine. Runtime's methods each
// make the context current on a locked OS thread; Runtime.Do does so once
// for a batch of calls (Ctx). A symbol missing from the driver or cuBLAS
// is an error of Open, naming it; a failed call's error names the call
// and carries cuGetErrorString's text.
//
// Without the build tag every entry point returns ErrNotBuilt; with it, on
// a machine without the NVIDIA driver, Open returns an error wrapping
// ErrNoDriver (and ErrNoDevice where the driver finds no GPU).
//
// On a machine with a GPU, build the test binaries here and run them
// there:
//
//	CGO_ENABLED=0 go test -c -tags cu -o cuda.test ./cuda
//	CGO_ENABLED=0 go test -c -tags cu -o gpu.test ./gpu
//	./cuda.test -test.v; ./gpu.test -test.v     # on the GPU machine
package cuda
