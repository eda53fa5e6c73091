package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// defaultDigits is the folder of digits used without -data when it exists
// (relative to the working directory).
const defaultDigits = "../shared/data/mnist10k"

// absData makes c.Data the absolute path of the folder the run reads, so
// that the configuration saved in its checkpoint finds the same data from
// any working directory on -resume: -data made absolute, or without
// -data the shared folder when it exists. Without either it stays empty:
// MNIST in the user's cache, which does not depend on the working
// directory.
func absData(c config) (config, error) {
	dir := c.Data
	if dir == "" {
		if st, err := os.Stat(defaultDigits); err != nil || !st.IsDir() {
			return c, nil
		}
		dir = defaultDigits
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return c, fmt.Errorf("-data %s: %w", dir, err)
	}
	c.Data = abs
	return c, nil
}
