package tensorfile_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/gogan/gogan/tensorfile"
)

func Example() {
	dir, err := os.MkdirTemp("", "tensorfile-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "generator.gogan")

	f := &tensorfile.File{
		Meta: json.RawMessage(`{"kind": "mlp-generator", "steps": 1000}`),
		Tensors: []tensorfile.Tensor{
			{Name: "dense1/w", Shape: []int{2, 3}, Data: []float32{0.5, -1, 0, 2, 0.25, -0.125}},
			{Name: "step", Data: []int64{1000}}, // a scalar
		},
	}
	if err := tensorfile.WriteFile(path, f); err != nil {
		log.Fatal(err)
	}

	g, err := tensorfile.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(g.Meta))
	for _, t := range g.Tensors {
		fmt.Println(t.Name, t.DType(), t.Shape, t.Data)
	}
	if _, err := g.Float32s("step"); err != nil {
		fmt.Println(err)
	}

	// Damage one byte: the file is rejected as a whole.
	b, _ := os.ReadFile(path)
	b[len(b)-45] ^= 1
	os.WriteFile(path, b, 0o644)
	_, err = tensorfile.ReadFile(path)
	fmt.Println(errors.Is(err, tensorfile.ErrChecksum))
	fmt.Println(strings.TrimPrefix(err.Error(), "tensorfile: read "+path+": "))
	// Output:
	// {"kind":"mlp-generator","steps":1000}
	// dense1/w float32 [2 3] [0.5 -1 0 2 0.25 -0.125]
	// step int64 [] [1000]
	// tensorfile: tensor "step" has dtype int64, not float32
	// true
	// checksum mismatch: file is corrupt
}
