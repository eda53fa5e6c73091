// host.h: the CUDA names kernels.cu uses, for compiling it as C++20 on the
// CPU (gpu/internal/emu includes this header, then kernels.cu). The
// emulator launches a grid one block at a time, so a function-local static
// array is exactly a block's shared memory; threadIdx is per thread, the
// other launch variables are set by the launcher before a block starts;
// __syncthreads() waits on a barrier among the block's threads (see
// gpu/internal/emu/emu.cc).
//
// The kernels call no math library function: besides +, -, *, / they use
// only __builtin_sqrtf, __builtin_sqrt, __builtin_fabsf, __builtin_nanf,
// __builtin_inff and __builtin_bit_cast, which mean the same (correctly
// rounded IEEE operations) in GCC, Clang and for the NVPTX target.
#pragma once

#define __global__
#define __device__
#define __shared__ static

struct gg_uint3 {
	unsigned x, y, z;
};

static thread_local gg_uint3 threadIdx;
static gg_uint3 blockIdx, blockDim, gridDim;

// gg_emu_syncthreads is defined by the emulator.
void gg_emu_syncthreads();
#define __syncthreads() gg_emu_syncthreads()
