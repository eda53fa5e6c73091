// kernels.cu: the CUDA C kernels of the catalogue in gpu/catalog.go, one
// extern "C" __global__ function per kernel, named as KernelInfo.Name.
//
// Built two ways, from this one source:
//   - for the GPU by build.sh (clang-19, no CUDA SDK: -include device.h),
//     giving kernels.ptx, which package gpu embeds;
//   - for the CPU by gpu/internal/emu (host.h, then this file, as C++20),
//     whose tests compare every kernel with the Go reference kernels of
//     gpu/hostkernels.go.
//
// The semantics are those of catalog.go; the conventions that make the
// two builds and the Go references agree bit for bit are listed at the top
// of gpu/hostkernels.go: no fused multiply-adds (-ffp-contract=off), the
// reductions add in a fixed order (thread t of the block sums the terms
// t, t+256, ... in double; then a shared-memory tree), KColScatter adds in
// float in a fixed order, KClamp compares.
//
// The transcendental functions (gg_exp, gg_log, ...) are written out in
// plain IEEE arithmetic, without libdevice (not available without the
// SDK) and without the approximate hardware instructions (ex2.approx,
// lg2.approx, tanh.approx): the GPU then computes exactly what the
// emulator computes, and the emulator's tests measure their accuracy.

// Params is the argument block of every kernel, passed by value: 8
// pointers, 16 ints, 8 floats (160 bytes), as gpu.Params.
struct Params {
	float *p[8];
	int i[16];
	float f[8];
};

#define GG_RB 256 // threads per block of the reduction kernels (gpu.ReduceBlock)

// GG_LOOP is the grid-stride loop of the elementwise kernels.
#define GG_LOOP(i, n)                                                         \
	for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; \
	     i < (long long)(n); i += (long long)blockDim.x * gridDim.x)

#define GG_FN static __device__ inline

// ---------------------------------------------------------------------------
// Math helpers in IEEE float arithmetic. Accuracy (measured by
// gpu/internal/emu's tests against float64 references) is stated with each.

GG_FN float gg_bits_float(unsigned u) { return __builtin_bit_cast(float, u); }
GG_FN unsigned gg_float_bits(float x) { return __builtin_bit_cast(unsigned, x); }
GG_FN float gg_inf() { return __builtin_inff(); }
GG_FN float gg_nan() { return __builtin_nanf(""); }

// gg_isfinite: neither NaN nor ±Inf (by the exponent bits, so that no
// compiler option can fold it away).
GG_FN bool gg_isfinite(float x) { return (gg_float_bits(x) & 0x7f800000u) != 0x7f800000u; }

// gg_pow2 is 2^k for -126 <= k <= 127.
GG_FN float gg_pow2(int k) { return gg_bits_float((unsigned)(k + 127) << 23); }

// gg_exp is e^x. Cody-Waite reduction x = k·ln2 + r, |r| <= ln2/2, with
// ln2 split in a high part of 15 significant bits (so k·ln2hi is exact for
// |k| < 512) and a low part; e^r by its Taylor polynomial of degree 7
// (truncation error r^8/8! < 6.7e-9 relative); scaling by 2^k in two
// exact steps so that a subnormal result is rounded once.
GG_FN float gg_exp(float x) {
	const float ln2hi = 6.9314575195e-01f;  // 0x3f317200
	const float ln2lo = 1.4286067653e-06f;  // 0x35bfbe8e
	const float invln2 = 1.4426950216e+00f; // 0x3fb8aa3b
	if (x != x)
		return x;
	if (x > 89.0f)
		return gg_inf();
	if (x < -104.0f)
		return 0.0f;
	int k = (int)(x * invln2 + (x < 0.0f ? -0.5f : 0.5f));
	float kf = (float)k;
	float r = (x - kf * ln2hi) - kf * ln2lo;
	float p = 1.0f / 5040.0f;
	p = p * r + 1.0f / 720.0f;
	p = p * r + 1.0f / 120.0f;
	p = p * r + 1.0f / 24.0f;
	p = p * r + 1.0f / 6.0f;
	p = p * r + 0.5f;
	p = p * r + 1.0f;
	p = p * r + 1.0f;
	int k1 = k / 2, k2 = k - k1; // both in [-76, 65]
	return p * gg_pow2(k1) * gg_pow2(k2);
}

