//go:build cgo

// emu.cc runs the CUDA C kernels of gpu/kernels/kernels.cu on the CPU:
// host.h maps the CUDA keywords and launch variables to C++, then the very
// same kernels.cu is compiled here as C++20. A launch runs the grid's
// blocks one after another (so a kernel's function-local static arrays are
// exactly its block's shared memory); a block runs either on a pool of
// real threads, one per CUDA thread, with __syncthreads() a std::barrier
// among them, or, for kernels that never synchronise, its threads one
// after another on the calling thread.

// No fused multiply-adds, as on the GPU (build.sh: -ffp-contract=off) and
// in the Go reference kernels. (cgo does not accept the flag itself.)
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <barrier>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "../../kernels/host.h"
#include "../../kernels/kernels.cu"
#include "stamp.h"

namespace {

using KernelFn = void (*)(Params);

struct Entry {
	const char *name;
	KernelFn fn;
};

#define GG_K(f) {#f, f}
const Entry kernels[] = {
    GG_K(gg_fill),         GG_K(gg_copy),         GG_K(gg_binary),          GG_K(gg_unary),
    GG_K(gg_leaky_relu),   GG_K(gg_leaky_relu_grad), GG_K(gg_add_bias),     GG_K(gg_clamp),
    GG_K(gg_repeat),       GG_K(gg_concat_part),  GG_K(gg_slice_part),      GG_K(gg_transpose01),
    GG_K(gg_col_gather),   GG_K(gg_col_scatter),  GG_K(gg_sum_outer),       GG_K(gg_sum_mid),
    GG_K(gg_bn_mean),      GG_K(gg_bn_var),       GG_K(gg_bn_forward),      GG_K(gg_bn_grad_sums),
    GG_K(gg_bn_grad_input), GG_K(gg_bn_running),  GG_K(gg_adam),            GG_K(gg_sgd),
    GG_K(gg_rmsprop),      GG_K(gg_check_finite), GG_K(gg_mbd),             GG_K(gg_mbd_grad),
    GG_K(gg_mbd_grad_g),   GG_K(gg_mbd_grad_m),
};
#undef GG_K

bool sync_misuse = false; // a __syncthreads() in a sequential launch

// run_threaded runs one block of a threaded launch (the launch variables
// are set by the caller). A file that defines GG_EMU_BLOCKS and then
// includes this one (cuda/cudatest's fake CUDA driver, which runs the
// block's threads as fibers) defines run_threaded and gg_emu_syncthreads
// itself; here they run the block on a pool of real threads.
void run_threaded(KernelFn fn, const Params &p, unsigned n);

#ifndef GG_EMU_BLOCKS
// The barrier of the running block's threads; null when the block runs
// sequentially, where a __syncthreads() is an error.
std::barrier<> *block_sync = nullptr;

// Pool is a set of threads, one per CUDA thread of a block, that run one
// block per run() call.
struct Pool {
	unsigned n;
	std::barrier<> start, done;
	std::vector<std::thread> threads;
	KernelFn fn = nullptr;
	Params params{};

	explicit Pool(unsigned n) : n(n), start(n + 1), done(n + 1) {
		for (unsigned i = 0; i < n; i++)
			threads.emplace_back([this, i] { work(i); });
	}

	void work(unsigned i) {
		threadIdx = gg_uint3{i, 0, 0};
		for (;;) {
			start.arrive_and_wait();
			if (fn == nullptr)
				return;
			fn(params);
			// A thread that has returned no longer takes part in the
			// block's barriers.
			block_sync->arrive_and_drop();
			done.arrive_and_wait();
		}
	}

	// run runs one block: the launch variables are set by the caller.
	void run(KernelFn f, const Params &p) {
		std::barrier<> sync(n);
		block_sync = &sync;
		fn = f;
		params = p;
		start.arrive_and_wait();
		done.arrive_and_wait();
		block_sync = nullptr;
	}

	~Pool() {
		fn = nullptr;
		start.arrive_and_wait();
		for (auto &t : threads)
			t.join();
	}
};

Pool *pool = nullptr;

void run_threaded(KernelFn fn, const Params &p, unsigned n) {
	if (pool == nullptr || pool->n != n) {
		delete pool;
		pool = new Pool(n);
	}
	pool->run(fn, p);
}
#endif // GG_EMU_BLOCKS

std::mutex launch_mu;

} // namespace

#ifndef GG_EMU_BLOCKS
void gg_emu_syncthreads() {
	if (block_sync == nullptr) {
		sync_misuse = true;
		return;
	}
	block_sync->arrive_and_wait();
}
#endif

extern "C" {

int emu_params_size() { return (int)sizeof(Params); }

const char *emu_sources_sha256() { return GG_SOURCES_SHA256; }

// emu_launch runs kernel name over grid blocks of block threads with the
// 160-byte argument block params. threaded selects real threads per block.
// It returns 0, or -1 for an unknown kernel, -2 for a bad launch shape, -3
// if a kernel called __syncthreads() in a sequential launch.
int emu_launch(const char *name, int grid, int block, const void *params, int threaded) {
	KernelFn fn = nullptr;
	for (const Entry &e : kernels)
		if (std::strcmp(e.name, name) == 0)
			fn = e.fn;
	if (fn == nullptr)
		return -1;
	if (grid < 0 || block < 1 || block > 1024)
		return -2;
	std::lock_guard<std::mutex> lock(launch_mu);
	Params p;
	std::memcpy(&p, params, sizeof p);
	gridDim = gg_uint3{(unsigned)grid, 1, 1};
	blockDim = gg_uint3{(unsigned)block, 1, 1};
	sync_misuse = false;
	for (int b = 0; b < grid; b++) {
		blockIdx = gg_uint3{(unsigned)b, 0, 0};
		if (threaded) {
			run_threaded(fn, p, (unsigned)block);
			continue;
		}
		for (int t = 0; t < block; t++) {
			threadIdx = gg_uint3{(unsigned)t, 0, 0};
			fn(p);
		}
	}
	return sync_misuse ? -3 : 0;
}

} // extern "C"
