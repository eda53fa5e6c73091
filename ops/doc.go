// Package ops provides Gorgonia operations that Gorgonia itself lacks, or
// that it builds from many slow nodes, for use in GAN models.
//
// ConvTranspose2d is a 2-D transposed ("fractionally strided")
// convolution with PyTorch's ConvTranspose2d semantics and kernel layout,
// as used by DCGAN generators; Conv2d is the ordinary convolution on the
// same kernels. Both are custom Gorgonia ops implementing G.Op, G.SDOp and
// G.UsePreallocDoer, so they work with G.Grad and the tape machine like
// built-in ops; their gradients are themselves custom ops and
// differentiable, so second-order gradients (for example a gradient
// penalty) also work. They use an im2col/col2im formulation with one
// matrix multiply per convolution over the whole batch (the BLAS's own
// threads), with im2col and col2im spread over GOMAXPROCS goroutines.
//
// BatchNorm and BatchStats are training-mode batch normalisation with
// closed-form gradients; AddBias adds a per-channel bias; LeakyReLU is
// Gorgonia's six-node composite in one op (ReLU is LeakyReLU with slope 0).
//
// Matrix products go through gonum's BLAS interface, on an optimized BLAS
// library found at run time (OpenBLAS, BLIS or MKL, loaded with purego:
// no cgo, no build tag) where one is installed, else on gogan's own
// pure-Go SGEMM (packed, cache-blocked, with an AVX-512 or AVX2+FMA
// micro-kernel in Go assembly, gonum's Sgemm on CPUs with neither); the
// environment variable GOGAN_BLAS chooses (see BLASEnv), BLAS
// names the one in use and SetBLASThreads sets its thread count, which
// otherwise follows GOMAXPROCS. The choice applies to the whole process:
// Gorgonia's and gonum's blas32/blas64 products too.
//
// Every node of these ops keeps its output tensor between runs of a
// machine instead of allocating it anew, so, as with Gorgonia's
// preallocated values, a node's value is valid until the machine runs
// again; copy it (or use G.Read) to keep it.
//
// The ops compute on the CPU. Describe tells a compiler of Gorgonia graphs
// (package gpu) what each of their nodes computes, so that it can run them
// with kernels of its own. They provide no ADOp (DoDiff), so they are not
// differentiable with the LispMachine's automatic differentiation; use
// G.Grad with a TapeMachine.
package ops