// gg_log is ln x: x = 2^k·(1+f) with 1+f in [√½, √2), then fdlibm's
// log(1+f) = f − hfsq + s·(hfsq + R(s²)), s = f/(2+f) (the algorithm and
// coefficients of chewxy/math32's Log, itself from FreeBSD's e_logf.c).
GG_FN float gg_log(float x) {
	const float ln2hi = 6.9313812256e-01f; // 0x3f317180
	const float ln2lo = 9.0580006145e-06f; // 0x3717f7d1
	const float L1 = 6.6666668653e-01f, L2 = 4.0000000596e-01f, L3 = 2.8571429849e-01f,
		    L4 = 2.2222198546e-01f, L5 = 1.8183572590e-01f, L6 = 1.5313838422e-01f,
		    L7 = 1.4798198640e-01f;
	if (x != x || x == gg_inf())
		return x;
	if (x < 0.0f)
		return gg_nan();
	if (x == 0.0f)
		return -gg_inf();
	int k = 0;
	unsigned ix = gg_float_bits(x);
	if (ix < 0x00800000u) { // subnormal: scale by 2^25
		x *= 33554432.0f;
		k = -25;
		ix = gg_float_bits(x);
	}
	k += (int)(ix >> 23) - 127;
	float m = gg_bits_float((ix & 0x007fffffu) | 0x3f800000u); // [1, 2)
	if (m > 1.41421356f) {
		m *= 0.5f;
		k++;
	}
	float f = m - 1.0f; // exact
	float s = f / (2.0f + f);
	float s2 = s * s;
	float s4 = s2 * s2;
	float t1 = s2 * (L1 + s4 * (L3 + s4 * (L5 + s4 * L7)));
	float t2 = s4 * (L2 + s4 * (L4 + s4 * L6));
	float R = t1 + t2;
	float hfsq = 0.5f * f * f;
	float kf = (float)k;
	return kf * ln2hi - ((hfsq - (s * (hfsq + R) + kf * ln2lo)) - f);
}

// gg_log1p is ln(1+x) by Goldberg's correction: with u = 1+x rounded,
// ln(1+x) = ln(u)·x/(u−1), which cancels the rounding of u (and is x
// itself once u rounds to 1, for |x| < 2^-24): accurate for small |x|
// with no separate series.
GG_FN float gg_log1p(float x) {
	if (x != x || x == gg_inf())
		return x;
	float u = 1.0f + x;
	if (u == 1.0f)
		return x;
	return gg_log(u) * (x / (u - 1.0f));
}

// gg_expm1 is e^x − 1 by Kahan's correction: with u = e^x rounded,
// (u−1)·x/ln(u), and x itself once u rounds to 1.
GG_FN float gg_expm1(float x) {
	if (x != x)
		return x;
	float u = gg_exp(x);
	if (u == gg_inf())
		return u;
	if (u == 1.0f)
		return x;
	float um1 = u - 1.0f;
	if (um1 == -1.0f)
		return -1.0f;
	return um1 * (x / gg_log(u));
}

