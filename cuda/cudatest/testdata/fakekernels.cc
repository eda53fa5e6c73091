// fakekernels.cc: the kernel launcher of the fake CUDA driver that
// cudatest.RunKernels builds (with fakecuda.c compiled -DGG_FAKE_KERNELS,
// which calls emu_launch from cuLaunchKernel). It is the launch emulator
// of gpu/internal/emu itself, emu.cc, included here (compiled with
// -I gpu/internal/emu), so the fake runs the very same kernels.cu through
// the same host.h, kernel table and launcher; only the blocks of the
// kernels that call __syncthreads() run differently. emu.cc runs such a
// block on a real thread per CUDA thread with a std::barrier, which costs
// milliseconds per block on a small machine (every barrier puts 256
// threads through the scheduler), too slow for whole training steps. Here
// a block's CUDA threads are fibers on the calling thread instead: each
// runs until its next __syncthreads() (or its end), in thread order, and
// the block resumes them all once every one of them has arrived, which is
// __syncthreads()'s semantics (a thread that has returned no longer takes
// part, as in emu.cc). Switching costs nanoseconds (a few instructions on
// x86-64; ucontext elsewhere).

#define GG_EMU_BLOCKS 1
#include "emu.cc"

#include <cstdint>
#include <cstdlib>

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

namespace {

// Each fiber's stack: the kernels need little (their shared arrays are
// static), but the stack is generous.
constexpr size_t fiber_stack = 64 << 10;

struct Fiber {
	unsigned index;
	bool done;
	char *stack;
#if defined(__x86_64__)
	void *sp; // saved stack pointer while switched out
#else
	ucontext_t ctx;
#endif
};

// The running block: its kernel, arguments and fibers; the scheduler's
// context; the fiber running (null outside a threaded block).
KernelFn block_fn;
Params block_params;
std::vector<Fiber> fibers;
Fiber *running = nullptr;
#if defined(__x86_64__)
void *sched_sp;
#else
ucontext_t sched_ctx;
#endif

void fiber_main(Fiber *f);

#if defined(__x86_64__)
// gg_fake_switch saves the callee-saved registers, MXCSR and the x87
// control word on the current stack, stores the stack pointer in *from,
// and resumes the stack to, which was saved by gg_fake_switch or laid out
// by start().
extern "C" __attribute__((visibility("hidden"))) void gg_fake_switch(void **from, void *to);
extern "C" __attribute__((visibility("hidden"))) void gg_fake_fiber_start();
asm(R"(
	.text
	.p2align 4
	.globl gg_fake_switch
	.hidden gg_fake_switch
	.type gg_fake_switch, @function
gg_fake_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	subq $16, %rsp
	stmxcsr 8(%rsp)
	fnstcw (%rsp)
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	ldmxcsr 8(%rsp)
	fldcw (%rsp)
	addq $16, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.size gg_fake_switch, .-gg_fake_switch

	.p2align 4
	.globl gg_fake_fiber_start
	.hidden gg_fake_fiber_start
	.type gg_fake_fiber_start, @function
gg_fake_fiber_start:
	movq %r12, %rdi
	call gg_fake_fiber_main
	ud2
	.size gg_fake_fiber_start, .-gg_fake_fiber_start
)");

// start lays out f's stack so that switching to it enters fiber_main(f):
// gg_fake_switch's frame, whose return address is gg_fake_fiber_start,
// placed so that the stack pointer is 16-byte aligned after that return,
// at the call of gg_fake_fiber_main, as the ABI wants.
void start(Fiber *f) {
	uintptr_t top = (reinterpret_cast<uintptr_t>(f->stack) + fiber_stack - 64) & ~uintptr_t(15);
	uint64_t *sp = reinterpret_cast<uint64_t *>(top);
	*--sp = reinterpret_cast<uint64_t>(&gg_fake_fiber_start); // return address
	*--sp = 0;                                                // rbp
	*--sp = 0;                                                // rbx
	*--sp = reinterpret_cast<uint64_t>(f);                    // r12: the fiber
	*--sp = 0;                                                // r13
	*--sp = 0;                                                // r14
	*--sp = 0;                                                // r15
	uint32_t mxcsr;
	uint16_t cw;
	asm volatile("stmxcsr %0" : "=m"(mxcsr));
	asm volatile("fnstcw %0" : "=m"(cw));
	*--sp = mxcsr;
	*--sp = cw;
	f->sp = sp;
}

void resume(Fiber *f) { gg_fake_switch(&sched_sp, f->sp); }
void yield(Fiber *f) { gg_fake_switch(&f->sp, sched_sp); }
#else
void fiber_entry(unsigned lo, unsigned hi) {
	fiber_main(reinterpret_cast<Fiber *>((static_cast<uintptr_t>(hi) << 32) | lo));
}

void start(Fiber *f) {
	getcontext(&f->ctx);
	f->ctx.uc_stack.ss_sp = f->stack;
	f->ctx.uc_stack.ss_size = fiber_stack;
	f->ctx.uc_link = nullptr;
	uintptr_t p = reinterpret_cast<uintptr_t>(f);
	makecontext(&f->ctx, reinterpret_cast<void (*)()>(fiber_entry), 2, unsigned(p), unsigned(uint64_t(p) >> 32));
}

void resume(Fiber *f) { swapcontext(&sched_ctx, &f->ctx); }
void yield(Fiber *f) { swapcontext(&f->ctx, &sched_ctx); }
#endif

void fiber_main(Fiber *f) {
	block_fn(block_params);
	f->done = true;
	yield(f);
	std::abort(); // a finished fiber is never resumed
}

// run_threaded runs one block of n fibers: rounds in thread order, each
// fiber running to its next __syncthreads() or its end, until all end.
void run_threaded(KernelFn fn, const Params &p, unsigned n) {
	while (fibers.size() < n) {
		Fiber f{};
		f.index = unsigned(fibers.size());
		f.stack = static_cast<char *>(std::malloc(fiber_stack));
		if (f.stack == nullptr)
			std::abort();
		fibers.push_back(f);
	}
	block_fn = fn;
	block_params = p;
	for (unsigned i = 0; i < n; i++) {
		fibers[i].done = false;
		start(&fibers[i]);
	}
	for (unsigned left = n; left > 0;) {
		for (unsigned i = 0; i < n; i++) {
			Fiber *f = &fibers[i];
			if (f->done)
				continue;
			threadIdx = gg_uint3{i, 0, 0};
			running = f;
			resume(f);
			running = nullptr;
			if (f->done)
				left--;
		}
	}
}

} // namespace

// gg_fake_fiber_main is where gg_fake_fiber_start enters a new fiber.
extern "C" __attribute__((visibility("hidden"), used)) void gg_fake_fiber_main(void *f) { fiber_main(static_cast<Fiber *>(f)); }

// gg_emu_syncthreads: the running fiber waits for the rest of its block.
// Outside a threaded block (a sequential launch) it is an error, as in
// emu.cc.
void gg_emu_syncthreads() {
	if (running == nullptr) {
		sync_misuse = true;
		return;
	}
	yield(running);
}
