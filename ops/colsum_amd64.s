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

// func gatherRowsAVX512(dst *float32, dstStride int, src *float32, srcStride int, idx *int32, idxStride, rows, width int)
//
// For r < rows and i < width (a positive multiple of 16):
// dst[r·dstStride + i] = src[r·srcStride + idx[r·idxStride + i]], 16
// indices at a time with VGATHERDPS. The caller guarantees the indices
// are in range.
TEXT ·gatherRowsAVX512(SB), NOSPLIT, $0-64
	MOVQ dst+0(FP), DI
	MOVQ dstStride+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ srcStride+24(FP), R9
	MOVQ idx+32(FP), BX
	MOVQ idxStride+40(FP), R10
	MOVQ rows+48(FP), CX
	MOVQ width+56(FP), DX
	SHLQ $2, R8
	SHLQ $2, R9
	SHLQ $2, R10
	TESTQ CX, CX
	JEQ  doneg
	TESTQ DX, DX
	JEQ  doneg

rowg:
	MOVQ DI, R11
	MOVQ BX, R12
	MOVQ DX, R13

colg:
	VMOVDQU32  (R12), Z1
	KXNORW     K1, K1, K1
	VGATHERDPS (SI)(Z1*4), K1, Z0
	VMOVUPS    Z0, (R11)
	ADDQ       $64, R11
	ADDQ       $64, R12
	SUBQ       $16, R13
	JNE        colg
	ADDQ       R8, DI
	ADDQ       R9, SI
	ADDQ       R10, BX
	DECQ       CX
	JNE        rowg

doneg:
	VZEROUPPER
	RET
