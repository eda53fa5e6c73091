// Package mnistclf is a small MNIST digit classifier, shipped with its
// weights, for measuring image GANs trained on MNIST: the class histogram
// of generated digits (ClassHistogram; compare metrics.KLFromUniform) and
// a FID-like score, the Fréchet distance between real and generated
// digits computed on the classifier's features (FrechetDistance). The
// features are those of this MNIST classifier, not Inception's, so the
// score is comparable only with other scores from this package, not with
// published FIDs.
//
// # Architecture
//
// A multilayer perceptron on the 784 pixels of a 28×28 digit in [-1, 1]
// (the layout of data.Images.Floats and of a generator's [n, 1, 28, 28]
// output): dense 784→256 and ReLU, dense 256→64 and ReLU (these 64
// activations are the features), dense 64→10 (the logits). 218,058
// float32 weights; the weights file, classifier.gogan, is a package
// tensorfile container of 873,880 bytes with JSON metadata (Meta), embedded
// in the package and verified by Load.
//
// # Training and held-out accuracy
//
// The data is mnist10k, 10,000 labelled MNIST digits (the shared data
// directory, ../shared/data/mnist10k from the repository root). The
// classifier was trained on the first 8,000 digits in file order and
// evaluated on the last 2,000, which it never saw in training; both parts
// come from the same 10,000-digit MNIST sample, so the held-out digits are
// unseen but not an independent test set. Training: softmax
// cross-entropy, Adam (β1 0.9, β2 0.999) with learning rate 1e-3 decaying
// linearly to 1e-4 over 30 epochs, mini-batches of 50 in a seeded order,
// He-normal initialisation, and random translations of up to 2 pixels
// along each axis as augmentation. Seed 1.
//
// Held-out accuracy: 97.65% (1,953 of 2,000 digits).
//
// The file was made, from the repository root, with
//
//	go run ./cmd/trainclassifier -epochs 30 -batch 50 -lr 0.001 -shift 2 -seed 1
//
// (the defaults: plain "go run ./cmd/trainclassifier" is the same). It
// writes the same file bit for bit on every run and took 36 seconds on a
// 2-core machine; Train is the library function behind it.
//
// # Use
//
// Load returns the shipped classifier. Predict, Logits, Features,
// ClassHistogram and FrechetDistance take n images as one []float32 of
// n·784 values and run a plain-Go float32 forward pass over the stored
// weights (the tests check it against the Gorgonia graph used in
// training). As a guide, with the shipped weights the Fréchet distance
// between the 2,000 held-out digits and 2,000 training digits is about
// 2.4, while from the held-out digits to 2,000 images of uniform noise it
// is about 505 and to a single digit repeated 2,000 times about 630.
// Compare scores computed on sets of equal sizes: the estimate is biased
// upwards for small sets.
package mnistclf
