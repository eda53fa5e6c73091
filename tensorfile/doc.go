// Package tensorfile reads and writes gogan's tensor files: a general,
// versioned, self-checking binary container for named tensors (float32,
// float64, int64, uint8) plus free-form JSON metadata. It knows nothing of
// networks or training; the files built on it give the metadata and the
// tensor names their meaning:
//
//   - model files (gan.Trainer.Save, gan.ReadModel, models.Load): the
//     networks' specs as metadata, one tensor per parameter;
//   - training checkpoints (gan.Trainer.SaveCheckpoint): the same plus the
//     optimizers' buffers, the step counter and the random generators'
//     states;
//   - the weights of metrics/mnistclf's classifier.
//
// It imports only the standard library and package atomicfile, so any
// package may store tensors with it.
//
// # Using it
//
// A File holds the metadata (any JSON value, chosen by the caller) and an
// ordered list of tensors. Write and WriteFile store it; Read and ReadFile
// load it. WriteFile replaces the destination atomically: a concurrent
// reader, or a reader after a crash, sees the old file or the complete new
// one, never a mixture. Read and ReadFile verify the checksum of the whole
// content before they return anything, so a truncated or corrupt file is
// rejected with an error, never half loaded; every length in the file is
// checked against the bytes actually present before memory is allocated
// for it.
//
// # Format, version 1
//
// All integers are little-endian and of fixed width. Offsets below are
// from the start of the file; H is the header length and D the data
// length.
//
//	offset      size  content
//	0           8     magic: the bytes "GOGANCK\x00" (47 4F 47 41 4E 43 4B 00)
//	8           4     format version, uint32; this package writes 1
//	12          4     header length H in bytes, uint32; at most MaxHeaderSize (16 MiB)
//	16          8     data length D in bytes, uint64
//	24          H     header: a UTF-8 JSON object (see below)
//	24+H        D     data: the tensors' elements (see below)
//	24+H+D      32    SHA-256 of bytes [0, 24+H+D), i.e. of everything before it
//	56+H+D      8     end magic: the bytes "GOGANEND" (47 4F 47 41 4E 45 4E 44)
//
// The file is 64+H+D bytes long. ReadFile rejects a file of any other
// size; Read consumes exactly that many bytes from its reader and leaves
// anything after them unread.
//
// The header is a JSON object with the keys
//
//	"meta"     the caller's metadata, any JSON value; absent when File.Meta is empty
//	"tensors"  an array with one object per tensor, in the order of File.Tensors:
//	           "name"    string, non-empty, unique in the file
//	           "dtype"   "float32", "float64", "int64" or "uint8"
//	           "shape"   array of non-negative integers; [] for a scalar
//	           "offset"  byte offset of the tensor's data from the start of the data section
//	           "length"  byte length of the tensor's data: the product of shape × element size
//
// for example
//
//	{"meta":{"steps":10},"tensors":[{"name":"w","dtype":"float32","shape":[2,3],"offset":0,"length":24}]}
//
// Readers ignore other keys. The writer pads the header with trailing
// spaces (0x20) so that H, and therefore the start of the data section,
// is a multiple of 8.
//
// The data section holds each tensor's elements in row-major (C) order,
// little-endian: float32 and float64 as their IEEE 754 bit patterns
// (NaN payloads and the sign of zero are preserved exactly), int64 as
// two's complement, uint8 as bytes. The writer places the tensors in table
// order, each at an offset that is a multiple of 8, with zero bytes
// between them. Readers require only that every tensor lies inside the
// data section and that no byte belongs to two tensors; they do not
// require alignment or order.
//
// # Compatibility
//
// The version is incremented for any change that a version 1 reader
// could misread. A reader rejects a file whose version is newer than the
// one it supports (see VersionError), and adding header keys does not
// need a new version.
package tensorfile