// gg_tanh is chewxy/math32's Tanh (Cephes): ±1 beyond 44.01, 1 − 2/(e^2|x|
// + 1) from 0.625 on, an odd polynomial below (the same float operations
// as math32, so equal to it bit for bit there).
GG_FN float gg_tanh(float x) {
	float z = __builtin_fabsf(x);
	if (z > 44.014845935754205f)
		return x < 0.0f ? -1.0f : 1.0f;
	if (z >= 0.625f) {
		float s = gg_exp(z + z);
		z = 1.0f - 2.0f / (s + 1.0f);
		return x < 0.0f ? -z : z;
	}
	if (x == 0.0f)
		return x;
	float s = x * x;
	return ((((-5.70498872745E-3f * s + 2.06390887954E-2f) * s - 5.37397155531E-2f) * s +
		 1.33314422036E-1f) * s - 3.33332819422E-1f) * s * x + x;
}

// gg_sigmoid is 1/(1 + e^−x), with Gorgonia's float32 cut-offs (0 below
// −88, 1 above 15).
GG_FN float gg_sigmoid(float x) {
	if (x < -88.0f)
		return 0.0f;
	if (x > 15.0f)
		return 1.0f;
	return 1.0f / (1.0f + gg_exp(-x));
}

// gg_softplus is ln(1 + e^x) in the stable form max(x, 0) + log1p(e^−|x|),
// with Gorgonia's float32 cut-offs (x itself above 14, 0 below −103).
GG_FN float gg_softplus(float x) {
	if (x < -103.0f)
		return 0.0f;
	if (x > 14.0f)
		return x;
	return (x > 0.0f ? x : 0.0f) + gg_log1p(gg_exp(-__builtin_fabsf(x)));
}

// gg_binary applies a gpu.BinaryOp; an unknown op gives NaN.
GG_FN float gg_binary_op(int op, float a, float b) {
	switch (op) {
	case 0: return a + b;
	case 1: return a - b;
	case 2: return a * b;
	case 3: return a / b;
	case 4: return a > b ? 1.0f : 0.0f;
	case 5: return a >= b ? 1.0f : 0.0f;
	case 6: return a < b ? 1.0f : 0.0f;
	case 7: return a <= b ? 1.0f : 0.0f;
	case 8: return a == b ? 1.0f : 0.0f;
	case 9: return a != b ? 1.0f : 0.0f;
	}
	return gg_nan();
}

// gg_unary_op applies a gpu.UnaryOp; an unknown op gives NaN.
GG_FN float gg_unary_op(int op, float x) {
	switch (op) {
	case 0: return -x;
	case 1: return __builtin_fabsf(x);
	case 2: return x < 0.0f ? -1.0f : (x > 0.0f ? 1.0f : x); // ±0 and NaN stay
	case 3: return x * x;
	case 4: return __builtin_sqrtf(x);
	case 5: return 1.0f / x;
	case 6: return gg_exp(x);
	case 7: return gg_log(x);
	case 8: return gg_log1p(x);
	case 9: return gg_expm1(x);
	case 10: return gg_sigmoid(x);
	case 11: return gg_softplus(x);
	case 12: return gg_tanh(x);
	case 13: return x * x * x;
	case 14: return 1.0f / __builtin_sqrtf(x);
	}
	return gg_nan();
}

// gg_invstd is 1/sqrt(var + eps) in double, as ops.BatchNorm computes it.
GG_FN double gg_invstd(float var, float eps) {
	return 1.0 / __builtin_sqrt((double)var + (double)eps);
}

// gg_tree_sum combines the block's partial sums sh[0..GG_RB) into sh[0]:
// sh[t] += sh[t+w] for w = GG_RB/2, ..., 1. Every thread of the block must
// call it (it synchronises); it returns with sh[0] visible to all.
GG_FN void gg_tree_sum(double *sh, unsigned t) {
	__syncthreads();
	for (unsigned w = GG_RB / 2; w > 0; w >>= 1) {
		if (t < w)
			sh[t] += sh[t + w];
		__syncthreads();
	}
}

// ---------------------------------------------------------------------------
// Elementwise kernels.

extern "C" __global__ void gg_fill(Params P) {
	float *y = P.p[0];
	float v = P.f[0];
	GG_LOOP(i, P.i[0]) { y[i] = v; }
}

