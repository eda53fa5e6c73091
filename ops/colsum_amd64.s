//go:build amd64 && !purego

#include "textflag.h"

// func colAddAVX512(acc, row *float32, tab *int32, count, n int)
//
// For p < count and k < n (n a positive multiple of 16):
// acc[tab[p]·n + k] += row[p·n + k], one 16-float vector add at a time.
TEXT ·colAddAVX512(SB), NOSPLIT, $0-40
	MOVQ acc+0(FP), DI
	MOVQ row+8(FP), SI
	MOVQ tab+16(FP), BX
	MOVQ count+24(FP), CX
	MOVQ n+32(FP), DX
	MOVQ DX, R8
	SHLQ $2, R8 // bytes per accumulator row
	TESTQ CX, CX
	JEQ  done512

loop512p:
	MOVLQSX (BX), AX
	IMULQ   R8, AX
	LEAQ    (DI)(AX*1), R9
	MOVQ    DX, R10

loop512k:
	VMOVUPS (R9), Z0
	VADDPS  (SI), Z0, Z0
	VMOVUPS Z0, (R9)
	ADDQ    $64, R9
	ADDQ    $64, SI
	SUBQ    $16, R10
	JNE     loop512k
	ADDQ    $4, BX
	DECQ    CX
	JNE     loop512p

done512:
	VZEROUPPER
	RET

// func colAddAVX2(acc, row *float32, tab *int32, count, n int)
//
// colAddAVX512 with 8-float vectors: n a positive multiple of 8. AVX.
TEXT ·colAddAVX2(SB), NOSPLIT, $0-40
	MOVQ acc+0(FP), DI
	MOVQ row+8(FP), SI
	MOVQ tab+16(FP), BX
	MOVQ count+24(FP), CX
	MOVQ n+32(FP), DX
	MOVQ DX, R8
	SHLQ $2, R8
	TESTQ CX, CX
	JEQ  done256

loop256p:
	MOVLQSX (BX), AX
	IMULQ   R8, AX
	LEAQ    (DI)(AX*1), R9
	MOVQ    DX, R10

loop256k:
	VMOVUPS (R9), Y0
	VADDPS  (SI), Y0, Y0
	VMOVUPS Y0, (R9)
	ADDQ    $32, R9
	ADDQ    $32, SI
	SUBQ    $8, R10
	JNE     loop256k
	ADDQ    $4, BX
	DECQ    CX
	JNE     loop256p

done256:
	VZEROUPPER
	RET
