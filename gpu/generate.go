package gpu

// kernels/kernels.ptx (embedded as PTX) and internal/emu/stamp.h are
// generated from kernels/kernels.cu by kernels/build.sh, which needs
// clang-19 (apt-get install clang-19) but no CUDA SDK.
//go:generate bash kernels/build.sh
