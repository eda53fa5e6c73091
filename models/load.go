package models

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/gogan/gogan/gan"
)

// generatorKinds and discriminatorKinds map a Spec kind to a constructor.
var (
	generatorKinds = map[string]GeneratorBuilder{
		KindMLPGenerator: func(raw json.RawMessage, seed uint64) (gan.Generator, error) {
			var c MLPGeneratorConfig
			if err := strictUnmarshal(raw, &c); err != nil {
				return nil, err
			}
			return NewMLPGenerator(c, seed)
		},
		KindDCGANGenerator: func(raw json.RawMessage, seed uint64) (gan.Generator, error) {
			var c DCGANGeneratorConfig
			if err := strictUnmarshal(raw, &c); err != nil {
				return nil, err
			}
			return NewDCGANGenerator(c, seed)
		},
	}
	discriminatorKinds = map[string]DiscriminatorBuilder{
		KindMLPDiscriminator: func(raw json.RawMessage, seed uint64) (gan.Discriminator, error) {
			var c MLPDiscriminatorConfig
			if err := strictUnmarshal(raw, &c); err != nil {
				return nil, err
			}
			return NewMLPDiscriminator(c, seed)
		},
		KindDCGANDiscriminator: func(raw json.RawMessage, seed uint64) (gan.Discriminator, error) {
			var c DCGANDiscriminatorConfig
			if err := strictUnmarshal(raw, &c); err != nil {
				return nil, err
			}
			return NewDCGANDiscriminator(c, seed)
		},
	}
)

func strictUnmarshal(raw json.RawMessage, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("bad configuration: %w", err)
	}
	return nil
}

func kinds[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// NewGenerator builds the generator a spec describes, with fresh weights
// drawn from seed.
func NewGenerator(spec gan.NetworkSpec, seed uint64) (gan.Generator, error) {
	mk, ok := lookupGenerator(spec.Kind) // registry.go
	if !ok {
		return nil, fmt.Errorf("models: unknown generator kind %q (known: %v; register your own with RegisterGenerator)", spec.Kind, GeneratorKinds())
	}
	g, err := mk(spec.Config, seed)
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", spec.Kind, err)
	}
	return g, nil
}

// NewDiscriminator builds the discriminator a spec describes, with fresh
// weights drawn from seed.
func NewDiscriminator(spec gan.NetworkSpec, seed uint64) (gan.Discriminator, error) {
	mk, ok := lookupDiscriminator(spec.Kind) // registry.go
	if !ok {
		return nil, fmt.Errorf("models: unknown discriminator kind %q (known: %v; register your own with RegisterDiscriminator)", spec.Kind, DiscriminatorKinds())
	}
	d, err := mk(spec.Config, seed)
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", spec.Kind, err)
	}
	return d, nil
}

// Load reads a model file written by gan.SaveModel or Trainer.Save,
// rebuilds the networks it describes and restores their weights. A
// network the file does not describe is returned as nil. A corrupt or
// truncated file is rejected before anything is built, and so is a spec
// that describes a network larger than the weights the file holds for it
// or than the memory limit (data.MemoryLimit); a file larger than the
// limit is not read.
func Load(path string) (gan.Generator, gan.Discriminator, *gan.ModelInfo, error) {
	if err := checkFileSize(path); err != nil {
		return nil, nil, nil, fmt.Errorf("models: load %s: %w", path, err)
	}
	mf, err := gan.ReadModel(path)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := checkSpecSizes(mf); err != nil {
		return nil, nil, nil, fmt.Errorf("models: load %s: %w", path, err)
	}
	var gen gan.Generator
	var disc gan.Discriminator
	if s := mf.Info.Generator; s != nil {
		if gen, err = NewGenerator(*s, 0); err != nil {
			return nil, nil, nil, fmt.Errorf("models: load %s: %w", path, err)
		}
	}
	if s := mf.Info.Discriminator; s != nil {
		if disc, err = NewDiscriminator(*s, 0); err != nil {
			return nil, nil, nil, fmt.Errorf("models: load %s: %w", path, err)
		}
	}
	if err := mf.Restore(gen, disc); err != nil {
		return nil, nil, nil, fmt.Errorf("models: load %s: %w", path, err)
	}
	return gen, disc, &mf.Info, nil
}
