package gan

import (
	"encoding/json"
	"fmt"

	"github.com/gogan/gogan/nn"
	"github.com/gogan/gogan/tensorfile"
)

// NetworkSpec describes how to rebuild a network: a kind known to the
// package that made it (e.g. "mlp-generator" of package models) and that
// kind's JSON configuration.
type NetworkSpec struct {
	Kind   string          `json:"kind"`
	Config json.RawMessage `json:"config"`
}

// Specifier is implemented by networks that can describe themselves, so
// that a saved model file can be loaded without the program that saved
// it. The networks of package models all implement it.
type Specifier interface {
	Spec() (NetworkSpec, error)
}

// ModelFormat and ModelVersion identify gogan model files. A model file is
// a tensorfile container (see package tensorfile for the byte layout and its
// checksum) whose metadata is a ModelInfo as JSON, with one tensor per
// parameter, named "generator/<param>" or "discriminator/<param>",
// buffers such as batch norm running statistics included.
const (
	ModelFormat  = "gogan-model"
	ModelVersion = 1
)

// ModelInfo is the metadata of a model file.
type ModelInfo struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	// Generator and Discriminator describe the networks; nil for a network
	// that does not implement Specifier or was not saved.
	Generator     *NetworkSpec `json:"generator,omitempty"`
	Discriminator *NetworkSpec `json:"discriminator,omitempty"`
	// Steps is the number of training steps the weights have had.
	Steps int `json:"steps"`
	// Classes is the number of classes of a conditional generator
	// (ConditionalGenerator), 0 for an unconditional one.
	Classes int `json:"classes,omitempty"`
	// Extra is free-form metadata of the caller's.
	Extra json.RawMessage `json:"extra,omitempty"`
}

// ModelFile is a model file that has been read and verified.
type ModelFile struct {
	Info ModelInfo
	file *tensorfile.File
}

const (
	genPrefix  = "generator/"
	discPrefix = "discriminator/"
)

// SaveModel writes gen's and disc's parameters (either may be nil) and
// the specs of those that implement Specifier to path, atomically: a
// reader sees the old file or the new one, never a mixture.
func SaveModel(path string, gen Generator, disc Discriminator, info ModelInfo) error {
	info.Format, info.Version = ModelFormat, ModelVersion
	if cg, ok := gen.(ConditionalGenerator); ok {
		info.Classes = cg.NumClasses()
	}
	f := &tensorfile.File{}
	add := func(prefix string, net any, ps *nn.Params) (*NetworkSpec, error) {
		for _, p := range ps.All() {
			f.Tensors = append(f.Tensors, tensorfile.Tensor{Name: prefix + p.Name, Shape: []int(p.Value.Shape()), Data: p.Value.Data()})
		}
		if s, ok := net.(Specifier); ok {
			spec, err := s.Spec()
			if err != nil {
				return nil, err
			}
			return &spec, nil
		}
		return nil, nil
	}
	var err error
	if gen != nil {
		if info.Generator, err = add(genPrefix, gen, gen.Params()); err != nil {
			return fmt.Errorf("gan: save %s: generator: %w", path, err)
		}
	}
	if disc != nil {
		if info.Discriminator, err = add(discPrefix, disc, disc.Params()); err != nil {
			return fmt.Errorf("gan: save %s: discriminator: %w", path, err)
		}
	}
	if f.Meta, err = json.Marshal(info); err != nil {
		return fmt.Errorf("gan: save %s: %w", path, err)
	}
	if err := tensorfile.WriteFile(path, f); err != nil {
		return fmt.Errorf("gan: save %s: %w", path, err)
	}
	return nil
}

// ReadModel reads and verifies a model file. Nothing is loaded into any
// network until Restore.
func ReadModel(path string) (*ModelFile, error) {
	f, err := tensorfile.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("gan: read model: %w", err)
	}
	var info ModelInfo
	if err := json.Unmarshal(f.Meta, &info); err != nil {
		return nil, fmt.Errorf("gan: read model %s: bad metadata: %w", path, err)
	}
	if info.Format == CheckpointFormat {
		info.Format, info.Version = ModelFormat, ModelVersion // a checkpoint holds a model too
	}
	if info.Format != ModelFormat {
		return nil, fmt.Errorf("gan: read model %s: not a gogan model file (format %q)", path, info.Format)
	}
	if info.Version < 1 || info.Version > ModelVersion {
		return nil, fmt.Errorf("gan: read model %s: model version %d is not supported (this library reads 1 to %d)",
			path, info.Version, ModelVersion)
	}
	return &ModelFile{Info: info, file: f}, nil
}

// Restore copies the saved weights into gen and disc (either may be nil).
// Every parameter must be present in the file with the same shape; if any
// is missing or differs, nothing is copied and the error names it.
func (m *ModelFile) Restore(gen Generator, disc Discriminator) error {
	apply, err := m.plan(gen, disc)
	if err != nil {
		return err
	}
	apply()
	return nil
}

// plan checks that the file holds every parameter of gen and disc (either
// may be nil) with the right shape and type, and returns the function that
// copies them in.
func (m *ModelFile) plan(gen Generator, disc Discriminator) (func(), error) {
	var applies []func()
	if gen != nil {
		a, err := planRestore(m.file, genPrefix, gen.Params())
		if err != nil {
			return nil, err
		}
		applies = append(applies, a)
	}
	if disc != nil {
		a, err := planRestore(m.file, discPrefix, disc.Params())
		if err != nil {
			return nil, err
		}
		applies = append(applies, a)
	}
	return func() {
		for _, a := range applies {
			a()
		}
	}, nil
}

// planRestore checks that f holds every parameter of ps under prefix with
// the right shape and type, and returns the function that copies them in.
func planRestore(f *tensorfile.File, prefix string, ps *nn.Params) (func(), error) {
	type job struct {
		p    *nn.Param
		data any
	}
	var jobs []job
	for _, p := range ps.All() {
		t, ok := f.Get(prefix + p.Name)
		if !ok {
			return nil, fmt.Errorf("gan: restore: the file has no parameter %q", prefix+p.Name)
		}
		if !equalInts(t.Shape, p.Value.Shape()) {
			return nil, fmt.Errorf("gan: restore: parameter %q has shape %v in the file, %v in the network", prefix+p.Name, t.Shape, []int(p.Value.Shape()))
		}
		if !sameDtype(t.Data, p.Value.Data()) {
			return nil, fmt.Errorf("gan: restore: parameter %q has type %T in the file, %T in the network", prefix+p.Name, t.Data, p.Value.Data())
		}
		jobs = append(jobs, job{p, t.Data})
	}
	return func() {
		for _, j := range jobs {
			copyElems(j.p.Value, 0, j.data, 0, j.p.Value.Shape().TotalSize())
		}
	}, nil
}

// Save writes the trainer's (first) generator and discriminator to path
// (see SaveModel), recording the number of steps trained; with
// Config.GeneratorEMA the generator's weights saved are its average. A
// checkpoint (SaveCheckpoint) holds every network of a multi-adversary
// trainer.
func (t *Trainer) Save(path string) error {
	if err := t.Sync(); err != nil {
		return err
	}
	return t.withEMA(0, func() error {
		return SaveModel(path, t.gens[0], t.discs[0], ModelInfo{Steps: t.step})
	})
}

func equalInts(a []int, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
