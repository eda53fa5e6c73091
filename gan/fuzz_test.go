package gan_test

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadCheckpoint feeds arbitrary bytes to LoadCheckpoint: it must
// return an error or succeed, never panic, and never half-load (a failed
// load leaves the trainer at step 0).
func FuzzLoadCheckpoint(f *testing.F) {
	tr, b := newResumable(f, 1)
	steps(f, tr, b, 2)
	dir := f.TempDir()
	path := filepath.Join(dir, "seed.gogan")
	if err := tr.SaveCheckpoint(path, b, []byte(`{"x":1}`)); err != nil {
		f.Fatal(err)
	}
	valid, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add([]byte("GOGANCK\x00"))
	f.Add([]byte{})
	flipped := append([]byte(nil), valid...)
	flipped[40] ^= 1
	f.Add(flipped)

	f.Fuzz(func(t *testing.T, raw []byte) {
		p := filepath.Join(t.TempDir(), "c.gogan")
		if err := os.WriteFile(p, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		fresh, fb := newResumable(t, 1)
		if _, err := fresh.LoadCheckpoint(p, fb); err != nil && fresh.Steps() != 0 {
			t.Fatalf("failed load changed the trainer: step %d (%v)", fresh.Steps(), err)
		}
	})
}