extern "C" __global__ void gg_copy(Params P) {
	float *y = P.p[0], *x = P.p[1];
	GG_LOOP(i, P.i[0]) { y[i] = x[i]; }
}

extern "C" __global__ void gg_binary(Params P) {
	float *y = P.p[0], *a = P.p[1], *b = P.p[2];
	int op = P.i[1];
	long long sa = P.i[2], sb = P.i[3];
	GG_LOOP(i, P.i[0]) { y[i] = gg_binary_op(op, a[i * sa], b[i * sb]); }
}

extern "C" __global__ void gg_unary(Params P) {
	float *y = P.p[0], *x = P.p[1];
	int op = P.i[1];
	GG_LOOP(i, P.i[0]) { y[i] = gg_unary_op(op, x[i]); }
}

extern "C" __global__ void gg_leaky_relu(Params P) {
	float *y = P.p[0], *x = P.p[1];
	float slope = P.f[0];
	GG_LOOP(i, P.i[0]) {
		float v = x[i];
		y[i] = v * (v >= 0.0f ? 1.0f : slope);
	}
}

extern "C" __global__ void gg_leaky_relu_grad(Params P) {
	float *dx = P.p[0], *x = P.p[1], *dy = P.p[2];
	float slope = P.f[0];
	GG_LOOP(i, P.i[0]) { dx[i] = dy[i] * (x[i] >= 0.0f ? 1.0f : slope); }
}

extern "C" __global__ void gg_add_bias(Params P) {
	float *y = P.p[0], *x = P.p[1], *b = P.p[2];
	int C = P.i[1], inner = P.i[2];
	GG_LOOP(i, P.i[0]) { y[i] = x[i] + b[((int)i / inner) % C]; }
}

extern "C" __global__ void gg_clamp(Params P) {
	float *y = P.p[0];
	float lo = P.f[0], hi = P.f[1];
	GG_LOOP(i, P.i[0]) {
		float v = y[i];
		v = v < lo ? lo : v;
		v = v > hi ? hi : v;
		y[i] = v;
	}
}

extern "C" __global__ void gg_repeat(Params P) {
	float *y = P.p[0], *x = P.p[1];
	int R = P.i[1], B = P.i[2];
	int RB = R * B;
	GG_LOOP(i, P.i[0]) {
		int j = (int)i;
		y[i] = x[(long long)(j / RB) * B + j % B];
	}
}

// gg_part_index is the index in [A, Ctot, B] of element i of the [A, C, B]
// part at channel offset off.
GG_FN long long gg_part_index(int i, int C, int B, int Ctot, int off) {
	int b = i % B, c = (i / B) % C, a = i / (B * C);
	return ((long long)a * Ctot + off + c) * B + b;
}

extern "C" __global__ void gg_concat_part(Params P) {
	float *y = P.p[0], *x = P.p[1];
	int C = P.i[1], B = P.i[2], Ctot = P.i[3], off = P.i[4];
	GG_LOOP(i, P.i[0]) { y[gg_part_index((int)i, C, B, Ctot, off)] = x[i]; }
}

extern "C" __global__ void gg_slice_part(Params P) {
	float *y = P.p[0], *x = P.p[1];
	int C = P.i[1], B = P.i[2], Ctot = P.i[3], off = P.i[4];
	GG_LOOP(i, P.i[0]) { y[i] = x[gg_part_index((int)i, C, B, Ctot, off)]; }
}

extern "C" __global__ void gg_transpose01(Params P) {
	float *y = P.p[0], *x = P.p[1];
	int D0 = P.i[1], D1 = P.i[2], inner = P.i[3];
	GG_LOOP(i, P.i[0]) {
		int j = (int)i;
		int r = j % inner, a = (j / inner) % D0, b = j / (inner * D0);
		y[i] = x[((long long)a * D1 + b) * inner + r];
	}
}

