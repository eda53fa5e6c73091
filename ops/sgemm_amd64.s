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
