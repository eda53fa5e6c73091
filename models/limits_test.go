package models

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/nn"
	"github.com/gogan/gogan/tensorfile"
	"github.com/stretchr/testify/require"
)

// savedValues counts the values of every parameter and buffer of ps, which
// is what a model file holds for the network.
func savedValues(ps *nn.Params) float64 {
	n := 0
	for _, p := range ps.All() {
		n += p.Value.Shape().TotalSize()
	}
	return float64(n)
}

// specSizes must count exactly what the constructors build, for every
// kind and option that changes the parameters.
func TestSpecSizesMatchBuiltNetworks(t *testing.T) {
	type net interface {
		Spec() (gan.NetworkSpec, error)
		Params() *nn.Params
	}
	var nets []net
	add := func(n net, err error) {
		t.Helper()
		require.NoError(t, err)
		nets = append(nets, n)
	}
	gm, dm := ReferenceMLP()
	for _, bn := range []bool{false, true} {
		for _, dt := range []string{"", "float64"} {
			g := gm
			g.BatchNorm, g.DType, g.Hidden, g.OutputShape = bn, dt, []int{7, 5}, []int{2, 3}
			add(NewMLPGenerator(g, 1))
			g.Hidden = nil
			add(NewMLPGenerator(g, 1))
			d := dm
			d.BatchNorm, d.DType, d.Hidden, d.InputShape = bn, dt, []int{9, 4, 3}, []int{6}
			add(NewMLPDiscriminator(d, 1))
			d.MinibatchKernels = 3
			add(NewMLPDiscriminator(d, 1))
			d.MinibatchKernelDim = 2
			add(NewMLPDiscriminator(d, 1))
		}
	}
	for _, size := range []int{8, 16, 28, 32} {
		for _, bn := range []bool{false, true} {
			for _, ch := range []int{1, 3} {
				add(NewDCGANGenerator(DCGANGeneratorConfig{LatentDim: 5, Width: 4, ImageSize: size, Channels: ch, BatchNorm: bn}, 1))
				add(NewDCGANDiscriminator(DCGANDiscriminatorConfig{Width: 4, ImageSize: size, Channels: ch, BatchNorm: bn, DType: "float64"}, 1))
			}
		}
	}
	g64, d64 := ReferenceDCGAN64()
	add(NewDCGANGenerator(g64, 1))
	add(NewDCGANDiscriminator(d64, 1))
	for i, n := range nets {
		spec, err := n.Spec()
		require.NoError(t, err)
		values, elem, ok := specSizes[spec.Kind](spec.Config)
		require.True(t, ok, "%d %s", i, spec.Config)
		require.Equal(t, savedValues(n.Params()), values, "%d %s %s", i, spec.Kind, spec.Config)
		require.Equal(t, n.Params().Dtype().Size(), uintptr(elem), "%d %s", i, spec.Config)
	}
	_, _, ok := specSizes[KindMLPGenerator](json.RawMessage(`{"latent_dim": -1}`))
	require.False(t, ok)
	_, _, ok = specSizes[KindDCGANGenerator](json.RawMessage(`{"latent_dim": 3, "width": 4, "image_size": 30}`))
	require.False(t, ok)
}

// editSpec rewrites the model file at path, checksum and all, with the
// generator's configuration changed by edit.
func editSpec(t *testing.T, path string, edit func(cfg map[string]any)) {
	t.Helper()
	f, err := tensorfile.ReadFile(path)
	require.NoError(t, err)
	var info gan.ModelInfo
	require.NoError(t, json.Unmarshal(f.Meta, &info))
	var cfg map[string]any
	require.NoError(t, json.Unmarshal(info.Generator.Config, &cfg))
	edit(cfg)
	info.Generator.Config, err = json.Marshal(cfg)
	require.NoError(t, err)
	f.Meta, err = json.Marshal(info)
	require.NoError(t, err)
	require.NoError(t, tensorfile.WriteFile(path, f))
}

