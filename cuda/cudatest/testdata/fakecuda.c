// A fake CUDA driver and cuBLAS for the tests of packages cuda and gpu on
// machines without a GPU (package cudatest). The tests build it once as
// libcuda.so.1, link libcublas.so.13 to the same file (so both names load
// one library with one state), and run a child test process with
// LD_LIBRARY_PATH pointing at them, so that package cuda binds these
// functions exactly as it binds NVIDIA's.
//
// "Device memory" is host memory (malloc), so copies, sets and SGEMM
// really run, and a kernel launch is recorded (function, grid, block, the
// bytes of its by-value struct parameter) for the test to inspect through
// fake_last_launch. The context is current per thread, as in CUDA: a call
// that needs a context on a thread where none is current fails with
// CUDA_ERROR_INVALID_CONTEXT, which checks package cuda's thread locking.
// A module is its PTX text; cuModuleGetFunction finds ".entry NAME(" in
// it and the size of its first parameter in "NAME_param_0[SIZE]". A PTX
// containing "bogus" fails to "JIT", with a log.
//
// Built with -DGG_FAKE_KERNELS and linked with testdata/fakekernels.cc,
// which includes the launch emulator gpu/internal/emu/emu.cc
// (cudatest.RunKernels), the fake also EXECUTES every launch: a function
// handle carries the kernel's name, and cuLaunchKernel, after recording
// the launch, runs that kernel of gpu/kernels/kernels.cu, compiled for
// the host, with the 160 bytes at kernelParams[0] as its struct Params,
// over the grid, one block after another, before it returns (so the
// default stream is always idle). Device pointers are host addresses
// (malloc), so the kernels' pointer arithmetic works unchanged. A kernel
// whose PTX body synchronises (bar.sync) runs each block's threads as
// fibers, with __syncthreads() a barrier among them; the others run
// thread by thread. Launching a kernel the emulator does not know, or in
// more than one dimension, fails.

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

enum {
	SUCCESS = 0,
	INVALID_VALUE = 1,
	NOT_INITIALIZED = 3,
	INVALID_DEVICE = 101,
	INVALID_PTX = 218,
	INVALID_CONTEXT = 201,
	INVALID_HANDLE = 400,
	NOT_FOUND = 500,
	LAUNCH_FAILED = 719,
	NOT_SUPPORTED = 801,
};

#ifdef GG_FAKE_KERNELS
// The emulator's launcher (gpu/internal/emu/emu.cc, linked in through
// fakekernels.cc): it returns 0, -1 for an unknown kernel, -2 for a bad
// shape, -3 for a __syncthreads() in a sequential launch.
int emu_launch(const char *name, int grid, int block, const void *params, int threaded);
#endif

static int initialised;
static int retained;        // primary context references
static long live_allocs;    // allocations not freed
static long live_modules;   // modules not unloaded
static long launches;       // kernel launches
static long sgemms;         // cublasSgemm calls
static long executed;       // kernel launches run by the emulator
static __thread void *current;
static char the_ctx;        // its address is the context

#define NEED_CTX() do { if (!initialised) return NOT_INITIALIZED; if (current != &the_ctx || retained <= 0) return INVALID_CONTEXT; } while (0)

