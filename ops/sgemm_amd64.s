//go:build amd64 && !purego

#include "textflag.h"

// One step p of the 6×16 tile: two 8-float vectors of the B panel
// (Y12, Y13) times each of the six A values (broadcast into Y14/Y15),
// accumulated with FMA into Y0..Y11 (row i in Y(2i), Y(2i+1)).
#define STEP(ao, bo) \
	VMOVUPS      bo(BX), Y12           \
	VMOVUPS      bo+32(BX), Y13        \
	VBROADCASTSS ao(AX), Y14           \
	VFMADD231PS  Y12, Y14, Y0          \
	VFMADD231PS  Y13, Y14, Y1          \
	VBROADCASTSS ao+4(AX), Y15         \
	VFMADD231PS  Y12, Y15, Y2          \
	VFMADD231PS  Y13, Y15, Y3          \
	VBROADCASTSS ao+8(AX), Y14         \
	VFMADD231PS  Y12, Y14, Y4          \
	VFMADD231PS  Y13, Y14, Y5          \
	VBROADCASTSS ao+12(AX), Y15        \
	VFMADD231PS  Y12, Y15, Y6          \
	VFMADD231PS  Y13, Y15, Y7          \
	VBROADCASTSS ao+16(AX), Y14        \
	VFMADD231PS  Y12, Y14, Y8          \
	VFMADD231PS  Y13, Y14, Y9          \
	VBROADCASTSS ao+20(AX), Y15        \
	VFMADD231PS  Y12, Y15, Y10         \
	VFMADD231PS  Y13, Y15, Y11

// Row r of the tile to C at DI: alpha·acc (+ beta·C), then DI += ldc.
#define STORE(r0, r1) \
	VMULPS  Y14, r0, r0  \
	VMULPS  Y14, r1, r1  \
	VMOVUPS r0, (DI)     \
	VMOVUPS r1, 32(DI)   \
	ADDQ    DX, DI

#define STOREBETA(r0, r1) \
	VMULPS      Y14, r0, r0    \
	VMULPS      Y14, r1, r1    \
	VFMADD231PS (DI), Y15, r0  \
	VFMADD231PS 32(DI), Y15, r1 \
	VMOVUPS     r0, (DI)       \
	VMOVUPS     r1, 32(DI)     \
	ADDQ        DX, DI

