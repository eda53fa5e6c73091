//go:build amd64 && !purego

#include "textflag.h"

// func sqDistAVX2(a, b *float32, n int) float64
//
// n is a multiple of 16. Four 4-lane float64 accumulators; each step
// widens four floats of a and of b (VCVTPS2PD), subtracts and adds the
// square with one fused multiply-add.
TEXT ·sqDistAVX2(SB), NOSPLIT, $0-32
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3

loop:
	TESTQ CX, CX
	JZ    done
	VCVTPS2PD 0(SI), Y4
	VCVTPS2PD 0(DI), Y5
	VSUBPD    Y5, Y4, Y4
	VFMADD231PD Y4, Y4, Y0
	VCVTPS2PD 16(SI), Y6
	VCVTPS2PD 16(DI), Y7
	VSUBPD    Y7, Y6, Y6
	VFMADD231PD Y6, Y6, Y1
	VCVTPS2PD 32(SI), Y8
	VCVTPS2PD 32(DI), Y9
	VSUBPD    Y9, Y8, Y8
	VFMADD231PD Y8, Y8, Y2
	VCVTPS2PD 48(SI), Y10
	VCVTPS2PD 48(DI), Y11
	VSUBPD    Y11, Y10, Y10
	VFMADD231PD Y10, Y10, Y3
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  loop

done:
	VADDPD       Y1, Y0, Y0
	VADDPD       Y3, Y2, Y2
	VADDPD       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VPERMILPD    $1, X0, X1
	VADDSD       X1, X0, X0
	VZEROUPPER
	MOVSD X0, ret+24(FP)
	RET
