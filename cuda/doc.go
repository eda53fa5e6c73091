// Package cuda binds the NVIDIA CUDA driver and cuBLAS at run time, for
// gogan's GPU backend (issue "GPU training"), without cgo: the libraries
// are opened with github.com/ebitengine/purego when the program is built
// with the build tag cuda, so the package compiles and is vetted on any
// machine, and a binary built with CGO_ENABLED=0 runs on a GPU machine
// that has no Go toolchain.
//
// Why not Gorgonia's own cuda path: gorgonia.org/cu v0.9.6 does not
// compile against CUDA 13 (cuCtxCreate, cuMemAdvise and cuMemPrefetchAsync
// changed signatures), gorgonia.org/cu/dnn not against cuDNN 9, every
// Gorgonia cuda engine links cuDNN, and several of its nn ops are wrong
// (swapped Conv2d gradient arguments, β = 1 accumulation, a batch norm
// that does not normalise). This package uses only calls whose signatures
// CUDA 13 kept (the primary context instead of cuCtxCreate).
//
// The build tag cuda collides with Gorgonia v0.9.18's own: with it,
// Gorgonia compiles its CUDA engine (cuda.go, vm_tape_cuda.go,
// op_math_cuda.go, device_cuda.go, …), which imports gorgonia.org/cu and
// needs cuda.h and cudnn.h at build time. So today only this package
// builds with -tags cuda; `go build -tags cuda ./...` fails inside
// Gorgonia. Making the whole module build with the tag needs either a
// patched Gorgonia (its cuda-tagged files moved to another tag, through a
// replace directive) or a cgo-free stand-in for gorgonia.org/cu; that
// decision belongs to the GPU issue.
//
// Status: the driver (devices, primary context, memory, copies) and
// cuBLAS's SGEMM are bound, with a test that checks SGEMM on the GPU
// against the CPU; the trainer's GPU backend (kernels for the reference
// networks' ops, graph compilation, a device-resident training step) is
// not built yet, so gan.Config.Device "cuda" is refused with an error
// that says so. Without the build tag every entry point returns
// ErrNotBuilt.
//
// On a machine with a GPU, build the test binary here and run it there:
//
//	CGO_ENABLED=0 go test -c -tags cuda -o cuda.test ./cuda
//	./cuda.test -test.v     # on the GPU machine
package cuda
