package models

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/gogan/gogan/gan"
)

// GeneratorBuilder builds a generator of one kind from the JSON
// configuration of its gan.NetworkSpec, with fresh weights drawn from
// seed (Load then restores the saved weights into it).
type GeneratorBuilder func(config json.RawMessage, seed uint64) (gan.Generator, error)

// DiscriminatorBuilder builds a discriminator of one kind from the JSON
// configuration of its gan.NetworkSpec, with fresh weights drawn from
// seed.
type DiscriminatorBuilder func(config json.RawMessage, seed uint64) (gan.Discriminator, error)

// registry guards the kind tables of load.go, which RegisterGenerator and
// RegisterDiscriminator extend.
var registry sync.RWMutex

// RegisterGenerator makes kind, the Kind of the gan.NetworkSpec that a
// generator of yours returns from Spec, known to NewGenerator and Load,
// which then rebuild it with build before restoring its weights. Register
// your kinds once, before loading (an init function is the usual place).
// A kind already known (the package's own included) is refused.
func RegisterGenerator(kind string, build GeneratorBuilder) error {
	if kind == "" || build == nil {
		return fmt.Errorf("models: register generator kind %q: want a non-empty kind and a builder", kind)
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := generatorKinds[kind]; dup {
		return fmt.Errorf("models: register generator kind %q: already registered", kind)
	}
	generatorKinds[kind] = build
	return nil
}

// RegisterDiscriminator is RegisterGenerator for discriminators.
func RegisterDiscriminator(kind string, build DiscriminatorBuilder) error {
	if kind == "" || build == nil {
		return fmt.Errorf("models: register discriminator kind %q: want a non-empty kind and a builder", kind)
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := discriminatorKinds[kind]; dup {
		return fmt.Errorf("models: register discriminator kind %q: already registered", kind)
	}
	discriminatorKinds[kind] = build
	return nil
}

// GeneratorKinds returns the generator kinds NewGenerator and Load know,
// sorted: the package's own and those registered.
func GeneratorKinds() []string {
	registry.RLock()
	defer registry.RUnlock()
	return kinds(generatorKinds)
}

// DiscriminatorKinds returns the discriminator kinds NewDiscriminator and
// Load know, sorted.
func DiscriminatorKinds() []string {
	registry.RLock()
	defer registry.RUnlock()
	return kinds(discriminatorKinds)
}

func lookupGenerator(kind string) (GeneratorBuilder, bool) {
	registry.RLock()
	defer registry.RUnlock()
	mk, ok := generatorKinds[kind]
	return mk, ok
}

func lookupDiscriminator(kind string) (DiscriminatorBuilder, bool) {
	registry.RLock()
	defer registry.RUnlock()
	mk, ok := discriminatorKinds[kind]
	return mk, ok
}
