package gan

import "strings"

// SavedElements returns the number of values the file holds for the
// generator's parameters and for the discriminator's (tensors named
// "generator/…" and "discriminator/…"). A network rebuilt from the file's
// specs can have no more values than these, or Restore would find a
// parameter missing or of another shape; so models.Load checks the specs
// against them before it builds anything.
func (m *ModelFile) SavedElements() (gen, disc int64) {
	for _, t := range m.file.Tensors {
		n := int64(1)
		for _, d := range t.Shape {
			n *= int64(d)
		}
		switch {
		case strings.HasPrefix(t.Name, genPrefix):
			gen += n
		case strings.HasPrefix(t.Name, discPrefix):
			disc += n
		}
	}
	return gen, disc
}
