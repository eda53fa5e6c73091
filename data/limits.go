package data

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// DefaultMaxBytes is the memory limit of MaxBytes when neither MaxBytes
// nor the environment variable MaxBytesEnv sets one: 1 GiB, room for 1.3
// million 28×28 digits or 87,000 64×64 RGB images, and little enough that
// a process limited to 3 GB of address space can still hold it.
const DefaultMaxBytes = 1 << 30

// MaxBytesEnv is the environment variable that sets the memory limit when
// MaxBytes is 0: a number of bytes, as digits or with a suffix k, M, G, T
// (powers of 1000) or Ki, Mi, Gi, Ti (powers of 1024), optionally followed
// by B, for example 4000000000, 4G or 3.5GiB.
const MaxBytesEnv = "GOGAN_MAX_DATA_BYTES"

// MaxBytes, when positive, is the most memory in bytes that one data set,
// one IDX array or one converted copy of either may take. When it is 0,
// the default, the limit is read from the environment variable MaxBytesEnv,
// or is DefaultMaxBytes if that is unset.
//
// Readers check the size an input declares (an IDX header, the images a
// folder holds) against the limit before they allocate, so a file that
// promises more than the limit, whatever it really holds, ends in an error
// that wraps ErrTooLarge and says how much it needs, instead of in an
// out-of-memory crash. Set MaxBytes before reading, not concurrently.
var MaxBytes int64

// ErrTooLarge is wrapped by the errors of inputs that need more memory than
// the limit of MaxBytes.
var ErrTooLarge = errors.New("larger than the data memory limit")

// SizeError is the error of an input that needs more memory than the limit.
// It wraps ErrTooLarge.
type SizeError struct {
	What  string // what needs the memory, e.g. "IDX ubyte [70000 28 28]"
	Need  int64  // bytes needed
	Limit int64  // the limit in force
}

// Error says what needs how much, the limit, and how to raise it.
func (e *SizeError) Error() string {
	return fmt.Sprintf("%s needs %s, more than the data memory limit of %s (raise it with the environment variable %s, e.g. %s=%d, or data.MaxBytes)",
		e.What, FormatBytes(e.Need), FormatBytes(e.Limit), MaxBytesEnv, MaxBytesEnv, roundUpBytes(e.Need))
}

// Unwrap returns ErrTooLarge.
func (e *SizeError) Unwrap() error { return ErrTooLarge }

// roundUpBytes rounds n up to two significant digits, a limit to suggest.
func roundUpBytes(n int64) int64 {
	p := int64(1)
	for n/p >= 100 && p <= math.MaxInt64/10 {
		p *= 10
	}
	if n%p == 0 || n/p+1 > math.MaxInt64/p {
		return n
	}
	return (n/p + 1) * p
}

// MemoryLimit returns the memory limit in force, from MaxBytes, the
// environment variable MaxBytesEnv or DefaultMaxBytes, in that order. A
// malformed environment variable is an error.
func MemoryLimit() (int64, error) {
	if MaxBytes > 0 {
		return MaxBytes, nil
	}
	s, ok := os.LookupEnv(MaxBytesEnv)
	if !ok || strings.TrimSpace(s) == "" {
		return DefaultMaxBytes, nil
	}
	n, err := ParseBytes(s)
	if err != nil {
		return 0, fmt.Errorf("data: %s=%q: %w", MaxBytesEnv, s, err)
	}
	return n, nil
}

// CheckBytes returns nil if need bytes are within the memory limit (see
// MemoryLimit), or else a *SizeError naming what, the need and the limit. A
// negative need is taken to have overflowed and is refused.
func CheckBytes(what string, need int64) error {
	limit, err := MemoryLimit()
	if err != nil {
		return err
	}
	if need < 0 {
		return &SizeError{What: what, Need: math.MaxInt64, Limit: limit}
	}
	if need > limit {
		return &SizeError{What: what, Need: need, Limit: limit}
	}
	return nil
}

// CheckCount is CheckBytes for count items of size bytes each; a product
// that overflows is refused.
func CheckCount(what string, count, size int64) error {
	if count < 0 || size < 0 {
		return fmt.Errorf("data: %s: negative size %d×%d", what, count, size)
	}
	if size != 0 && count > math.MaxInt64/size {
		return CheckBytes(what, -1)
	}
	return CheckBytes(what, count*size)
}

var byteUnits = []struct {
	suffix string
	mult   float64
}{
	{"ki", 1 << 10}, {"mi", 1 << 20}, {"gi", 1 << 30}, {"ti", 1 << 40},
	{"k", 1e3}, {"m", 1e6}, {"g", 1e9}, {"t", 1e12}, {"", 1},
}

// ParseBytes parses a positive number of bytes written as digits (4000000000,
// 4e9) or with a suffix k, M, G, T (powers of 1000) or Ki, Mi, Gi, Ti
// (powers of 1024), optionally followed by B, in any case: 4G, 3.5GiB.
func ParseBytes(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(t, "b")
	for _, u := range byteUnits {
		if u.suffix != "" && !strings.HasSuffix(t, u.suffix) {
			continue
		}
		num := strings.TrimSpace(strings.TrimSuffix(t, u.suffix))
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || num == "" {
			break
		}
		v *= u.mult
		if !(v >= 1) || v >= math.MaxInt64 {
			return 0, fmt.Errorf("want a positive number of bytes below 2^63, got %q", s)
		}
		return int64(v), nil
	}
	return 0, fmt.Errorf("want a number of bytes like 4000000000, 4G or 3.5GiB, got %q", s)
}

// FormatBytes writes n bytes for people: 1.5 GiB, 784 MiB, 12 KiB, 100 B.
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), -1
	for v >= unit && i < 5 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.4g %ciB", v, "KMGTPE"[i])
}
