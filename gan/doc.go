// Package gan trains Generative Adversarial Networks (Goodfellow et al.
// 2014) built as Gorgonia computation graphs.
//
// A Generator maps a batch of latent noise z ~ p_z to samples; a
// Discriminator maps a batch of samples to logits, one per sample, with
// D(x) = sigmoid(logit) the probability that x is real. They play
//
//	min_G max_D V(D, G) = E[log D(x)] + E[log(1 − D(G(z)))]
//
// and a Trainer alternates k discriminator updates with one generator
// update (Algorithm 1 of the paper), with the loss of your choice from
// package losses (the non-saturating generator loss by default). At the
// equilibrium p_g = p_data, D = 1/2 everywhere and V = −log 4; Stats
// reports the running estimate of V and the mean D(x) and D(G(z)) so that
// a run can be watched against those values.
//
// # Design: one graph per job, shared parameter tensors
//
// Gorgonia cannot freeze part of a graph's learnables: a machine computes
// the gradients its graph asks for, every run. Three ways around that are
// known: build one graph with both losses and both sets of gradients
// (every run then differentiates both networks, which is simultaneous
// gradient descent, not Algorithm 1, and costs a full backward pass of G
// on every discriminator step); run sub-graph machines over one graph
// (Gorgonia's SubgraphRoots; the sub-machines share node values and
// registers with the whole graph, which Gorgonia's issue tracker reports
// as fragile); or build a separate graph per job whose nodes are bound to
// the same parameter tensors, as LdDl/gan-go does for D. gogan takes the
// third way, generalised by package nn: a network's parameters are tensors
// owned by nn.Params, and every graph's node for a parameter is bound to
// the very same tensor, so an in-place optimizer update is seen by every
// graph with no copy. The Trainer builds, once, at NewTrainer:
//
//   - the discriminator graph: z → G(z) (G in training mode, not
//     differentiated), real x, D(x) and D(G(z)), D's loss and its gradient
//     with respect to D's parameters only;
//   - the generator graph: z → G(z) → D(G(z)), G's loss and its gradient
//     with respect to G's parameters only (backpropagated through D);
//   - on first use, a sampling graph: G in inference mode.
//
// Each step then costs exactly what Algorithm 1 needs and nothing more:
// per discriminator update one forward pass of G and two of D plus D's
// backward pass; per generator update one forward pass of G and D and the
// backward pass through both. Gorgonia's G.Grad also adds gradients
// nobody reads (the input gradient of D's first layer; D's weight
// gradients in the generator graph), so each machine is compiled on the
// subgraph of the nodes the step reads (SubgraphRoots), which skips them.
// No graph or machine is built after NewTrainer: each run only refills the
// input tensors in place.
//
// # Devices
//
// Config.Device "cuda" (a program built with the tag cu) or "host"
// compiles the same pruned graphs, at NewTrainer, into device programs of
// package gpu instead of tape machines; the weights, gradients, running
// statistics and optimizer states then live on the device, and a step
// moves only its inputs up and the statistics it reports down. The random
// numbers are drawn on the host as on the CPU, so the three devices follow
// one random stream and agree within floating-point rounding; checkpoints
// are interchangeable. Call Sync before reading a network's Params while
// it trains on a device.
package gan
