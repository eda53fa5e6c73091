//go:build amd64 && !purego

#include "textflag.h"

// func leakyScaleAVX2(x, dy, out *float32, n int, slope float32)
//
// out[i] = dy[i] · f, f = 1 where x[i] ≥ 0 and slope elsewhere (NaN
// included), eight at a time; n is a multiple of 8. The same product as
// the Go loop, so the same values. LeakyReLU passes dy = x.
TEXT ·leakyScaleAVX2(SB), NOSPLIT, $0-36
	MOVQ         x+0(FP), SI
	MOVQ         dy+8(FP), DX
	MOVQ         out+16(FP), DI
	MOVQ         n+24(FP), CX
	VBROADCASTSS slope+32(FP), Y1
	MOVL         $0x3f800000, AX // 1.0
	MOVL         AX, X2
	VBROADCASTSS X2, Y2
	VXORPS       Y3, Y3, Y3

loop:
	TESTQ     CX, CX
	JZ        done
	VMOVUPS   (SI), Y4
	VCMPPS    $0x0D, Y3, Y4, Y5 // Y5 = x ≥ 0 (GE_OS: false for NaN)
	VBLENDVPS Y5, Y2, Y1, Y6    // Y6 = Y5 ? 1 : slope
	VMOVUPS   (DX), Y7
	VMULPS    Y6, Y7, Y7
	VMOVUPS   Y7, (DI)
	ADDQ      $32, SI
	ADDQ      $32, DX
	ADDQ      $32, DI
	SUBQ      $8, CX
	JMP       loop

done:
	VZEROUPPER
	RET