CUresult cuInit(unsigned flags) { (void)flags; initialised = 1; return SUCCESS; }
CUresult cuDriverGetVersion(int *v) { *v = 13000; return SUCCESS; }
CUresult cuDeviceGetCount(int *n) { if (!initialised) return NOT_INITIALIZED; *n = 1; return SUCCESS; }
CUresult cuDeviceGet(int *dev, int ordinal) {
	if (!initialised) return NOT_INITIALIZED;
	if (ordinal != 0) return INVALID_DEVICE;
	*dev = 0;
	return SUCCESS;
}
CUresult cuDeviceGetName(char *name, int len, int dev) {
	if (dev != 0) return INVALID_DEVICE;
	snprintf(name, (size_t)len, "Fake GPU");
	return SUCCESS;
}
CUresult cuDeviceTotalMem_v2(size_t *bytes, int dev) {
	if (dev != 0) return INVALID_DEVICE;
	*bytes = 150100000000ull;
	return SUCCESS;
}
CUresult cuDevicePrimaryCtxRetain(void **ctx, int dev) {
	if (dev != 0) return INVALID_DEVICE;
	retained++;
	*ctx = &the_ctx;
	return SUCCESS;
}
CUresult cuDevicePrimaryCtxRelease_v2(int dev) {
	if (dev != 0) return INVALID_DEVICE;
	if (retained <= 0) return INVALID_CONTEXT;
	retained--;
	return SUCCESS;
}
CUresult cuCtxSetCurrent(void *ctx) {
	if (ctx != &the_ctx && ctx != NULL) return INVALID_CONTEXT;
	current = ctx;
	return SUCCESS;
}
CUresult cuCtxSynchronize(void) { NEED_CTX(); return SUCCESS; }

CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t n) {
	NEED_CTX();
	if (n == 0) return INVALID_VALUE;
	void *m = malloc(n);
	memset(m, 0xA5, n); // not zero: Alloc must clear
	*p = (CUdeviceptr)(uintptr_t)m;
	live_allocs++;
	return SUCCESS;
}
CUresult cuMemFree_v2(CUdeviceptr p) {
	NEED_CTX();
	free((void *)(uintptr_t)p);
	live_allocs--;
	return SUCCESS;
}
CUresult cuMemGetInfo_v2(size_t *free_, size_t *total) {
	NEED_CTX();
	*free_ = 100000000000ull;
	*total = 150100000000ull;
	return SUCCESS;
}
CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t n) {
	NEED_CTX();
	memcpy((void *)(uintptr_t)dst, src, n);
	return SUCCESS;
}
CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t n) {
	NEED_CTX();
	memcpy(dst, (const void *)(uintptr_t)src, n);
	return SUCCESS;
}
CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t n) {
	NEED_CTX();
	memmove((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, n);
	return SUCCESS;
}
CUresult cuMemsetD32_v2(CUdeviceptr dst, unsigned v, size_t n) {
	NEED_CTX();
	unsigned *p = (unsigned *)(uintptr_t)dst;
	for (size_t i = 0; i < n; i++) p[i] = v;
	return SUCCESS;
}

struct module { char *text; };
struct function {
	char name[128];
	size_t param_size;
	int syncs;    // its PTX body has a barrier (bar.sync)
	int runnable; // the emulator knows it (GG_FAKE_KERNELS builds)
};

// within reports whether pat occurs in the n bytes at s.
static int within(const char *s, size_t n, const char *pat) {
	size_t m = strlen(pat);
	for (size_t i = 0; i + m <= n; i++)
		if (memcmp(s + i, pat, m) == 0) return 1;
	return 0;
}

CUresult cuModuleLoadDataEx(void **mod, const void *image, unsigned n, int *opts, void **vals) {
	NEED_CTX();
	const char *text = image;
	if (strstr(text, "bogus")) {
		for (unsigned i = 0; i < n; i++) {
			if (opts[i] != 5) continue; // CU_JIT_ERROR_LOG_BUFFER
			size_t size = 0;
			for (unsigned j = 0; j < n; j++)
				if (opts[j] == 6) size = (size_t)(uintptr_t)vals[j];
			const char *log = "ptxas application ptx input, line 6; error   : Unknown instruction 'bogus'";
			snprintf((char *)vals[i], size, "%s", log);
			for (unsigned j = 0; j < n; j++)
				if (opts[j] == 6) vals[j] = (void *)(uintptr_t)(strlen(log) + 1);
		}
		return INVALID_PTX;
	}
#if defined(GG_FAKE_KERNELS) && defined(GG_FAKE_SOURCES_SHA256)
	// The PTX that the program loads names the hash of the sources it was
	// built from; the fake runs the kernels.cu it was built with.
	static int warned;
	const char *stamp = strstr(text, "gg-sources-sha256: ");
	if (stamp && strncmp(stamp + 19, GG_FAKE_SOURCES_SHA256, 64) != 0 && !warned++)
		fprintf(stderr, "fakecuda: warning: the PTX loaded was built from other sources (%.64s) than the kernels.cu the fake runs (%s)\n",
			stamp + 19, GG_FAKE_SOURCES_SHA256);
#endif
	struct module *m = malloc(sizeof *m);
	m->text = strdup(text);
	*mod = m;
	live_modules++;
	return SUCCESS;
}
CUresult cuModuleUnload(void *mod) {
	NEED_CTX();
	struct module *m = mod;
	if (!m) return INVALID_HANDLE;
	free(m->text);
	free(m);
	live_modules--;
	return SUCCESS;
}
CUresult cuModuleGetFunction(void **fn, void *mod, const char *name) {
	NEED_CTX();
	struct module *m = mod;
	char pat[160];
	snprintf(pat, sizeof pat, ".entry %s(", name);
	const char *entry = m ? strstr(m->text, pat) : NULL;
	if (!entry) return NOT_FOUND;
	struct function *f = calloc(1, sizeof *f);
	snprintf(f->name, sizeof f->name, "%s", name);
	snprintf(pat, sizeof pat, "%s_param_0[", name);
	const char *s = strstr(m->text, pat);
	f->param_size = s ? strtoul(s + strlen(pat), NULL, 10) : 0;
	const char *next = strstr(entry + 1, ".entry ");
	size_t body = next ? (size_t)(next - entry) : strlen(entry);
	f->syncs = within(entry, body, "bar.sync") || within(entry, body, "barrier.sync");
#ifdef GG_FAKE_KERNELS
	// A launch of no blocks runs nothing: it tells whether the emulator
	// has the kernel.
	static const unsigned char zeros[160];
	f->runnable = emu_launch(name, 0, 1, zeros, 0) == 0;
#endif
	*fn = f;
	return SUCCESS;
}

static struct {
	char name[128];
	unsigned grid[3], block[3], shared;
	void *stream, *extra;
	size_t size;
	unsigned char params[1024];
} last;

CUresult cuLaunchKernel(void *fn, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
			unsigned shared, void *stream, void **params, void **extra) {
	NEED_CTX();
	struct function *f = fn;
	if (!f || !params || !params[0] || f->param_size == 0 || f->param_size > sizeof last.params) return INVALID_VALUE;
	if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0 || bx * by * bz > 1024) return INVALID_VALUE;
	snprintf(last.name, sizeof last.name, "%s", f->name);
	last.grid[0] = gx, last.grid[1] = gy, last.grid[2] = gz;
	last.block[0] = bx, last.block[1] = by, last.block[2] = bz;
	last.shared = shared, last.stream = stream, last.extra = extra;
	last.size = f->param_size;
	memcpy(last.params, params[0], f->param_size);
	launches++;
#ifdef GG_FAKE_KERNELS
	if (!f->runnable) {
		fprintf(stderr, "fakecuda: cuLaunchKernel: the emulator has no kernel %s\n", f->name);
		return NOT_SUPPORTED;
	}
	if (gy != 1 || gz != 1 || by != 1 || bz != 1 || f->param_size != 160) {
		fprintf(stderr, "fakecuda: cuLaunchKernel(%s): the emulator runs 1-D launches of a 160-byte Params only (grid %ux%ux%u, block %ux%ux%u, %zu-byte parameter)\n",
			f->name, gx, gy, gz, bx, by, bz, f->param_size);
		return NOT_SUPPORTED;
	}
	int rc = emu_launch(f->name, (int)gx, (int)bx, params[0], f->syncs);
	if (rc != 0) {
		fprintf(stderr, "fakecuda: cuLaunchKernel(%s, %u blocks of %u): emulator error %d\n", f->name, gx, bx, rc);
		return LAUNCH_FAILED;
	}
	executed++;
#endif
	return SUCCESS;
}

