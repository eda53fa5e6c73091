package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gogan/gogan/atomicfile"
	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/losses"
	"github.com/gogan/gogan/metrics"
	"github.com/gogan/gogan/optim"
	"github.com/gogan/gogan/training"
)

// childArg, as the first argument, makes the command train one run and
// print its record as JSON (the parent's worker processes).
const childArg = "-child-run"

// childEnv, set to 1, makes a test binary behave as the command (see
// TestMain), so that tests exercise the child processes too.
const childEnv = "GOGAN_MODES_CHILD"

// job is one run of the study.
type job struct {
	Data    string `json:"data"`
	Variant string `json:"variant"`
	Seed    int    `json:"seed"`
}

func (j job) String() string { return fmt.Sprintf("%s %s seed %d", j.Data, j.Variant, j.Seed) }

// record is one finished run: its job, settings, the counts its score is
// computed from, how long it trained and how often each network was
// updated.
type record struct {
	job
	Settings settings `json:"settings"`
	Samples  int      `json:"samples"`
	// Assigned and PerMode are metrics.Coverage's counts.
	Assigned []int `json:"assigned"`
	PerMode  []int `json:"per_mode"`
	// Seconds is the training time; DUpdates and GUpdates the number of
	// updates of the discriminators and generators over the run.
	Seconds  float64 `json:"seconds"`
	DUpdates int     `json:"d_updates"`
	GUpdates int     `json:"g_updates"`
}

// coverage recomputes the run's score from its counts.
func (r record) coverage() (c metrics.Coverage, klHQ float64) {
	c.Samples, c.Modes = r.Samples, len(r.Assigned)
	for _, n := range r.PerMode {
		c.HighQuality += n
		if n > 0 {
			c.ModesCovered++
		}
	}
	c.HighQualityShare = float64(c.HighQuality) / float64(c.Samples)
	c.ReverseKL, _ = metrics.ReverseKLUniform(r.Assigned)
	klHQ = math.NaN()
	if c.HighQuality > 0 {
		klHQ, _ = metrics.ReverseKLUniform(r.PerMode)
	}
	return c, klHQ
}

func mixture(name string) *data.Mixture {
	if name == "grid" {
		return data.NewGrid25()
	}
	return data.NewRing8()
}

// pack returns the packing degree of a variant: m for pacganm, else 1.
func pack(variant string) int {
	if m, ok := strings.CutPrefix(variant, "pacgan"); ok {
		n, _ := strconv.Atoi(m)
		return n
	}
	return 1
}

// trainer builds the networks and the trainer of a variant.
func trainer(s settings, variant string, seed uint64, mix *data.Mixture) (*gan.Trainer, error) {
	count := 1
	if variant == "2x2" {
		count = 2
	}
	m := pack(variant)
	mbd, mbdForm := 0, mbdPaper
	switch variant {
	case "minibatch":
		mbd = s.MBDKernels
	case "minibatch-wn":
		mbd, mbdForm = s.MBDKernels, mbdCode
	}
	var gens []gan.Generator
	var discs []gan.Discriminator
	for k := 0; k < count; k++ {
		netSeed := seed*16 + uint64(k)
		g, err := newGenerator(netSeed)
		if err != nil {
			return nil, err
		}
		d, err := newDiscriminator(m, mbd, s.MBDDim, mbdForm, netSeed)
		if err != nil {
			return nil, err
		}
		if mbdForm == mbdCode {
			if err := d.initMinibatch(mix, s.Batch, netSeed); err != nil {
				return nil, err
			}
		}
		gens, discs = append(gens, g), append(discs, d)
	}
	opt := optim.AdamConfig{LR: s.LR, Beta1: s.Beta1, Beta2: 0.999}
	cfg := gan.Config{BatchSize: s.Batch * m, Pack: m, Seed: seed, GOptimizer: opt, DOptimizer: opt}
	switch variant {
	case "losing":
		cfg.Balance = gan.Balance{Kind: gan.BalanceLosing}
	case "wgan-gp":
		// Gulrajani et al.'s settings: no clipping, penalty λ = 10, k = 5,
		// Adam β = (0, 0.9).
		cfg.Loss = losses.WGANGP{}
		cfg.DSteps = 5
		wopt := optim.AdamConfig{LR: s.LR, Beta1: math.SmallestNonzeroFloat64, Beta2: 0.9} // β1 0 (AdamConfig's 0 means 0.9)
		cfg.GOptimizer, cfg.DOptimizer = wopt, wopt
	}
	var err error
	if cfg.Penalty, err = gan.ParsePenalty(s.Penalty); err != nil {
		return nil, err
	}
	return gan.NewMultiTrainer(gens, discs, cfg)
}

