package gan_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/tensorfile"
)

// metaFuzz is what the metadata fuzz targets share within one fuzzing
// process: a valid checkpoint, split into its metadata and tensors, and
// one trainer that every input is loaded into (building a trainer per
// input would make a few inputs a second).
type metaFuzz struct {
	once    sync.Once
	valid   *tensorfile.File
	tr      *gan.Trainer
	batches *data.Loader
	path    string
}

var mf metaFuzz

func (m *metaFuzz) init(tb testing.TB) {
	m.once.Do(func() {
		tr, b := newResumable(tb, 1)
		steps(tb, tr, b, 2)
		dir, err := os.MkdirTemp("", "gogan-fuzz-")
		if err != nil {
			tb.Fatal(err)
		}
		m.path = filepath.Join(dir, "c.gogan")
		if err := tr.SaveCheckpoint(m.path, b, []byte(`{"x":1}`)); err != nil {
			tb.Fatal(err)
		}
		if m.valid, err = tensorfile.ReadFile(m.path); err != nil {
			tb.Fatal(err)
		}
		m.tr, m.batches = newResumable(tb, 1)
	})
	if m.valid == nil {
		tb.Fatal("fuzz setup failed")
	}
}

// load writes the valid checkpoint's tensors with meta as its metadata
// (a correct checksum: the fuzzer's bytes reach the checkpoint logic, not
// the integrity check) and loads it: it must fail or succeed without
// panicking, and a failed load must leave the trainer exactly as it was.
func (m *metaFuzz) load(t *testing.T, meta []byte) {
	f := &tensorfile.File{Meta: meta, Tensors: m.valid.Tensors}
	if err := tensorfile.WriteFile(m.path, f); err != nil {
		return // metadata tensorfile refuses (not a JSON object): not ours
	}
	before, steps := trainerDigest(m.tr), m.tr.Steps()
	if _, err := m.tr.LoadCheckpoint(m.path, m.batches); err != nil {
		if m.tr.Steps() != steps || trainerDigest(m.tr) != before {
			t.Fatalf("a failed load changed the trainer (%v)", err)
		}
	}
}

// trainerDigest hashes the weights of both networks.
func trainerDigest(tr *gan.Trainer) [32]byte {
	h := sha256.New()
	for _, p := range append(tr.Generator().Params().All(), tr.Discriminator().Params().All()...) {
		switch d := p.Value.Data().(type) {
		case []float64:
			for _, x := range d {
				binary.Write(h, binary.LittleEndian, math.Float64bits(x))
			}
		case []float32:
			for _, x := range d {
				binary.Write(h, binary.LittleEndian, math.Float32bits(x))
			}
		}
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// FuzzCheckpointMeta mutates a checkpoint's metadata (configuration,
// optimizer states, random states, data position, step, specs) with the
// checksum fixed up, so that every input reaches LoadCheckpoint's checks.
func FuzzCheckpointMeta(f *testing.F) {
	mf.init(f)
	valid := mf.valid.Meta
	f.Add([]byte(valid))
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(valid, &obj); err != nil {
		f.Fatal(err)
	}
	for key, v := range map[string]string{
		"steps": `-1`, "version": `2`, "rng": `"AAAA"`, "data": `"e30="`, "g_optimizers": `[]`,
		"config": `{}`, "d_optimizers": `[{"kind":"adam","steps":1,"buffers":["m","v","w"]}]`,
	} {
		mut := map[string]json.RawMessage{}
		for k, x := range obj {
			mut[k] = x
		}
		mut[key] = json.RawMessage(v)
		b, _ := json.Marshal(mut)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, meta []byte) {
		mf.load(t, meta)
	})
}

// FuzzCheckpointSpec mutates the generator's and the discriminator's
// specs inside a valid checkpoint's metadata (checksum fixed up), which
// LoadCheckpoint and models.Load (which builds the networks they
// describe) read.
func FuzzCheckpointSpec(f *testing.F) {
	mf.init(f)
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(mf.valid.Meta, &obj); err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(obj["generator"]), []byte(obj["discriminator"]))
	f.Add([]byte(`{}`), []byte(`null`))
	f.Add([]byte(`{"kind":"mlp","config":{"latent_dim":-3}}`), []byte(obj["discriminator"]))
	f.Fuzz(func(t *testing.T, gen, disc []byte) {
		mut := map[string]json.RawMessage{}
		for k, x := range obj {
			mut[k] = x
		}
		mut["generator"], mut["discriminator"] = gen, disc
		meta, err := json.Marshal(mut)
		if err != nil {
			return // not JSON: the spec cannot be stored as one
		}
		mf.load(t, meta)
		if !smallNumbers(gen) || !smallNumbers(disc) {
			return // networks too large to build in a fuzzing worker
		}
		// The networks the specs describe are built and the weights
		// restored into them (a checkpoint is also a model file): it
		// must fail or succeed, never panic.
		models.Load(mf.path)
	})
}

// smallNumbers reports whether every number in the JSON text b is at most
// 256 in absolute value (or b is not JSON): a spec whose sizes fit in a
// fuzzing worker's memory.
func smallNumbers(b []byte) bool {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return true
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case float64:
			return math.Abs(v) <= 256
		case []any:
			for _, x := range v {
				if !walk(x) {
					return false
				}
			}
		case map[string]any:
			for _, x := range v {
				if !walk(x) {
					return false
				}
			}
		}
		return true
	}
	return walk(v)
}