// The conv geometry of I[1..12].
struct GGGeom {
	int N, Cout, H, W, Hout, Wout, kH, kW, sH, sW, pH, pW;
};

GG_FN GGGeom gg_geom(const Params &P) {
	GGGeom g;
	g.N = P.i[1];
	g.Cout = P.i[2];
	g.H = P.i[3];
	g.W = P.i[4];
	g.Hout = P.i[5];
	g.Wout = P.i[6];
	g.kH = P.i[7];
	g.kW = P.i[8];
	g.sH = P.i[9];
	g.sW = P.i[10];
	g.pH = P.i[11];
	g.pW = P.i[12];
	return g;
}

extern "C" __global__ void gg_col_gather(Params P) {
	float *cols = P.p[0], *y = P.p[1];
	GGGeom g = gg_geom(P);
	int nhw = g.N * g.H * g.W;
	GG_LOOP(idx, P.i[0]) {
		int id = (int)idx;
		int r = id / nhw, q = id % nhw;
		int kj = r % g.kW, ki = (r / g.kW) % g.kH, co = r / (g.kW * g.kH);
		int j = q % g.W, i = (q / g.W) % g.H, item = q / (g.W * g.H);
		int oy = i * g.sH - g.pH + ki, ox = j * g.sW - g.pW + kj;
		float v = 0.0f;
		if (oy >= 0 && oy < g.Hout && ox >= 0 && ox < g.Wout)
			v = y[(((long long)item * g.Cout + co) * g.Hout + oy) * g.Wout + ox];
		cols[idx] = v;
	}
}

extern "C" __global__ void gg_col_scatter(Params P) {
	float *y = P.p[0], *cols = P.p[1];
	GGGeom g = gg_geom(P);
	long long nhw = (long long)g.N * g.H * g.W;
	GG_LOOP(idx, P.i[0]) {
		int id = (int)idx;
		int ox = id % g.Wout, oy = (id / g.Wout) % g.Hout;
		int co = (id / (g.Wout * g.Hout)) % g.Cout, item = id / (g.Wout * g.Hout * g.Cout);
		float sum = 0.0f;
		for (int ki = 0; ki < g.kH; ki++) {
			int t = oy + g.pH - ki;
			if (t < 0)
				break;
			if (t % g.sH != 0 || t / g.sH >= g.H)
				continue;
			int i = t / g.sH;
			for (int kj = 0; kj < g.kW; kj++) {
				int u = ox + g.pW - kj;
				if (u < 0)
					break;
				if (u % g.sW != 0 || u / g.sW >= g.W)
					continue;
				int j = u / g.sW;
				sum += cols[((long long)(co * g.kH + ki) * g.kW + kj) * nhw + ((long long)item * g.H + i) * g.W + j];
			}
		}
		y[idx] = sum;
	}
}

// ---------------------------------------------------------------------------
// Reduction kernels: one block of GG_RB threads per output (blockIdx.x).

extern "C" __global__ void gg_sum_outer(Params P) {
	__shared__ double sh[GG_RB];
	float *y = P.p[0], *x = P.p[1];
	int K = P.i[0], A = P.i[1], B = P.i[2];
	int k = blockIdx.x;
	unsigned t = threadIdx.x;
	long long count = (long long)A * B;
	double s = 0.0;
	for (long long j = t; j < count; j += GG_RB)
		s += (double)x[((j / B) * K + k) * B + j % B];
	sh[t] = s;
	gg_tree_sum(sh, t);
	if (t == 0)
		y[k] = (float)sh[0];
}

extern "C" __global__ void gg_sum_mid(Params P) {
	__shared__ double sh[GG_RB];
	float *y = P.p[0], *x = P.p[1];
	int M = P.i[1], B = P.i[2];
	int o = blockIdx.x;
	unsigned t = threadIdx.x;
	long long base = (long long)(o / B) * M * B + o % B;
	double s = 0.0;
	for (long long j = t; j < M; j += GG_RB)
		s += (double)x[base + j * B];
	sh[t] = s;
	gg_tree_sum(sh, t);
	if (t == 0)
		y[o] = (float)sh[0];
}

