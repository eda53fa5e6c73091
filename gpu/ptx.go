package gpu

import _ "embed" // for PTX

// PTX is the PTX 7.8 module, for sm_90 (H100/H200), of every kernel of the
// catalogue: kernels/kernels.cu compiled by kernels/build.sh (go generate)
// with clang-19. Each kernel is a ".visible .entry" named as its
// KernelInfo.Name, taking one 160-byte parameter laid out as Params: 8
// 64-bit device pointers (the element offsets already applied), 16 int32
// and 8 float32. Its first line, "// gg-sources-sha256: …", is the SHA-256
// of kernels.cu, device.h and host.h it was built from. The CUDA device
// loads it with cuModuleLoadData.
//
//go:embed kernels/kernels.ptx
var PTX []byte