CUresult cuGetErrorString(CUresult r, const char **s) {
	switch (r) {
	case SUCCESS: *s = "no error"; break;
	case INVALID_VALUE: *s = "invalid argument"; break;
	case NOT_INITIALIZED: *s = "initialization error"; break;
	case INVALID_DEVICE: *s = "invalid device ordinal"; break;
	case INVALID_PTX: *s = "a PTX JIT compilation failed"; break;
	case INVALID_CONTEXT: *s = "invalid device context"; break;
	case INVALID_HANDLE: *s = "invalid resource handle"; break;
	case NOT_FOUND: *s = "named symbol not found"; break;
	case LAUNCH_FAILED: *s = "unspecified launch failure"; break;
	case NOT_SUPPORTED: *s = "operation not supported"; break;
	default: return INVALID_VALUE;
	}
	return SUCCESS;
}

// What the tests read. fake_last_launch copies the last launch's
// parameter bytes into params (up to cap) and returns their size.
long fake_last_launch(char *name, int name_cap, unsigned *dims, void *params, long cap) {
	snprintf(name, (size_t)name_cap, "%s", last.name);
	dims[0] = last.grid[0], dims[1] = last.grid[1], dims[2] = last.grid[2];
	dims[3] = last.block[0], dims[4] = last.block[1], dims[5] = last.block[2];
	dims[6] = last.shared;
	dims[7] = last.stream != NULL || last.extra != NULL;
	size_t n = last.size < (size_t)cap ? last.size : (size_t)cap;
	memcpy(params, last.params, n);
	return (long)last.size;
}

// fake_counts reports the live allocations, live modules, retained
// primary contexts, launches, SGEMMs and launches executed.
void fake_counts(long *out) {
	out[0] = live_allocs, out[1] = live_modules, out[2] = retained, out[3] = launches, out[4] = sgemms;
	out[5] = executed;
}

// fake_executes reports whether this build runs the kernels it launches.
int fake_executes(void) {
#ifdef GG_FAKE_KERNELS
	return 1;
#else
	return 0;
#endif
}

// cuBLAS: column-major SGEMM, C = alpha·op(A)·op(B) + beta·C, with
// cuBLAS's argument checks, beta = 0 ignoring C. It computes in float32,
// rounding every product and sum (built with -ffp-contract=off), in the
// order of gonum's SGEMM, the BLAS of the CPU trainer and of package
// gpu's Host device, which computes the same product row-major with the
// operands swapped back: C = beta·C first, then, for l = 0..k-1 in order,
// C(i,j) += (alpha·op(B)(l,j))·op(A)(i,l), skipping zero factors (the loop
// of reference BLAS, and gonum's); except for op(A) = Aᵀ with op(B) = B,
// which gonum computes as dot products (over chunks of 64 of k for large
// products), on amd64 with SSE: four lanes, two accumulators, unrolled
// 16, grouped by the alignment of the A column's address (gonum_dot
// below; so the grouping matches the CPU's where its tensors are aligned
// alike). The fake then rounds as the CPU does, and whole training steps
// on it can be held to the host device's agreement; a GPU's cuBLAS rounds
// otherwise (see gan's gpuTol).
int cublasCreate_v2(void **h) { *h = &the_ctx; return 0; }
int cublasDestroy_v2(void *h) { return h == &the_ctx ? 0 : 1; }

