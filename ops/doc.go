// Package ops provides Gorgonia operations that Gorgonia itself lacks,
// for use in GAN models.
//
// ConvTranspose2d is a 2-D transposed ("fractionally strided")
// convolution with PyTorch's ConvTranspose2d semantics and kernel layout,
// as used by DCGAN generators. It is a custom Gorgonia op implementing
// G.Op, G.SDOp and G.UsePreallocDoer, so it works with G.Grad and the tape
// machine like a built-in op; its gradients are themselves custom ops and
// differentiable, so second-order gradients (for example a gradient
// penalty) also work. Forward and backward passes use an im2col/col2im
// formulation with one matrix multiply (gonum BLAS) per batch item, spread
// over GOMAXPROCS goroutines across the batch.
//
// The ops run on the CPU only (no CUDA kernels) and provide no ADOp
// (DoDiff), so they are not differentiable with the LispMachine's
// automatic differentiation; use G.Grad with a TapeMachine.
package ops