// updateCounter counts the updates of a run.
type updateCounter struct{ d, g int }

func (u *updateCounter) Record(s *training.State, e training.Event) error {
	if e == training.Step {
		u.d += s.Stats.DUpdates
		u.g += s.Stats.GUpdates
	}
	return nil
}

// trainOne trains one run and scores 2,500 (Samples) of its samples; with
// scatter set it also plots them there.
func trainOne(ctx context.Context, s settings, j job, scatter string) (record, error) {
	seed := uint64(j.Seed)
	mix := mixture(j.Data)
	tr, err := trainer(s, j.Variant, seed, mix)
	if err != nil {
		return record{}, err
	}
	var count updateCounter
	res, err := training.Loop{Steps: s.Steps}.Run(ctx, tr, data.NewSourceLoader(mix, seed), &count)
	if err != nil {
		return record{}, err
	}
	if res.Interrupted {
		return record{}, fmt.Errorf("interrupted after %d steps", res.Steps)
	}
	samples, err := tr.Sample(s.Samples)
	if err != nil {
		return record{}, err
	}
	pts, err := metrics.Points2D(samples.Data().([]float32))
	if err != nil {
		return record{}, err
	}
	cov, err := metrics.MixtureCoverage(pts, mix)
	if err != nil {
		return record{}, err
	}
	if scatter != "" {
		if err := writeScatter(scatter, pts, mix); err != nil {
			return record{}, err
		}
	}
	return record{job: j, Settings: s, Samples: cov.Samples, Assigned: cov.Assigned, PerMode: cov.PerMode,
		Seconds: res.Elapsed.Seconds(), DUpdates: count.d, GUpdates: count.g}, nil
}

// childArgs are the arguments of the child process that trains j.
func childArgs(s settings, j job, scatter string) []string {
	return []string{childArg,
		"-data", j.Data, "-variant", j.Variant, "-seed", strconv.Itoa(j.Seed),
		"-steps", strconv.Itoa(s.Steps), "-batch", strconv.Itoa(s.Batch), "-samples", strconv.Itoa(s.Samples),
		"-lr", strconv.FormatFloat(s.LR, 'g', -1, 64), "-beta1", strconv.FormatFloat(s.Beta1, 'g', -1, 64),
		"-mbd-kernels", strconv.Itoa(s.MBDKernels), "-mbd-dim", strconv.Itoa(s.MBDDim),
		"-penalty", s.Penalty, "-scatter", scatter}
}

// child trains the run its arguments describe and prints its record.
func child(ctx context.Context, args []string, out io.Writer) error {
	var s settings
	var j job
	var scatter string
	fs := flag.NewFlagSet("modes child", flag.ContinueOnError)
	fs.StringVar(&j.Data, "data", "", "")
	fs.StringVar(&j.Variant, "variant", "", "")
	fs.IntVar(&j.Seed, "seed", 0, "")
	fs.IntVar(&s.Steps, "steps", 0, "")
	fs.IntVar(&s.Batch, "batch", 0, "")
	fs.IntVar(&s.Samples, "samples", 0, "")
	fs.Float64Var(&s.LR, "lr", 0, "")
	fs.Float64Var(&s.Beta1, "beta1", 0, "")
	fs.IntVar(&s.MBDKernels, "mbd-kernels", 0, "")
	fs.IntVar(&s.MBDDim, "mbd-dim", 0, "")
	fs.StringVar(&s.Penalty, "penalty", "", "")
	fs.StringVar(&scatter, "scatter", "", "")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("child: %w", err)
	}
	r, err := trainOne(ctx, s, j, scatter)
	if err != nil {
		return fmt.Errorf("%v: %w", j, err)
	}
	return json.NewEncoder(out).Encode(r)
}