// gg_channel_index is the index in [N, C, inner] of term j of channel c.
GG_FN long long gg_channel_index(long long j, int c, int C, int inner) {
	return ((j / inner) * C + c) * inner + j % inner;
}

extern "C" __global__ void gg_bn_mean(Params P) {
	__shared__ double sh[GG_RB];
	float *mean = P.p[0], *x = P.p[1];
	int C = P.i[0], N = P.i[1], inner = P.i[2];
	int c = blockIdx.x;
	unsigned t = threadIdx.x;
	long long M = (long long)N * inner;
	double s = 0.0;
	for (long long j = t; j < M; j += GG_RB)
		s += (double)x[gg_channel_index(j, c, C, inner)];
	sh[t] = s;
	gg_tree_sum(sh, t);
	if (t == 0)
		mean[c] = (float)(sh[0] / (double)M);
}

extern "C" __global__ void gg_bn_var(Params P) {
	__shared__ double sh[GG_RB];
	float *var = P.p[0], *x = P.p[1], *mean = P.p[2];
	int C = P.i[0], N = P.i[1], inner = P.i[2];
	int c = blockIdx.x;
	unsigned t = threadIdx.x;
	long long M = (long long)N * inner;
	double mu = (double)mean[c];
	double s = 0.0;
	for (long long j = t; j < M; j += GG_RB) {
		double e = (double)x[gg_channel_index(j, c, C, inner)] - mu;
		s += e * e;
	}
	sh[t] = s;
	gg_tree_sum(sh, t);
	if (t == 0)
		var[c] = (float)(sh[0] / (double)M);
}

extern "C" __global__ void gg_bn_forward(Params P) {
	float *y = P.p[0], *x = P.p[1], *mean = P.p[2], *var = P.p[3], *scale = P.p[4], *shift = P.p[5];
	int C = P.i[1], inner = P.i[2];
	float eps = P.f[0];
	GG_LOOP(i, P.i[0]) {
		int c = ((int)i / inner) % C;
		double k = (double)scale[c] * gg_invstd(var[c], eps);
		double d = ((double)x[i] - (double)mean[c]) * k;
		y[i] = (float)(d + (double)shift[c]);
	}
}

extern "C" __global__ void gg_bn_grad_sums(Params P) {
	__shared__ double sh0[GG_RB];
	__shared__ double sh1[GG_RB];
	float *sums = P.p[0], *x = P.p[1], *mean = P.p[2], *var = P.p[3], *dy = P.p[4];
	int C = P.i[0], N = P.i[1], inner = P.i[2];
	float eps = P.f[0];
	int c = blockIdx.x;
	unsigned t = threadIdx.x;
	long long M = (long long)N * inner;
	double mu = (double)mean[c];
	double s0 = 0.0, s1 = 0.0;
	for (long long j = t; j < M; j += GG_RB) {
		long long idx = gg_channel_index(j, c, C, inner);
		double g = (double)dy[idx];
		s0 += g;
		s1 += g * ((double)x[idx] - mu);
	}
	sh0[t] = s0;
	sh1[t] = s1;
	__syncthreads();
	for (unsigned w = GG_RB / 2; w > 0; w >>= 1) {
		if (t < w) {
			sh0[t] += sh0[t + w];
			sh1[t] += sh1[t + w];
		}
		__syncthreads();
	}
	if (t == 0) {
		sums[c] = (float)sh0[0];
		sums[C + c] = (float)(gg_invstd(var[c], eps) * sh1[0]);
	}
}

