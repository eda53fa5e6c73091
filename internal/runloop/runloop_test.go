package runloop

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/monitor"
	"github.com/gogan/gogan/nn"
	"github.com/stretchr/testify/require"
)

// poisoned is a dataset of tiny 4×4 images whose sample 5 is NaN the
// first poison times it is read.
type poisoned struct{ poison int }

func (p *poisoned) Len() int     { return 32 }
func (p *poisoned) Shape() []int { return []int{1, 4, 4} }
func (p *poisoned) At(i int, dst []float32) {
	for k := range dst {
		dst[k] = float32((i+k)%7)/3.5 - 1
	}
	if i == 5 && p.poison > 0 {
		p.poison--
		dst[0] = float32(math.NaN())
	}
}

func newTrainer(t *testing.T) *gan.Trainer {
	t.Helper()
	gen, err := models.NewMLPGenerator(models.MLPGeneratorConfig{LatentDim: 4, Hidden: []int{16}, OutputShape: []int{1, 4, 4},
		Activation: nn.LeakyReLU(0.2), Output: nn.Tanh()}, 1)
	require.NoError(t, err)
	disc, err := models.NewMLPDiscriminator(models.MLPDiscriminatorConfig{InputShape: []int{1, 4, 4}, Hidden: []int{16}}, 1)
	require.NoError(t, err)
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 8, Seed: 1})
	require.NoError(t, err)
	return tr
}

func runPoisoned(t *testing.T, ds *poisoned, rollbacks int) (*gan.Trainer, string, string, error) {
	t.Helper()
	tr := newTrainer(t)
	out := t.TempDir()
	var log bytes.Buffer
	_, err := Run(context.Background(), tr, dataLoader(ds), Options{
		Out: out, Steps: 20, LogEvery: 10, CheckpointEvery: 3, Log: &log, Progress: monitor.ModePlain, NaNRollbacks: rollbacks,
		Config: map[string]int{"steps": 20},
	})
	return tr, out, log.String(), err
}

func TestNaNRollbackRecoversFromATransientNaN(t *testing.T) {
	tr, out, log, err := runPoisoned(t, &poisoned{poison: 1}, 2)
	require.NoError(t, err)
	require.Equal(t, 20, tr.Steps())
	require.Contains(t, log, "discriminator loss is NaN")
	require.Contains(t, log, "learning rates halved to G 0.0001, D 0.0001 (rollback 1 of 2)")
	require.Equal(t, 1e-4, tr.Config().GOptimizer.LR)
	// stats.csv has each step once, in order, despite the rollback.
	f, err := os.Open(filepath.Join(out, StatsFile))
	require.NoError(t, err)
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	require.NoError(t, err)
	require.Len(t, rows, 21)
	for i, r := range rows[1:] {
		require.Equal(t, []string{r[0]}, []string{strings.TrimSpace(r[0])})
		require.Equal(t, i+1, atoi(t, r[0]))
	}
	for _, name := range []string{ModelFile, CheckpointFile, "report.html", "losses.png", "interpolation.png"} {
		_, err := os.Stat(filepath.Join(out, name))
		require.NoError(t, err, name)
	}
}

func TestNaNWithoutRollbackStopsAndKeepsTheLastGoodCheckpoint(t *testing.T) {
	_, out, _, err := runPoisoned(t, &poisoned{poison: 1000}, 0)
	require.ErrorIs(t, err, gan.ErrNonFinite)
	require.ErrorContains(t, err, "the last good checkpoint is")
	tr := newTrainer(t)
	_, err = tr.LoadCheckpoint(filepath.Join(out, CheckpointFile), nil)
	require.NoError(t, err)

	_, _, log, err := runPoisoned(t, &poisoned{poison: 1000}, 2)
	require.True(t, errors.Is(err, gan.ErrNonFinite))
	require.Equal(t, 2, strings.Count(log, "rolled back to step"))
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, c := range s {
		require.True(t, c >= '0' && c <= '9', s)
		n = 10*n + int(c-'0')
	}
	return n
}

func dataLoader(ds *poisoned) *data.Loader { return data.NewLoader(ds, 1) }
