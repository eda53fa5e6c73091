package gan_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/models"
	"github.com/stretchr/testify/require"
)

// pointsData is a small finite dataset, so that the loader's shuffling
// and epochs take part in the resume.
type pointsData int

func (p pointsData) Len() int     { return int(p) }
func (p pointsData) Shape() []int { return []int{2} }
func (p pointsData) At(i int, dst []float32) {
	dst[0], dst[1] = float32(i%7)/7, float32(i%5)/5-0.5
}

func newResumable(t testing.TB, seed uint64) (*gan.Trainer, *data.Loader) {
	gen, err := models.NewMLPGenerator(models.MLPGeneratorConfig{LatentDim: 3, Hidden: []int{16}, OutputShape: []int{2}, BatchNorm: true}, seed)
	require.NoError(t, err)
	disc, err := models.NewMLPDiscriminator(models.MLPDiscriminatorConfig{InputShape: []int{2}, Hidden: []int{16, 8}, Dropout: 0.2}, seed)
	require.NoError(t, err)
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 8, DSteps: 2, Seed: seed})
	require.NoError(t, err)
	return tr, data.NewLoader(pointsData(50), seed)
}

func steps(t testing.TB, tr *gan.Trainer, b data.Batches, n int) {
	for i := 0; i < n; i++ {
		_, err := tr.Step(b)
		require.NoError(t, err)
	}
}

func TestResumeIsBitIdentical(t *testing.T) {
	const n = 15
	straight, sb := newResumable(t, 4)
	steps(t, straight, sb, 2*n)

	first, fb := newResumable(t, 4)
	steps(t, first, fb, n)
	path := filepath.Join(t.TempDir(), "ckpt.gogan")
	require.NoError(t, first.SaveCheckpoint(path, fb, json.RawMessage(`{"note":"half way"}`)))

	// A fresh process would build everything anew, with any seed.
	resumed, rb := newResumable(t, 999)
	extra, err := resumed.LoadCheckpoint(path, rb)
	require.NoError(t, err)
	require.JSONEq(t, `{"note":"half way"}`, string(extra))
	require.Equal(t, n, resumed.Steps())
	steps(t, resumed, rb, n)

	require.Equal(t, 2*n, resumed.Steps())
	require.Equal(t, weights(straight.Generator().Params()), weights(resumed.Generator().Params()))
	require.Equal(t, weights(straight.Discriminator().Params()), weights(resumed.Discriminator().Params()))
	a, err := straight.Sample(4)
	require.NoError(t, err)
	b, err := resumed.Sample(4)
	require.NoError(t, err)
	require.Equal(t, a.Data(), b.Data())

	// A checkpoint is also a model file.
	gen, _, info, err := models.Load(path)
	require.NoError(t, err)
	require.Equal(t, n, info.Steps)
	require.Equal(t, weights(first.Generator().Params()), weights(gen.Params()))
}

func TestLoadCheckpointRefusesMismatchAndLeavesTrainerAlone(t *testing.T) {
	tr, b := newResumable(t, 1)
	steps(t, tr, b, 3)
	path := filepath.Join(t.TempDir(), "ckpt.gogan")
	require.NoError(t, tr.SaveCheckpoint(path, b, nil))

	gen, err := models.NewMLPGenerator(models.MLPGeneratorConfig{LatentDim: 3, Hidden: []int{16}, OutputShape: []int{2}, BatchNorm: true}, 1)
	require.NoError(t, err)
	disc, err := models.NewMLPDiscriminator(models.MLPDiscriminatorConfig{InputShape: []int{2}, Hidden: []int{16, 8}, Dropout: 0.2}, 1)
	require.NoError(t, err)
	other, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 4, DSteps: 2})
	require.NoError(t, err)
	_, err = other.LoadCheckpoint(path, nil)
	require.ErrorContains(t, err, "configuration")

	small, err := models.NewMLPDiscriminator(models.MLPDiscriminatorConfig{InputShape: []int{2}, Hidden: []int{16, 4}, Dropout: 0.2}, 1)
	require.NoError(t, err)
	g2, err := models.NewMLPGenerator(models.MLPGeneratorConfig{LatentDim: 3, Hidden: []int{16}, OutputShape: []int{2}, BatchNorm: true}, 1)
	require.NoError(t, err)
	mismatch, err := gan.NewTrainer(g2, small, gan.Config{BatchSize: 8, DSteps: 2})
	require.NoError(t, err)
	before := weights(g2.Params())
	loader := data.NewLoader(pointsData(50), 1)
	_, err = mismatch.LoadCheckpoint(path, loader)
	require.ErrorContains(t, err, `parameter "discriminator/dense1/w" has shape [16 8] in the file, [16 4] in the network`)
	require.Equal(t, before, weights(g2.Params()))
	require.Equal(t, 0, mismatch.Steps())

	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, raw[:len(raw)-10], 0o644))
	_, err = tr.LoadCheckpoint(path, b)
	require.ErrorContains(t, err, "truncated")
}

// TestKillDuringCheckpointWriteKeepsPreviousCheckpoint runs a child
// process that writes checkpoints in a loop, kills it with SIGKILL at
// several moments, and checks each time that the checkpoint on disk loads.
func TestKillDuringCheckpointWriteKeepsPreviousCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes; skipped in -short mode")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.gogan")
	for i, delay := range []time.Duration{150 * time.Millisecond, 230 * time.Millisecond, 310 * time.Millisecond, 470 * time.Millisecond} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCheckpointWriterChild$")
		cmd.Env = append(os.Environ(), "GOGAN_CKPT_CHILD="+path)
		require.NoError(t, cmd.Start())
		time.Sleep(delay)
		require.NoError(t, cmd.Process.Kill()) // SIGKILL: no chance to clean up
		cmd.Wait()
		if _, err := os.Stat(path); err != nil {
			continue // killed before the first checkpoint was complete
		}
		tr, b := newResumable(t, 1)
		_, err := tr.LoadCheckpoint(path, b)
		require.NoError(t, err, "after kill %d", i)
		require.Positive(t, tr.Steps())
	}
	_, err := os.Stat(path)
	require.NoError(t, err, "no checkpoint was ever completed: the child is too slow for the kill delays")
}

// TestCheckpointWriterChild is the child of the kill test; it does nothing
// unless started by it.
func TestCheckpointWriterChild(t *testing.T) {
	path := os.Getenv("GOGAN_CKPT_CHILD")
	if path == "" {
		t.Skip("helper process for TestKillDuringCheckpointWriteKeepsPreviousCheckpoint")
	}
	tr, b := newResumable(t, 1)
	for i := 0; ; i++ {
		steps(t, tr, b, 1)
		require.NoError(t, tr.SaveCheckpoint(path, b, json.RawMessage(strconv.Quote(fmt.Sprint(i)))))
	}
}
