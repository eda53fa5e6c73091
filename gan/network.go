package gan

import (
	"github.com/gogan/gogan/nn"
	G "gorgonia.org/gorgonia"
)

// Generator is a network that maps latent noise to samples. Any network
// built from Gorgonia nodes can be a Generator; package models has
// ready-made ones.
//
// Generate may be called several times, once for each graph the Trainer
// builds; every call must take its weights from Params through the
// Builder (b.Node(p)), so that all graphs share them.
type Generator interface {
	// LatentDim returns the size of one noise vector z.
	LatentDim() int
	// SampleShape returns the shape of one generated sample, without the
	// batch dimension, e.g. [1 28 28].
	SampleShape() []int
	// Params returns the network's parameters.
	Params() *nn.Params
	// Generate adds G(z) to the builder's graph, for z of shape
	// [batch, LatentDim()], and returns the node of the samples, of shape
	// [batch, SampleShape()...].
	Generate(b *nn.Builder, z *G.Node) (*G.Node, error)
}

// Discriminator is a network that scores samples. It returns logits, not
// probabilities: D(x) = sigmoid(logit), and the losses work on logits for
// numerical stability.
//
// Like Generate, Discriminate may be called several times, also twice in
// one graph (on the real and on the generated batch), and must take its
// weights from Params through the Builder.
type Discriminator interface {
	// InputShape returns the shape of one sample, without the batch
	// dimension.
	InputShape() []int
	// Params returns the network's parameters.
	Params() *nn.Params
	// Discriminate adds D's logits for the batch x, of shape
	// [batch, InputShape()...], to the builder's graph; the result has
	// shape [batch].
	Discriminate(b *nn.Builder, x *G.Node) (*G.Node, error)
}

// FeatureDiscriminator is a Discriminator that also exposes the
// activations of an intermediate layer, which feature matching compares
// (Config.FeatureMatching). models.MLPDiscriminator implements it.
type FeatureDiscriminator interface {
	Discriminator
	// DiscriminateFeatures is Discriminate that also returns the
	// features, of shape [batch, F].
	DiscriminateFeatures(b *nn.Builder, x *G.Node) (logits, features *G.Node, err error)
}
