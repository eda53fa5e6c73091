package gpu_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/gogan/gogan/gpu"
)

// TestPTX checks the embedded PTX: target, one entry per catalogue
// kernel taking the 160-byte Params, and that it was generated from the
// kernel sources as they are now (run `go generate ./gpu` if not).
func TestPTX(t *testing.T) {
	ptx := gpu.PTX
	if !bytes.Contains(ptx, []byte("\n.target sm_90\n")) {
		t.Error("PTX lacks .target sm_90")
	}
	if !bytes.Contains(ptx, []byte("\n.version 7.8\n")) {
		t.Error("PTX is not version 7.8")
	}
	entries := regexp.MustCompile(`(?m)^\.visible \.entry (\w+)\(\s*\.param \.align 8 \.b8 \w+\[(\d+)\]\s*\)`).FindAllSubmatch(ptx, -1)
	got := map[string]string{}
	for _, e := range entries {
		got[string(e[1])] = string(e[2])
	}
	for _, k := range gpu.Kernels() {
		size, ok := got[k.Info().Name]
		if !ok {
			t.Errorf("PTX has no .visible .entry %s", k.Info().Name)
		} else if size != "160" {
			t.Errorf("%s takes a %s-byte parameter, want 160", k.Info().Name, size)
		}
		delete(got, k.Info().Name)
	}
	for name := range got {
		t.Errorf("PTX entry %s is not in the catalogue", name)
	}
	for _, bad := range []string{"ex2.approx", "lg2.approx", "tanh.approx", ".ftz", "fma.rn.f32"} {
		if bytes.Contains(ptx, []byte(bad)) {
			t.Errorf("PTX contains %q", bad)
		}
	}

	h := sha256.New()
	for _, f := range []string{"kernels.cu", "device.h", "host.h"} {
		b, err := os.ReadFile(filepath.Join("kernels", f))
		if err != nil {
			t.Fatal(err)
		}
		h.Write(b)
	}
	want := "// gg-sources-sha256: " + hex.EncodeToString(h.Sum(nil)) + "\n"
	if !bytes.HasPrefix(ptx, []byte(want)) {
		t.Errorf("kernels.ptx is stale: the sources changed since it was generated; run `go generate ./gpu` (needs clang-19)")
	}
}