extern "C" __global__ void gg_bn_grad_input(Params P) {
	float *dx = P.p[0], *x = P.p[1], *mean = P.p[2], *var = P.p[3], *scale = P.p[4], *sums = P.p[5],
	      *dy = P.p[6];
	int C = P.i[1], inner = P.i[2];
	double M = (double)P.i[3];
	float eps = P.f[0];
	GG_LOOP(i, P.i[0]) {
		int c = ((int)i / inner) % C;
		double is = gg_invstd(var[c], eps);
		double k = (double)scale[c] * is;
		double dyMean = (double)sums[c] / M;
		double q = is * (double)sums[C + c] / M;
		double e = ((double)x[i] - (double)mean[c]) * q;
		dx[i] = (float)(k * ((double)dy[i] - dyMean - e));
	}
}

extern "C" __global__ void gg_bn_running(Params P) {
	float *rm = P.p[0], *rv = P.p[1], *bm = P.p[2], *bv = P.p[3];
	double m = (double)P.f[0], u = (double)P.f[1];
	GG_LOOP(i, P.i[0]) {
		rm[i] = (float)((1.0 - m) * (double)rm[i] + m * (double)bm[i]);
		rv[i] = (float)((1.0 - m) * (double)rv[i] + m * u * (double)bv[i]);
	}
}

// ---------------------------------------------------------------------------
// Optimizer steps.

extern "C" __global__ void gg_adam(Params P) {
	float *p = P.p[0], *g = P.p[1], *m = P.p[2], *v = P.p[3];
	float b1 = P.f[0], c1 = P.f[1], b2 = P.f[2], c2 = P.f[3], step = P.f[4], isb2 = P.f[5], eps = P.f[6];
	GG_LOOP(i, P.i[0]) {
		float gi = g[i];
		float mi = b1 * m[i] + c1 * gi;
		float vi = b2 * v[i] + c2 * gi * gi;
		m[i] = mi;
		v[i] = vi;
		p[i] = p[i] - step * mi / (__builtin_sqrtf(vi) * isb2 + eps);
	}
}

extern "C" __global__ void gg_sgd(Params P) {
	float *p = P.p[0], *g = P.p[1], *buf = P.p[2];
	int nesterov = P.i[1];
	double lr = (double)P.f[0], mu = (double)P.f[1];
	GG_LOOP(i, P.i[0]) {
		double gi = (double)g[i];
		double d = gi;
		if (mu != 0.0) {
			double v = mu * (double)buf[i] + gi;
			buf[i] = (float)v;
			d = nesterov ? gi + mu * v : v;
		}
		p[i] = (float)((double)p[i] - lr * d);
	}
}

extern "C" __global__ void gg_rmsprop(Params P) {
	float *p = P.p[0], *g = P.p[1], *sq = P.p[2];
	double lr = (double)P.f[0], a = (double)P.f[1], eps = (double)P.f[2];
	GG_LOOP(i, P.i[0]) {
		double gi = (double)g[i];
		double s = a * (double)sq[i] + (1.0 - a) * gi * gi;
		sq[i] = (float)s;
		p[i] = (float)((double)p[i] - lr * gi / (__builtin_sqrt(s) + eps));
	}
}

// ---------------------------------------------------------------------------
// Checks.

extern "C" __global__ void gg_check_finite(Params P) {
	float *flags = P.p[0], *x = P.p[1];
	int slot = P.i[1];
	GG_LOOP(i, P.i[0]) {
		if (!gg_isfinite(x[i]))
			flags[slot] = 1.0f; // every writer stores the same value
	}
}

// ---------------------------------------------------------------------------
// Minibatch discrimination (ops.MinibatchKernels and its gradients): m is
// [N, B, C]; g is [N, B]; h is [N, B, C]. One thread per output element,
// the sum over the batch j = 0, 1, ..., N−1 in that order, in double; the
// L1 distance over c ascending in float, e = gg_exp(−d) (no libdevice, no
// ex2.approx), the per-pair products in float.