// func sgemmKernelAVX2(kc int, a, b, c *float32, ldc int, alpha, beta float32)
//
// c[i·ldc+j] = alpha·Σ_p a[6p+i]·b[16p+j] + beta·c[i·ldc+j] for i < 6,
// j < 16, the sum accumulated in p order with one FMA per step, then
// multiplied by alpha, then beta·c added with one FMA; c is not read
// when beta is ±0.
TEXT ·sgemmKernelAVX2(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DI
	MOVQ ldc+32(FP), DX
	SHLQ $2, DX

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

	MOVQ CX, R8
	SHRQ $2, R8 // kc/4 unrolled iterations
	ANDQ $3, CX // then kc%4 single steps
	TESTQ R8, R8
	JZ   tail

loop4:
	PREFETCHT0 384(BX)
	STEP(0, 0)
	STEP(24, 64)
	PREFETCHT0 448(BX)
	STEP(48, 128)
	STEP(72, 192)
	ADDQ $96, AX
	ADDQ $256, BX
	DECQ R8
	JNZ  loop4

tail:
	TESTQ CX, CX
	JZ    epilogue

loop1:
	STEP(0, 0)
	ADDQ $24, AX
	ADDQ $64, BX
	DECQ CX
	JNZ  loop1

epilogue:
	VBROADCASTSS alpha+40(FP), Y14
	MOVL         beta+44(FP), R9
	ANDL         $0x7fffffff, R9
	JNZ          withbeta

	STORE(Y0, Y1)
	STORE(Y2, Y3)
	STORE(Y4, Y5)
	STORE(Y6, Y7)
	STORE(Y8, Y9)
	STORE(Y10, Y11)
	VZEROUPPER
	RET

withbeta:
	VBROADCASTSS beta+44(FP), Y15
	STOREBETA(Y0, Y1)
	STOREBETA(Y2, Y3)
	STOREBETA(Y4, Y5)
	STOREBETA(Y6, Y7)
	STOREBETA(Y8, Y9)
	STOREBETA(Y10, Y11)
	VZEROUPPER
	RET

// One step p of the 12×32 tile: two 16-float vectors of the B panel
// (Z24, Z25) times each of the twelve A values (broadcast into Z26..Z31
// in turn), accumulated with FMA into Z0..Z23 (row i in Z(2i), Z(2i+1)).
#define STEP512(ao, bo) \
	VMOVUPS      bo(BX), Z24           \
	VMOVUPS      bo+64(BX), Z25        \
	VBROADCASTSS ao(AX), Z26           \
	VBROADCASTSS ao+4(AX), Z27         \
	VBROADCASTSS ao+8(AX), Z28         \
	VFMADD231PS  Z24, Z26, Z0          \
	VFMADD231PS  Z25, Z26, Z1          \
	VFMADD231PS  Z24, Z27, Z2          \
	VFMADD231PS  Z25, Z27, Z3          \
	VFMADD231PS  Z24, Z28, Z4          \
	VFMADD231PS  Z25, Z28, Z5          \
	VBROADCASTSS ao+12(AX), Z29        \
	VBROADCASTSS ao+16(AX), Z30        \
	VBROADCASTSS ao+20(AX), Z31        \
	VFMADD231PS  Z24, Z29, Z6          \
	VFMADD231PS  Z25, Z29, Z7          \
	VFMADD231PS  Z24, Z30, Z8          \
	VFMADD231PS  Z25, Z30, Z9          \
	VFMADD231PS  Z24, Z31, Z10         \
	VFMADD231PS  Z25, Z31, Z11         \
	VBROADCASTSS ao+24(AX), Z26        \
	VBROADCASTSS ao+28(AX), Z27        \
	VBROADCASTSS ao+32(AX), Z28        \
	VFMADD231PS  Z24, Z26, Z12         \
	VFMADD231PS  Z25, Z26, Z13         \
	VFMADD231PS  Z24, Z27, Z14         \
	VFMADD231PS  Z25, Z27, Z15         \
	VFMADD231PS  Z24, Z28, Z16         \
	VFMADD231PS  Z25, Z28, Z17         \
	VBROADCASTSS ao+36(AX), Z29        \
	VBROADCASTSS ao+40(AX), Z30        \
	VBROADCASTSS ao+44(AX), Z31        \
	VFMADD231PS  Z24, Z29, Z18         \
	VFMADD231PS  Z25, Z29, Z19         \
	VFMADD231PS  Z24, Z30, Z20         \
	VFMADD231PS  Z25, Z30, Z21         \
	VFMADD231PS  Z24, Z31, Z22         \
	VFMADD231PS  Z25, Z31, Z23

#define STORE512(r0, r1) \
	VMULPS  Z26, r0, r0  \
	VMULPS  Z26, r1, r1  \
	VMOVUPS r0, (DI)     \
	VMOVUPS r1, 64(DI)   \
	ADDQ    DX, DI

#define STOREBETA512(r0, r1) \
	VMULPS      Z26, r0, r0    \
	VMULPS      Z26, r1, r1    \
	VFMADD231PS (DI), Z27, r0  \
	VFMADD231PS 64(DI), Z27, r1 \
	VMOVUPS     r0, (DI)       \
	VMOVUPS     r1, 64(DI)     \
	ADDQ        DX, DI

// func sgemmKernelAVX512(kc int, a, b, c *float32, ldc int, alpha, beta float32)
//
// sgemmKernelAVX2's computation on a 12×32 tile: a holds 12 floats and b
// 32 per step.
TEXT ·sgemmKernelAVX512(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DI
	MOVQ ldc+32(FP), DX
	SHLQ $2, DX

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23

	MOVQ CX, R8
	SHRQ $2, R8
	ANDQ $3, CX
	TESTQ R8, R8
	JZ   tail512

loop512:
	PREFETCHT0 1024(BX)
	PREFETCHT0 1088(BX)
	STEP512(0, 0)
	PREFETCHT0 1152(BX)
	PREFETCHT0 1216(BX)
	STEP512(48, 128)
	PREFETCHT0 1280(BX)
	PREFETCHT0 1344(BX)
	STEP512(96, 256)
	PREFETCHT0 1408(BX)
	PREFETCHT0 1472(BX)
	STEP512(144, 384)
	ADDQ $192, AX
	ADDQ $512, BX
	DECQ R8
	JNZ  loop512

tail512:
	TESTQ CX, CX
	JZ    epilogue512

loop512one:
	STEP512(0, 0)
	ADDQ $48, AX
	ADDQ $128, BX
	DECQ CX
	JNZ  loop512one

epilogue512:
	VBROADCASTSS alpha+40(FP), Z26
	MOVL         beta+44(FP), R9
	ANDL         $0x7fffffff, R9
	JNZ          withbeta512

	STORE512(Z0, Z1)
	STORE512(Z2, Z3)
	STORE512(Z4, Z5)
	STORE512(Z6, Z7)
	STORE512(Z8, Z9)
	STORE512(Z10, Z11)
	STORE512(Z12, Z13)
	STORE512(Z14, Z15)
	STORE512(Z16, Z17)
	STORE512(Z18, Z19)
	STORE512(Z20, Z21)
	STORE512(Z22, Z23)
	VZEROUPPER
	RET

withbeta512:
	VBROADCASTSS beta+44(FP), Z27
	STOREBETA512(Z0, Z1)
	STOREBETA512(Z2, Z3)
	STOREBETA512(Z4, Z5)
	STOREBETA512(Z6, Z7)
	STOREBETA512(Z8, Z9)
	STOREBETA512(Z10, Z11)
	STOREBETA512(Z12, Z13)
	STOREBETA512(Z14, Z15)
	STOREBETA512(Z16, Z17)
	STOREBETA512(Z18, Z19)
	STOREBETA512(Z20, Z21)
	STOREBETA512(Z22, Z23)
	VZEROUPPER
	RET

// func sgemmPackT8(dst *float32, ldd int, src *float32, lds int, k8 int)
//
// For p < k8 (a multiple of 8) and j < 8: dst[p·ldd + j] = src[j·lds + p],
// 8×8 blocks at a time (eight row loads, an in-register transpose with
// unpack/shuffle/permute, eight row stores). AVX.
TEXT ·sgemmPackT8(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), DX
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), BX
	MOVQ k8+32(FP), CX
	SHLQ $2, DX
	SHLQ $2, BX
	LEAQ (BX)(BX*2), R8 // 3·lds
	LEAQ (SI)(BX*4), R9 // src + 4·lds
	SHRQ $3, CX
	JZ   donet8

loopt8:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(BX*1), Y1
	VMOVUPS (SI)(BX*2), Y2
	VMOVUPS (SI)(R8*1), Y3
	VMOVUPS (R9), Y4
	VMOVUPS (R9)(BX*1), Y5
	VMOVUPS (R9)(BX*2), Y6
	VMOVUPS (R9)(R8*1), Y7

	VUNPCKLPS Y1, Y0, Y8  // a0 b0 a1 b1 | a4 b4 a5 b5
	VUNPCKHPS Y1, Y0, Y9  // a2 b2 a3 b3 | a6 b6 a7 b7
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15

	VSHUFPS $0x44, Y10, Y8, Y0  // a0 b0 c0 d0 | a4 b4 c4 d4
	VSHUFPS $0xEE, Y10, Y8, Y1  // a1 b1 c1 d1 | a5 ...
	VSHUFPS $0x44, Y11, Y9, Y2  // a2 ... | a6 ...
	VSHUFPS $0xEE, Y11, Y9, Y3  // a3 ... | a7 ...
	VSHUFPS $0x44, Y14, Y12, Y4 // e0 f0 g0 h0 | e4 ...
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7

	VPERM2F128 $0x20, Y4, Y0, Y8  // column 0
	VPERM2F128 $0x20, Y5, Y1, Y9  // column 1
	VPERM2F128 $0x20, Y6, Y2, Y10 // column 2
	VPERM2F128 $0x20, Y7, Y3, Y11 // column 3
	VPERM2F128 $0x31, Y4, Y0, Y12 // column 4
	VPERM2F128 $0x31, Y5, Y1, Y13 // column 5
	VPERM2F128 $0x31, Y6, Y2, Y14 // column 6
	VPERM2F128 $0x31, Y7, Y3, Y15 // column 7

	VMOVUPS Y8, (DI)
	ADDQ    DX, DI
	VMOVUPS Y9, (DI)
	ADDQ    DX, DI
	VMOVUPS Y10, (DI)
	ADDQ    DX, DI
	VMOVUPS Y11, (DI)
	ADDQ    DX, DI
	VMOVUPS Y12, (DI)
	ADDQ    DX, DI
	VMOVUPS Y13, (DI)
	ADDQ    DX, DI
	VMOVUPS Y14, (DI)
	ADDQ    DX, DI
	VMOVUPS Y15, (DI)
	ADDQ    DX, DI

	ADDQ $32, SI
	ADDQ $32, R9
	DECQ CX
	JNZ  loopt8

donet8:
	VZEROUPPER
	RET