// gonum_dot is gonum's f32.DotUnitary(x, y) (internal/asm/f32,
// dotunitary_amd64.s on amd64; a plain loop elsewhere).
static float gonum_dot(const float *x, const float *y, int n) {
#if defined(__x86_64__)
	float sum[4] = {0, 0, 0, 0}, psum[4] = {0, 0, 0, 0};
	int i = 0;
	if (n == 0) return 0;
	uintptr_t mis = (uintptr_t)y & 15;
	if (mis != 0) { // scalars into lane 0 until y is 16-byte aligned
		for (uintptr_t d = mis; d != 16; d += 4) {
			sum[0] += x[i] * y[i];
			i++;
			if (--n == 0) goto end;
		}
	}
	int tail = n % 16;
	if (n / 16 > 0) {
		for (int b = n / 16; b > 0; b--, i += 16)
			for (int l = 0; l < 4; l++) {
				sum[l] += x[i + l] * y[i + l];
				psum[l] += x[i + 4 + l] * y[i + 4 + l];
				sum[l] += x[i + 8 + l] * y[i + 8 + l];
				psum[l] += x[i + 12 + l] * y[i + 12 + l];
			}
		for (int l = 0; l < 4; l++) sum[l] += psum[l];
		if (tail == 0) goto end;
	}
	for (int b = tail / 4; b > 0; b--, i += 4)
		for (int l = 0; l < 4; l++) sum[l] += x[i + l] * y[i + l];
	for (int r = tail % 4; r > 0; r--, i++) sum[0] += x[i] * y[i];
end:
	return (sum[0] + sum[1]) + (sum[2] + sum[3]); // HADDPS twice
#else
	float sum = 0;
	for (int i = 0; i < n; i++) sum += y[i] * x[i];
	return sum;
#endif
}

int cublasSgemm_v2(void *h, int ta, int tb, int m, int n, int k, const float *alpha_, const float *A, int lda,
		   const float *B, int ldb, const float *beta_, float *C, int ldc) {
	if (h != &the_ctx) return 1; // CUBLAS_STATUS_NOT_INITIALIZED
	if (current != &the_ctx) return 13; // CUBLAS_STATUS_EXECUTION_FAILED
	if (m < 0 || n < 0 || k < 0 || (ta != 0 && ta != 1) || (tb != 0 && tb != 1)) return 7;
	int rowsA = ta ? k : m, rowsB = tb ? n : k;
	if (lda < (rowsA > 1 ? rowsA : 1) || ldb < (rowsB > 1 ? rowsB : 1) || ldc < (m > 1 ? m : 1)) return 7;
	sgemms++;
	float alpha = *alpha_, beta = *beta_;
	if (m == 0 || n == 0 || ((alpha == 0 || k == 0) && beta == 1)) return 0;
#define OPA(i, l) (ta ? A[(l) + (size_t)(i) * lda] : A[(i) + (size_t)(l) * lda])
#define OPB(l, j) (tb ? B[(j) + (size_t)(l) * ldb] : B[(l) + (size_t)(j) * ldb])
	if (beta != 1)
		for (int j = 0; j < n; j++)
			for (int i = 0; i < m; i++) {
				float *c = &C[i + (size_t)j * ldc];
				*c = beta == 0 ? 0 : *c * beta;
			}
	if (ta && !tb) {
		// gonum's row-major A·Bᵀ: dot products over chunks of k, of 64
		// when the product has at least 4 blocks of 64×64.
		int chunk = ((m + 63) / 64) * ((n + 63) / 64) >= 4 ? 64 : (k > 0 ? k : 1);
		for (int l0 = 0; l0 < k; l0 += chunk) {
			int len = k - l0 < chunk ? k - l0 : chunk;
			for (int j = 0; j < n; j++)
				for (int i = 0; i < m; i++)
					C[i + (size_t)j * ldc] += alpha * gonum_dot(&B[l0 + (size_t)j * ldb], &A[l0 + (size_t)i * lda], len);
		}
		return 0;
	}
	for (int j = 0; j < n; j++)
		for (int l = 0; l < k; l++) {
			float t = alpha * OPB(l, j);
			if (t == 0) continue;
			for (int i = 0; i < m; i++) C[i + (size_t)j * ldc] += t * OPA(i, l);
		}
#undef OPA
#undef OPB
	return 0;
}