// gg_mbd_dist is Σ_c |m[i, b, c] − m[j, b, c]| in float, c ascending.
GG_FN float gg_mbd_dist(const float *m, int i, int j, int b, int B, int C) {
	const float *x = m + ((long long)i * B + b) * C, *y = m + ((long long)j * B + b) * C;
	float d = 0.0f;
	for (int c = 0; c < C; c++)
		d += __builtin_fabsf(x[c] - y[c]);
	return d;
}

// gg_sign is −1, 0 or 1 (NaN gives 0).
GG_FN float gg_sign(float x) { return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f); }

// gg_mbd_u is Σ_c sign(m[i, b, c] − m[j, b, c])·(h[i, b, c] − h[j, b, c])
// in float, c ascending.
GG_FN float gg_mbd_u(const float *m, const float *h, int i, int j, int b, int B, int C) {
	long long xi = ((long long)i * B + b) * C, xj = ((long long)j * B + b) * C;
	float u = 0.0f;
	for (int c = 0; c < C; c++)
		u += gg_sign(m[xi + c] - m[xj + c]) * (h[xi + c] - h[xj + c]);
	return u;
}

extern "C" __global__ void gg_mbd(Params P) {
	float *o = P.p[0], *m = P.p[1];
	int N = P.i[1], B = P.i[2], C = P.i[3];
	GG_LOOP(idx, P.i[0]) {
		int i = (int)idx / B, b = (int)idx % B;
		double s = 0.0;
		for (int j = 0; j < N; j++)
			s += (double)gg_exp(-gg_mbd_dist(m, i, j, b, B, C));
		o[idx] = (float)s;
	}
}

extern "C" __global__ void gg_mbd_grad(Params P) {
	float *dm = P.p[0], *m = P.p[1], *g = P.p[2];
	int N = P.i[1], B = P.i[2], C = P.i[3];
	GG_LOOP(idx, P.i[0]) {
		int c = (int)idx % C, b = ((int)idx / C) % B, i = (int)idx / (B * C);
		float mi = m[idx], gi = g[(long long)i * B + b];
		double s = 0.0;
		for (int j = 0; j < N; j++) {
			float e = gg_exp(-gg_mbd_dist(m, i, j, b, B, C));
			float w = (gi + g[(long long)j * B + b]) * e;
			s -= (double)(w * gg_sign(mi - m[((long long)j * B + b) * C + c]));
		}
		dm[idx] = (float)s;
	}
}

extern "C" __global__ void gg_mbd_grad_g(Params P) {
	float *dg = P.p[0], *m = P.p[1], *h = P.p[2];
	int N = P.i[1], B = P.i[2], C = P.i[3];
	GG_LOOP(idx, P.i[0]) {
		int i = (int)idx / B, b = (int)idx % B;
		double s = 0.0;
		for (int j = 0; j < N; j++) {
			float e = gg_exp(-gg_mbd_dist(m, i, j, b, B, C));
			s -= (double)(e * gg_mbd_u(m, h, i, j, b, B, C));
		}
		dg[idx] = (float)s;
	}
}

extern "C" __global__ void gg_mbd_grad_m(Params P) {
	float *dm = P.p[0], *m = P.p[1], *g = P.p[2], *h = P.p[3];
	int N = P.i[1], B = P.i[2], C = P.i[3];
	GG_LOOP(idx, P.i[0]) {
		int c = (int)idx % C, b = ((int)idx / C) % B, i = (int)idx / (B * C);
		float mi = m[idx], gi = g[(long long)i * B + b];
		double s = 0.0;
		for (int j = 0; j < N; j++) {
			float e = gg_exp(-gg_mbd_dist(m, i, j, b, B, C));
			float w = (gi + g[(long long)j * B + b]) * e;
			w = w * gg_mbd_u(m, h, i, j, b, B, C);
			s += (double)(w * gg_sign(mi - m[((long long)j * B + b) * C + c]));
		}
		dm[idx] = (float)s;
	}
}
