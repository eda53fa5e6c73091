//go:build amd64 && !purego

#include "textflag.h"

// func leakyAVX(x, m, out *float32, n int, pos, neg float32)
//
// For i < n (a multiple of 8): out[i] = m[i]·(x[i] ≥ 0 ? pos : neg),
// eight floats at a time: an ordered ≥ comparison with zero (false for
// NaN), a blend of the two factors, one multiply. AVX.
TEXT ·leakyAVX(SB), NOSPLIT, $0-40
	MOVQ         x+0(FP), SI
	MOVQ         m+8(FP), BX
	MOVQ         out+16(FP), DI
	MOVQ         n+24(FP), CX
	VBROADCASTSS pos+32(FP), Y4
	VBROADCASTSS neg+36(FP), Y3
	VXORPS       Y5, Y5, Y5
	SHRQ         $3, CX
	JZ           doneleaky

loopleaky:
	VMOVUPS   (SI), Y0
	VCMPPS    $0x1d, Y5, Y0, Y1 // Y1 = x ≥ 0 (GE_OQ)
	VBLENDVPS Y1, Y4, Y3, Y2    // Y2 = Y1 ? pos : neg
	VMULPS    (BX), Y2, Y2
	VMOVUPS   Y2, (DI)
	ADDQ      $32, SI
	ADDQ      $32, BX
	ADDQ      $32, DI
	DECQ      CX
	JNZ       loopleaky

doneleaky:
	VZEROUPPER
	RET