// A checksum-valid model file whose spec asks for a network far larger
// than its weights is refused before the network is built: nothing near
// the 40 GB of a 100,000×100,000 layer is allocated.
func TestLoadRefusesSpecLargerThanWeights(t *testing.T) {
	gcfg, dcfg := ReferenceMLP()
	gcfg.Hidden, dcfg.Hidden = []int{8}, []int{8}
	gen, err := NewMLPGenerator(gcfg, 1)
	require.NoError(t, err)
	disc, err := NewMLPDiscriminator(dcfg, 1)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "model.gogan")
	require.NoError(t, gan.SaveModel(path, gen, disc, gan.ModelInfo{}))
	_, _, _, err = Load(path)
	require.NoError(t, err)

	editSpec(t, path, func(cfg map[string]any) { cfg["hidden"] = []int{100000, 100000} })
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, _, err = Load(path)
	runtime.ReadMemStats(&after)
	require.ErrorContains(t, err, "models: load "+path+": generator: the spec describes a mlp-generator of 1.009e+10 values (37.58 GiB), but the file holds 7864 for it: the spec does not match the weights")
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20))

	// One wider layer is refused too, however small the excess.
	editSpec(t, path, func(cfg map[string]any) { cfg["hidden"] = []int{9} })
	_, _, _, err = Load(path)
	// 100·9+9 + 9·784+784 = 8749 values against 100·8+8 + 8·784+784 = 7864.
	require.ErrorContains(t, err, "of 8749 values (34.18 KiB), but the file holds 7864 for it")
}

// A spec that matches its weights in number but needs more than the
// memory limit is refused with the limit's error: here a spec edited to
// float64 asks for twice the bytes of the float32 weights, which the file
// check let through.
func TestLoadRefusesSpecOverLimit(t *testing.T) {
	gcfg, dcfg := ReferenceMLP()
	gen, err := NewMLPGenerator(gcfg, 1)
	require.NoError(t, err)
	disc, err := NewMLPDiscriminator(dcfg, 1)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "model.gogan")
	require.NoError(t, gan.SaveModel(path, gen, disc, gan.ModelInfo{}))
	editSpec(t, path, func(cfg map[string]any) { cfg["dtype"] = "float64" })
	st, err := os.Stat(path)
	require.NoError(t, err)
	old := data.MaxBytes
	t.Cleanup(func() { data.MaxBytes = old })
	// G: 100·256+256 + 256·512+512 + 512·784+784 = 559,632 values, 8 bytes
	// each: 4,477,056 bytes, more than the file of both networks in float32.
	require.Less(t, st.Size(), int64(4_477_056))
	data.MaxBytes = st.Size()
	_, _, _, err = Load(path)
	require.ErrorIs(t, err, data.ErrTooLarge)
	require.ErrorContains(t, err, "models: load "+path+": generator mlp-generator of 559632 values needs 4.27 MiB, more than the data memory limit of")
	data.MaxBytes = 4_477_056
	_, _, _, err = Load(path)
	require.ErrorContains(t, err, "has type []float32 in the file, []float64 in the network") // past the checks
}

// A model file larger than the memory limit is refused before it is read:
// a 3 GB sparse file whose header declares its size costs nothing.
func TestLoadRefusesFileOverLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.gogan")
	f, err := os.Create(path)
	require.NoError(t, err)
	const size, prefix, trailer, hlen = 3_000_000_000, 24, 40, 2
	hdr := append([]byte("GOGANCK\x00"), binary.LittleEndian.AppendUint32(nil, tensorfile.Version)...)
	hdr = binary.LittleEndian.AppendUint32(hdr, hlen)
	hdr = binary.LittleEndian.AppendUint64(hdr, size-prefix-hlen-trailer)
	_, err = f.Write(hdr)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(size))
	require.NoError(t, f.Close())
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, _, err = Load(path)
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, data.ErrTooLarge)
	require.ErrorContains(t, err, "models: load "+path+": model file of 3000000000 bytes needs 2.794 GiB, more than the data memory limit of 1 GiB")
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20))
}
