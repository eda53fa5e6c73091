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
};

static int initialised;
static int retained;        // primary context references
static long live_allocs;    // allocations not freed
static long live_modules;   // modules not unloaded
static long launches;       // kernel launches
static long sgemms;         // cublasSgemm calls
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
struct function { char name[128]; size_t param_size; };

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
	if (!m || !strstr(m->text, pat)) return NOT_FOUND;
	struct function *f = calloc(1, sizeof *f);
	snprintf(f->name, sizeof f->name, "%s", name);
	snprintf(pat, sizeof pat, "%s_param_0[", name);
	const char *s = strstr(m->text, pat);
	f->param_size = s ? strtoul(s + strlen(pat), NULL, 10) : 0;
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
// primary contexts, launches and SGEMMs.
void fake_counts(long *out) {
	out[0] = live_allocs, out[1] = live_modules, out[2] = retained, out[3] = launches, out[4] = sgemms;
}

// cuBLAS: column-major SGEMM, C = alpha·op(A)·op(B) + beta·C, with
// cuBLAS's argument checks, in double, beta = 0 ignoring C.
int cublasCreate_v2(void **h) { *h = &the_ctx; return 0; }
int cublasDestroy_v2(void *h) { return h == &the_ctx ? 0 : 1; }
int cublasSgemm_v2(void *h, int ta, int tb, int m, int n, int k, const float *alpha, const float *A, int lda,
		   const float *B, int ldb, const float *beta, float *C, int ldc) {
	if (h != &the_ctx) return 1; // CUBLAS_STATUS_NOT_INITIALIZED
	if (current != &the_ctx) return 13; // CUBLAS_STATUS_EXECUTION_FAILED
	if (m < 0 || n < 0 || k < 0 || (ta != 0 && ta != 1) || (tb != 0 && tb != 1)) return 7;
	int rowsA = ta ? k : m, rowsB = tb ? n : k;
	if (lda < (rowsA > 1 ? rowsA : 1) || ldb < (rowsB > 1 ? rowsB : 1) || ldc < (m > 1 ? m : 1)) return 7;
	sgemms++;
	for (int j = 0; j < n; j++)
		for (int i = 0; i < m; i++) {
			double s = 0;
			for (int p = 0; p < k; p++) {
				float a = ta ? A[p + (size_t)i * lda] : A[i + (size_t)p * lda];
				float b = tb ? B[j + (size_t)p * ldb] : B[p + (size_t)j * ldb];
				s += (double)a * b;
			}
			float *c = &C[i + (size_t)j * ldc];
			*c = (float)(*alpha * s + (*beta == 0 ? 0 : (double)*beta * *c));
		}
	return 0;
}
