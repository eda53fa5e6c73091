//go:build amd64 && !purego

#include "textflag.h"

// func adamAVX(p, grad, m, v *float32, n int, k *adamConst32)
//
// For each i < n (n a multiple of 8), eight at a time, as updateGo:
//
//	mi = c1*g + b1*m
//	vi = (c2*g)*g + b2*v
//	m, v = mi, vi
//	p = p - (step*mi) / (eps + isb2*sqrt(vi))
//
// with no fused multiply-add, and with every operand in the order of the
// SSE code the Go compiler emits for updateGo (which matters only for the
// payload of a NaN when both operands are NaN). Loads and stores follow
// updateGo's too: g, m, v loaded; m, v stored; p loaded and stored.
TEXT ·adamAVX(SB), NOSPLIT, $0-48
	MOVQ p+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ m+16(FP), R8
	MOVQ v+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ k+40(FP), AX

	// adamConst32{b1, c1, b2, c2, step, isb2, eps float32}
	VBROADCASTSS 0(AX), Y0  // b1
	VBROADCASTSS 4(AX), Y1  // c1
	VBROADCASTSS 8(AX), Y2  // b2
	VBROADCASTSS 12(AX), Y3 // c2
	VBROADCASTSS 16(AX), Y4 // step
	VBROADCASTSS 20(AX), Y5 // isb2
	VBROADCASTSS 24(AX), Y6 // eps

	XORQ BX, BX
	CMPQ BX, CX
	JGE  done

loop:
	VMOVUPS (SI)(BX*4), Y7        // g
	VMULPS  (R8)(BX*4), Y0, Y8    // b1*m
	VMULPS  Y7, Y1, Y9            // c1*g
	VADDPS  Y8, Y9, Y9            // mi = c1*g + b1*m
	VMULPS  (R9)(BX*4), Y2, Y10   // b2*v
	VMULPS  Y7, Y3, Y11           // c2*g
	VMULPS  Y7, Y11, Y11          // (c2*g)*g
	VADDPS  Y10, Y11, Y11         // vi = (c2*g)*g + b2*v
	VMOVUPS Y9, (R8)(BX*4)        // m = mi
	VMOVUPS Y11, (R9)(BX*4)       // v = vi
	VMULPS  Y9, Y4, Y9            // step*mi
	VSQRTPS Y11, Y11              // sqrt(vi)
	VMULPS  Y11, Y5, Y11          // isb2*sqrt(vi)
	VADDPS  Y11, Y6, Y11          // eps + isb2*sqrt(vi)
	VDIVPS  Y11, Y9, Y9           // (step*mi) / (...)
	VMOVUPS (DI)(BX*4), Y12       // p
	VSUBPS  Y9, Y12, Y12          // p - (step*mi)/(...)
	VMOVUPS Y12, (DI)(BX*4)
	ADDQ    $8, BX
	CMPQ    BX, CX
	JLT     loop

done:
	VZEROUPPER
	RET
