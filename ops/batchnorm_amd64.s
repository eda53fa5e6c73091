//go:build amd64 && !purego

#include "textflag.h"

// func bnAffineAVX2(x, y *float32, n int, mu, a, b float64)
//
// y[j] = float32((float64(x[j]) − mu)·a + b) for j < n, n a multiple of
// 4: the Go loop's operations (no fused multiply-add) in its order, four
// at a time in float64, so the same values. y may alias x.
TEXT ·bnAffineAVX2(SB), NOSPLIT, $0-48
	MOVQ         x+0(FP), SI
	MOVQ         y+8(FP), DI
	MOVQ         n+16(FP), CX
	VBROADCASTSD mu+24(FP), Y1
	VBROADCASTSD a+32(FP), Y2
	VBROADCASTSD b+40(FP), Y3

loop:
	TESTQ      CX, CX
	JZ         done
	VCVTPS2PD  (SI), Y0
	VSUBPD     Y1, Y0, Y0
	VMULPD     Y2, Y0, Y0
	VADDPD     Y3, Y0, Y0
	VCVTPD2PSY Y0, X0
	VMOVUPS    X0, (DI)
	ADDQ       $16, SI
	ADDQ       $16, DI
	SUBQ       $4, CX
	JMP        loop

done:
	VZEROUPPER
	RET

// func bnGradInputAVX2(x, dy, dx *float32, n int, mu, k, dyMean, q float64)
//
// dx[j] = float32(k·((float64(dy[j]) − dyMean) − (float64(x[j]) − mu)·q))
// for j < n, n a multiple of 4: the Go loop's operations in its order.
// dx may alias x or dy.
TEXT ·bnGradInputAVX2(SB), NOSPLIT, $0-64
	MOVQ         x+0(FP), SI
	MOVQ         dy+8(FP), DX
	MOVQ         dx+16(FP), DI
	MOVQ         n+24(FP), CX
	VBROADCASTSD mu+32(FP), Y1
	VBROADCASTSD k+40(FP), Y2
	VBROADCASTSD dyMean+48(FP), Y3
	VBROADCASTSD q+56(FP), Y4

gloop:
	TESTQ      CX, CX
	JZ         gdone
	VCVTPS2PD  (DX), Y0
	VSUBPD     Y3, Y0, Y0 // dy − dyMean
	VCVTPS2PD  (SI), Y5
	VSUBPD     Y1, Y5, Y5 // x − mu
	VMULPD     Y4, Y5, Y5 // ·q
	VSUBPD     Y5, Y0, Y0
	VMULPD     Y0, Y2, Y0 // k·
	VCVTPD2PSY Y0, X0
	VMOVUPS    X0, (DI)
	ADDQ       $16, SI
	ADDQ       $16, DX
	ADDQ       $16, DI
	SUBQ       $4, CX
	JMP        gloop

gdone:
	VZEROUPPER
	RET
