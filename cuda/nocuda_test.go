//go:build !cu

package cuda

import (
	"errors"
	"testing"
)

func TestWithoutTagEverythingSaysNotBuilt(t *testing.T) {
	if _, err := Open(0); !errors.Is(err, ErrNotBuilt) {
		t.Fatalf("Open: %v, want ErrNotBuilt", err)
	}
	if _, err := Devices(); !errors.Is(err, ErrNotBuilt) {
		t.Fatalf("Devices: %v, want ErrNotBuilt", err)
	}
	if _, err := DriverVersion(); !errors.Is(err, ErrNotBuilt) {
		t.Fatalf("DriverVersion: %v, want ErrNotBuilt", err)
	}
	var r *Runtime
	if err := r.Sgemm(false, false, 1, 1, 1, 1, []float32{1}, 1, []float32{1}, 1, 0, []float32{0}, 1); !errors.Is(err, ErrNotBuilt) {
		t.Fatalf("Sgemm: %v, want ErrNotBuilt", err)
	}
	if _, err := r.LoadModule([]byte("x")); !errors.Is(err, ErrNotBuilt) {
		t.Fatalf("LoadModule: %v, want ErrNotBuilt", err)
	}
	if err := r.Launch(Function{}, 1, 1, 0, nil); !errors.Is(err, ErrNotBuilt) {
		t.Fatalf("Launch: %v, want ErrNotBuilt", err)
	}
}
