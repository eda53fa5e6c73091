// device.h: what kernels.cu needs from CUDA, for the device build with
// clang-19 and no CUDA SDK (build.sh passes it with -include). The host
// build for the emulator (gpu/internal/emu) includes host.h instead, which
// defines the same names for the CPU.
//
// The kernels use no libdevice function and no approximate hardware
// instruction (ex2.approx, lg2.approx, tanh.approx): their transcendental
// functions are written out in IEEE arithmetic in kernels.cu, so the
// emulator runs exactly the arithmetic the GPU runs.
#pragma once

#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __shared__ __attribute__((shared))
#define __syncthreads() __nvvm_bar_sync(0)
#include <__clang_cuda_builtin_vars.h> // threadIdx, blockIdx, blockDim, gridDim

// Every product is rounded before it is added (no fused multiply-add), as
// in the Go reference kernels and the emulator. build.sh also passes
// -ffp-contract=off.
#pragma clang fp contract(off)
