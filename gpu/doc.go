// Package gpu runs the trainer's Gorgonia graphs as device programs: on
// an NVIDIA GPU (OpenCUDA, build tag cu) or, for verification, on the CPU
// with Go reference kernels (NewHost).
//
// # How a graph becomes a program
//
// Compile takes a graph that the trainer built (after its subgraph
// pruning: the discriminator update, the generator update or sampling)
// and walks its nodes in topological order, gradient nodes included,
// lowering each op to launches of the kernel catalogue (catalog.go) and
// cuBLAS-style matrix products (GemmArgs):
//
//   - Gorgonia's elementwise ops (+ − ⊙ ÷, comparisons, and neg, abs,
//     sign, square, sqrt, inv, invSqrt, cube, exp, ln, log1p, expm1,
//     sigmoid, softplus, tanh) with scalar broadcasting; its matrix and
//     matrix-vector products (plain and transposed); Σ over contiguous
//     axes or over all axes but a contiguous block; Repeat (the gradient
//     of sums and broadcasts); Concat and its slices; SizeOf and scalar
//     constants (uploaded once); Reshape (no launch: the result shares
//     its input's buffer);
//   - gogan's own ops (package ops): AddBias and its gradient, LeakyReLU
//     (and so ReLU) and its gradient, the fused batch norm ops (batch
//     statistics, normalisation and the three gradients), and the three
//     transposed-convolution ops that Conv2d and ConvTranspose2d and their
//     gradients are made of, each as im2col (KColGather) or col2im
//     (KColScatter) around one matrix product over the whole batch, the
//     same algorithm as the CPU path; minibatch discrimination's
//     statistic (ops.MinibatchKernels), its gradient and that gradient's
//     two second-order ops (KMBD, KMBDGrad, KMBDGradG, KMBDGradM: one
//     thread per output, the sum over the batch in float64);
//   - Gorgonia's Read statements compile to nothing: the caller reads
//     values through Program.Value and Program.Read.
//
// A node whose op has no lowering, or whose dtype is not float32, makes
// Compile fail with an error that names the op, the node and its shape
// and wraps ErrUnsupported, at the trainer's NewTrainer: never in the
// middle of a step.
//
// Buffers are planned once, at Compile: every intermediate value and
// scratch area (the column matrices of the convolutions) is a virtual
// buffer living from the launch that writes it to the last launch that
// reads it, and a buffer whose value is dead is reused for a later value
// that fits (the smallest that fits); the values the caller keeps (the
// losses, the logits, the gradients, the batch statistics) live to the end
// of the run. Run then uploads the feeds (the input tensors that are not
// parameters: noise, the real batch, dropout masks, instance noise) and
// queues every launch, with no allocation and no host round trip between
// ops. Parameters and the batch norm running statistics are bound in a
// Store shared by all of a trainer's programs: they live on the device
// for the whole run, and an update by one program is seen by the next.
//
// Optimizer applies package optim's Adam (bit for bit: both are float32
// arithmetic), SGD and RMSProp on the device, keeping their state there;
// its State and SetState convert from and to optim.State, so checkpoints
// are the same files whichever device trained.
//
// # Devices
//
// A Device allocates float32 buffers, copies to and from them, launches
// the catalogue's kernels and multiplies matrices. Host (NewHost) is the
// reference: Go loops on host memory and gonum's SGEMM. The CUDA device
// (OpenCUDA, with the build tag cu) loads the embedded PTX (PTX, compiled
// from kernels/kernels.cu by clang without a CUDA SDK; go generate
// rebuilds it) through the driver and multiplies with cuBLAS; it needs
// only libcuda.so.1 and libcublas at run time, no cgo and no SDK at build
// time, so a CGO_ENABLED=0 binary built anywhere runs on a GPU machine.
// Without the tag OpenCUDA returns an error wrapping cuda.ErrNotBuilt.
//
// # What is verified where
//
// On any machine: the programs on the Host device reproduce Gorgonia's
// tape machine for whole training steps (package gan's TestDeviceAgrees*:
// the reference MLP, the 28×28 and 64×64 DCGANs, a convolutional
// discriminator with minibatch discrimination and PacGAN, and networks of
// raw Gorgonia nodes under five losses; losses, statistics, gradients,
// weights, running statistics and optimizer states within 1e-5 of each
// tensor's scale), the buffer plan, the optimizers, and the CUDA C
// kernels themselves, compiled for the host and run under a launch
// emulator against the Go reference kernels (gpu/internal/emu). With a C
// and C++ compiler, the CUDA device's whole path (OpenCUDA, the bindings,
// the packed launch parameters) runs on a fake libcuda that executes
// each launch with the same kernels.cu (cuda/cudatest; gan's
// TestFakeCUDAAgrees trains through it against the CPU). Nothing in this
// package has run on a GPU yet: only one can show that the driver
// accepts the PTX, the real kernels, barriers and memory model, cuBLAS's
// rounding and the speed; gpu/check.sh prepares that check.
package gpu