// runChild trains j in a child process of this executable.
// Without GOMAXPROCS set, each child gets NumCPU/jobs threads (at least
// one), its BLAS included.
func runChild(ctx context.Context, s settings, j job, scatter string, jobs int) (record, error) {
	exe, err := os.Executable()
	if err != nil {
		return record{}, fmt.Errorf("%v: find the executable: %w", j, err)
	}
	cmd := exec.CommandContext(ctx, exe, childArgs(s, j, scatter)...)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	if os.Getenv("GOMAXPROCS") == "" { // share the cores among the -j children
		cmd.Env = append(cmd.Env, fmt.Sprintf("GOMAXPROCS=%d", max(1, runtime.NumCPU()/jobs)))
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return record{}, fmt.Errorf("%v: %w: %s", j, err, strings.TrimSpace(stderr.String()))
	}
	var r record
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		return record{}, fmt.Errorf("%v: read the child's result: %w", j, err)
	}
	return r, nil
}

// resultsFile is the name of the per-run results in the output directory.
const resultsFile = "results.jsonl"

// loadResults reads the records of a results file (none if it does not
// exist).
func loadResults(path string) ([]record, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	var rs []record
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, line, err)
		}
		rs = append(rs, r)
	}
	return rs, sc.Err()
}

// saveResults writes records as the results file, one JSON line each.
func saveResults(path string, rs []record) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, r := range rs {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return atomicfile.WriteFile(path, b.Bytes())
}

func run(ctx context.Context, o options, log io.Writer) error {
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	path := filepath.Join(o.Out, resultsFile)
	all, err := loadResults(path)
	if err != nil {
		return err
	}
	done := map[job]record{}
	for _, r := range all {
		if r.Settings == o.settings {
			done[r.job] = r
		}
	}
	// Seed by seed, so that a study stopped part way has the same seeds
	// of every variant.
	var todo []job
	for s := 1; s <= o.Seeds; s++ {
		for _, d := range o.Data {
			for _, v := range o.Variants {
				if j := (job{Data: d, Variant: v, Seed: s}); !hasRun(done, j) {
					todo = append(todo, j)
				}
			}
		}
	}
	total := o.Seeds * len(o.Data) * len(o.Variants)
	fmt.Fprintf(log, "%d runs, %d already in %s, %d to train, %d at a time\n",
		total, total-len(todo), path, len(todo), o.Jobs)

	var mu sync.Mutex
	var firstErr error
	began := time.Now()
	finished := 0
	queue := make(chan job)
	var wg sync.WaitGroup
	for w := 0; w < min(o.Jobs, len(todo)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range queue {
				scatter := ""
				if j.Seed == 1 {
					scatter = filepath.Join(o.Out, fmt.Sprintf("scatter-%s-%s.png", j.Data, j.Variant))
				}
				r, err := runChild(ctx, o.settings, j, scatter, o.Jobs)
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				all = append(all, r)
				done[j] = r
				finished++
				if err := saveResults(path, all); err != nil && firstErr == nil {
					firstErr = err
				}
				cov, _ := r.coverage()
				el := time.Since(began)
				eta := time.Duration(float64(el) / float64(finished) * float64(len(todo)-finished))
				fmt.Fprintf(log, "[%d/%d] %-22v %v (%.0fs; elapsed %v, about %v left)\n",
					finished, len(todo), j, cov, r.Seconds, el.Round(time.Second), eta.Round(time.Second))
				mu.Unlock()
			}
		}()
	}
	for _, j := range todo {
		mu.Lock()
		stop := firstErr != nil
		mu.Unlock()
		if stop || ctx.Err() != nil {
			break
		}
		queue <- j
	}
	close(queue)
	wg.Wait()
	// The table of the runs finished so far, also when some failed or
	// ctx ended the study.
	var rs []record
	for _, d := range o.Data {
		for _, v := range o.Variants {
			for s := 1; s <= o.Seeds; s++ {
				if r, ok := done[job{Data: d, Variant: v, Seed: s}]; ok {
					rs = append(rs, r)
				}
			}
		}
	}
	table := formatTable(o, rs)
	fmt.Fprint(log, "\n"+table)
	if err := atomicfile.WriteFile(filepath.Join(o.Out, "table.md"), []byte(table)); err != nil {
		return err
	}
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted (finished runs are in %s; rerun to resume): %w", path, err)
	}
	return nil
}

func hasRun(done map[job]record, j job) bool {
	_, ok := done[j]
	return ok
}
