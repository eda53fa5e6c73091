package gan_test

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadCheckpoint feeds arbitrary bytes to LoadCheckpoint: it must
// return an error or succeed, never panic, and never half-load (a failed
// load leaves the trainer as it was). Most inputs stop at the checksum:
// FuzzCheckpointMeta and FuzzCheckpointSpec fuzz what lies behind it.
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

	mf.init(f) // one trainer for every input (see FuzzCheckpointMeta)
	f.Fuzz(func(t *testing.T, raw []byte) {
		if err := os.WriteFile(mf.path, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		before, steps := trainerDigest(mf.tr), mf.tr.Steps()
		if _, err := mf.tr.LoadCheckpoint(mf.path, mf.batches); err != nil &&
			(mf.tr.Steps() != steps || trainerDigest(mf.tr) != before) {
			t.Fatalf("failed load changed the trainer (%v)", err)
		}
	})
}
