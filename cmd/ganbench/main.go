// Command ganbench measures how fast gogan trains its two reference
// configurations, for comparison with the PyTorch peer script
// bench/pytorch/bench.py (see bench/compare.sh and bench/NOTES.md).
//
// For each configuration it trains a fresh generator and discriminator
// (models.ReferenceMLP, "mlp", or models.ReferenceDCGAN, "dcgan") on
// random images of MNIST's shape [1 28 28] with values uniform in
// [-1, 1], held in memory: a few warm-up steps, then a fixed number of
// timed steps. One step is one gan.Trainer.Step with the trainer's
// defaults: k = 1, one discriminator update on a real and a generated
// batch, one generator update on fresh noise, the non-saturating loss and
// Adam (lr 2e-4, β 0.5, 0.999), float32.
//
// It reports steps/s, images/s (batch·steps/s), heap allocations and
// bytes allocated per timed step (runtime.MemStats deltas), garbage
// collections per step, and the process's peak resident set size (VmHWM
// of /proc/self/status), as text or, with -json, as one JSON object per
// line and configuration:
//
//	go run ./cmd/ganbench -configs mlp,dcgan -threads 2
//	go run ./cmd/ganbench -configs mlp -steps 200 -json
//	go run ./cmd/ganbench -configs dcgan -cpuprofile /tmp/dcgan.prof
//
// Peak RSS is a property of the process: run one configuration per
// process for a clean figure (ganbench resets the peak before each
// configuration where the kernel allows it, but memory the Go runtime
// holds from an earlier configuration still counts).
//
// -device selects where the trainer runs (gan.Config.Device): cpu (the
// default, Gorgonia's tape machine), host (the GPU backend's device
// program run by Go reference kernels on the CPU: slow, for checking) or
// cuda / cuda:N (an NVIDIA GPU; needs a binary built with -tags cu and a
// driver). The result names the device; on a GPU it also records the GPU
// memory in use at the end of the timed steps, read with nvidia-smi (the
// process's own use where nvidia-smi lists it, else the device's total;
// nothing where nvidia-smi is absent):
//
//	go run -tags cu ./cmd/ganbench -device cuda -configs mlp,dcgan -batch 256 -json
//
// -max-seconds ends the timed steps early once that much time has passed
// (the result's steps field then says how many ran), so that a benchmark
// of unknown speed fits a time budget.
//
// -memcheck answers "does peak RSS grow with the number of steps?": it
// runs ganbench again in a separate process for each step count of
// -memcheck-steps (default 1000 and 10000; mlp unless -configs says
// otherwise), prints each run's peak RSS and the ratio of the last to the
// first, and exits with status 1 if the ratio exceeds 1 + -memcheck-tol
// (default 10%).
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
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/ops"
)

// Configs lists the configurations ganbench knows, in the order it runs
// them by default.
var Configs = []string{"mlp", "dcgan"}

// defaultSteps and defaultWarmup are the per-configuration step counts
// that -steps 0 and -warmup -1 select.
var (
	defaultSteps  = map[string]int{"mlp": 100, "dcgan": 10}
	defaultWarmup = map[string]int{"mlp": 10, "dcgan": 2}
)

// Options configures one benchmark run of one configuration.
type Options struct {
	// Config is "mlp" or "dcgan".
	Config string
	// Batch is the batch size (64 in the reference measurements).
	Batch int
	// Steps is the number of timed steps; Warmup the number of untimed
	// steps before them.
	Steps, Warmup int
	// Seed seeds the networks' weights, the trainer and the random data.
	Seed uint64
	// CPUProfile, if not empty, is the file that receives a CPU profile of
	// the timed steps.
	CPUProfile string
	// MemProfile, if not empty, is the file that receives an allocation
	// profile written after the timed steps.
	MemProfile string
	// Device is gan.Config.Device: "" or "cpu", "host", "cuda", "cuda:N".
	Device string
	// MaxSeconds, if positive, ends the timed steps once they have taken
	// that long, even if fewer than Steps have run.
	MaxSeconds float64
}

// Result is the measurement of one configuration. Its JSON form is the
// line ganbench -json prints; bench/pytorch/bench.py prints the same
// fields.
type Result struct {
	// Framework is "gogan".
	Framework string `json:"framework"`
	// Config is the configuration's name.
	Config string `json:"config"`
	// Batch is the batch size.
	Batch int `json:"batch"`
	// Threads is GOMAXPROCS during the run.
	Threads int `json:"threads"`
	// Steps and Warmup are the numbers of timed and untimed steps.
	Steps  int `json:"steps"`
	Warmup int `json:"warmup"`
	// Seconds is the wall-clock time of the timed steps.
	Seconds float64 `json:"seconds"`
	// CPUSeconds is the CPU time (user + system, all threads) the
	// process used during the timed steps, 0 where not measured; on a
	// machine shared with other work, Steps/CPUSeconds at one thread is
	// steadier than StepsPerS.
	CPUSeconds float64 `json:"cpu_seconds,omitempty"`
	// StepsPerS is Steps/Seconds and ImagesPerS is Batch·StepsPerS.
	StepsPerS  float64 `json:"steps_per_s"`
	ImagesPerS float64 `json:"images_per_s"`
	// AllocsPerStep and BytesPerStep are the heap allocations and bytes
	// allocated per timed step; GCPerStep the garbage collections per
	// timed step.
	AllocsPerStep float64 `json:"allocs_per_step"`
	BytesPerStep  float64 `json:"bytes_per_step"`
	GCPerStep     float64 `json:"gc_per_step"`
	// PeakRSSBytes is the process's peak resident set size (VmHWM) at the
	// end of the run, 0 where /proc/self/status cannot be read.
	PeakRSSBytes int64 `json:"peak_rss_bytes"`
	// Params is the number of learnable parameters of G and D together.
	Params int `json:"params"`
	// DLoss and GLoss are the losses of the last step.
	DLoss float64 `json:"d_loss"`
	GLoss float64 `json:"g_loss"`
	// GoVersion is runtime.Version(); GOARCH the architecture.
	GoVersion string `json:"go_version"`
	GOARCH    string `json:"goarch"`
	// Device is the device asked for ("cpu", "host", "cuda", "cuda:N");
	// DeviceName describes it as the trainer reports it where it does,
	// else it repeats Device.
	Device     string `json:"device"`
	DeviceName string `json:"device_name"`
	// GPUMemoryBytes is the GPU memory in use at the end of the timed
	// steps as nvidia-smi reports it (0: not a GPU run or not measured);
	// GPUMemorySource says what it covers: "nvidia-smi process" (this
	// process's use, CUDA context included) or "nvidia-smi device" (the
	// whole device's, where nvidia-smi does not list this process).
	GPUMemoryBytes  int64  `json:"gpu_memory_bytes"`
	GPUMemorySource string `json:"gpu_memory_source,omitempty"`
	// BLAS names the CPU BLAS behind the matrix products (ops.BLAS), e.g.
	// "openblas 0.3.21 Zen (libopenblas.so.0, 2 threads)" or "gonum (pure
	// Go)"; the environment variable GOGAN_BLAS chooses it (see
	// ops.BLASEnv).
	BLAS string `json:"blas"`
}

// newPair returns the generator and discriminator of a reference
// configuration.
func newPair(config string, seed uint64) (gan.Generator, gan.Discriminator, error) {
	switch config {
	case "mlp":
		gc, dc := models.ReferenceMLP()
		g, err := models.NewMLPGenerator(gc, seed)
		if err != nil {
			return nil, nil, fmt.Errorf("ganbench: mlp generator: %w", err)
		}
		d, err := models.NewMLPDiscriminator(dc, seed)
		if err != nil {
			return nil, nil, fmt.Errorf("ganbench: mlp discriminator: %w", err)
		}
		return g, d, nil
	case "dcgan":
		gc, dc := models.ReferenceDCGAN()
		g, err := models.NewDCGANGenerator(gc, seed)
		if err != nil {
			return nil, nil, fmt.Errorf("ganbench: dcgan generator: %w", err)
		}
		d, err := models.NewDCGANDiscriminator(dc, seed)
		if err != nil {
			return nil, nil, fmt.Errorf("ganbench: dcgan discriminator: %w", err)
		}
		return g, d, nil
	}
	return nil, nil, fmt.Errorf("ganbench: unknown configuration %q (want one of %s)", config, strings.Join(Configs, ", "))
}

// randomBatches is a data.Batches of random images, uniform in [-1, 1]:
// a fixed pool of batches drawn once and handed out in turn, so that
// Next costs one copy and no allocation (the PyTorch script does the
// same).
type randomBatches struct {
	shape []int
	pool  [][]float32
	next  int
}

// poolSize is the number of distinct random batches.
const poolSize = 8

func newRandomBatches(shape []int, batch int, seed uint64) *randomBatches {
	size := batch
	for _, d := range shape {
		size *= d
	}
	rng := rand.New(rand.NewPCG(seed, 0x6461_7461))
	r := &randomBatches{shape: shape}
	for range poolSize {
		b := make([]float32, size)
		for i := range b {
			b[i] = 2*rng.Float32() - 1
		}
		r.pool = append(r.pool, b)
	}
	return r
}

// Shape returns the shape of one sample.
func (r *randomBatches) Shape() []int { return r.shape }

// Epoch is always 0: the source is endless.
func (r *randomBatches) Epoch() int { return 0 }

// Next copies the next batch of the pool into dst.
func (r *randomBatches) Next(dst []float32) error {
	src := r.pool[r.next]
	if len(dst) != len(src) {
		return fmt.Errorf("ganbench: asked for %d values, batches hold %d", len(dst), len(src))
	}
	copy(dst, src)
	r.next = (r.next + 1) % len(r.pool)
	return nil
}

// Run trains opts.Config for opts.Warmup and then opts.Steps timed steps
// and returns the measurement. It uses the current GOMAXPROCS.
func Run(opts Options) (Result, error) {
	if opts.Batch < 1 || opts.Steps < 1 || opts.Warmup < 0 {
		return Result{}, fmt.Errorf("ganbench: batch (%d) and steps (%d) must be positive and warmup (%d) not negative",
			opts.Batch, opts.Steps, opts.Warmup)
	}
	resetPeakRSS()
	gen, disc, err := newPair(opts.Config, opts.Seed)
	if err != nil {
		return Result{}, err
	}
	device := opts.Device
	if device == "" {
		device = "cpu"
	}
	tcfg := gan.Config{BatchSize: opts.Batch, Seed: opts.Seed, Device: opts.Device}
	if err := gan.CheckMemory([]gan.Generator{gen}, []gan.Discriminator{disc}, tcfg); err != nil {
		return Result{}, fmt.Errorf("ganbench: %s: -batch %d: %w", opts.Config, opts.Batch, err)
	}
	tr, err := gan.NewTrainer(gen, disc, tcfg)
	if err != nil {
		return Result{}, fmt.Errorf("ganbench: %s: %w", opts.Config, err)
	}
	if c, ok := any(tr).(interface{ Close() error }); ok {
		defer c.Close()
	}
	batches := newRandomBatches(gen.SampleShape(), opts.Batch, opts.Seed)
	for i := range opts.Warmup {
		if _, err := tr.Step(batches); err != nil {
			return Result{}, fmt.Errorf("ganbench: %s: warm-up step %d: %w", opts.Config, i+1, err)
		}
	}
	stopProfile, err := startCPUProfile(opts.CPUProfile)
	if err != nil {
		return Result{}, err
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start, cpu0 := time.Now(), processCPUSeconds()
	var last gan.Stats
	done := 0
	for i := range opts.Steps {
		if last, err = tr.Step(batches); err != nil {
			stopProfile()
			return Result{}, fmt.Errorf("ganbench: %s: step %d: %w", opts.Config, i+1, err)
		}
		done++
		if opts.MaxSeconds > 0 && time.Since(start).Seconds() >= opts.MaxSeconds {
			break
		}
	}
	elapsed := time.Since(start).Seconds()
	cpu := processCPUSeconds() - cpu0
	runtime.ReadMemStats(&after)
	stopProfile()
	var gpuMem int64
	var gpuMemSource string
	if isGPU(device) {
		gpuMem, gpuMemSource = gpuMemory(device)
	}
	if opts.MemProfile != "" {
		if err := writeMemProfile(opts.MemProfile); err != nil {
			return Result{}, err
		}
	}
	steps := float64(done)
	r := Result{
		Framework:       "gogan",
		Config:          opts.Config,
		Batch:           opts.Batch,
		Threads:         runtime.GOMAXPROCS(0),
		Steps:           done,
		Warmup:          opts.Warmup,
		Seconds:         elapsed,
		CPUSeconds:      cpu,
		StepsPerS:       steps / elapsed,
		ImagesPerS:      float64(opts.Batch) * steps / elapsed,
		AllocsPerStep:   float64(after.Mallocs-before.Mallocs) / steps,
		BytesPerStep:    float64(after.TotalAlloc-before.TotalAlloc) / steps,
		GCPerStep:       float64(after.NumGC-before.NumGC) / steps,
		PeakRSSBytes:    peakRSS(),
		Params:          gen.Params().Count() + disc.Params().Count(),
		DLoss:           last.DLoss,
		GLoss:           last.GLoss,
		GoVersion:       runtime.Version(),
		GOARCH:          runtime.GOARCH,
		Device:          device,
		BLAS:            ops.BLAS(),
		DeviceName:      deviceName(tr, device),
		GPUMemoryBytes:  gpuMem,
		GPUMemorySource: gpuMemSource,
	}
	return r, nil
}

// isGPU reports whether device names a CUDA device.
func isGPU(device string) bool {
	return device == "cuda" || strings.HasPrefix(device, "cuda:")
}

// deviceName returns the trainer's description of its device where the
// trainer offers one (a DeviceName or Device method returning a string),
// else device itself.
func deviceName(tr any, device string) string {
	var name string
	switch t := tr.(type) {
	case interface{ DeviceName() string }:
		name = t.DeviceName()
	case interface{ Device() string }:
		name = t.Device()
	case interface{ Device() fmt.Stringer }:
		if d := t.Device(); d != nil {
			name = d.String()
		}
	}
	if name == "" {
		return device
	}
	return name
}

// gpuMemory returns the GPU memory in use as nvidia-smi reports it: this
// process's own use where nvidia-smi lists the process, else the whole
// device's (the device of cuda:N, or 0). It returns 0 and "" where
// nvidia-smi is absent or fails.
func gpuMemory(device string) (int64, string) {
	smi, err := exec.LookPath("nvidia-smi")
	if err != nil {
		return 0, ""
	}
	query := func(args ...string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, smi, args...).Output()
		if err != nil {
			return ""
		}
		return string(out)
	}
	if mib, ok := parseProcessMemory(query("--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"), os.Getpid()); ok {
		return mib << 20, "nvidia-smi process"
	}
	index := "0"
	if rest, ok := strings.CutPrefix(device, "cuda:"); ok {
		index = rest
	}
	out := strings.TrimSpace(query("--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", index))
	if mib, err := strconv.ParseInt(strings.TrimSpace(strings.SplitN(out, "\n", 2)[0]), 10, 64); err == nil {
		return mib << 20, "nvidia-smi device"
	}
	return 0, ""
}

// parseProcessMemory sums the used_memory (MiB) of pid's lines in the
// output of nvidia-smi --query-compute-apps=pid,used_memory
// --format=csv,noheader,nounits. It reports false if pid has no line.
func parseProcessMemory(out string, pid int) (int64, bool) {
	var sum int64
	found := false
	for line := range strings.SplitSeq(out, "\n") {
		f := strings.Split(line, ",")
		if len(f) != 2 {
			continue
		}
		p, err1 := strconv.Atoi(strings.TrimSpace(f[0]))
		mib, err2 := strconv.ParseInt(strings.TrimSpace(f[1]), 10, 64)
		if err1 != nil || err2 != nil || p != pid {
			continue
		}
		sum += mib
		found = true
	}
	return sum, found
}

// startCPUProfile starts a CPU profile into path (nothing if path is
// empty) and returns the function that stops it.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("ganbench: cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("ganbench: cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "ganbench: cpu profile: %v\n", err)
		}
	}, nil
}

// writeMemProfile writes the allocation profile to path.
func writeMemProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("ganbench: memory profile: %w", err)
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("ganbench: memory profile: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("ganbench: memory profile: %w", err)
	}
	return nil
}

// peakRSS returns VmHWM from /proc/self/status in bytes, 0 if it cannot
// be read.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	v, err := parseVmHWM(b)
	if err != nil {
		return 0
	}
	return v
}

// parseVmHWM returns the VmHWM line of a /proc/PID/status file in bytes.
func parseVmHWM(status []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("ganbench: unexpected VmHWM line %q", sc.Text())
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("ganbench: VmHWM: %w", err)
		}
		return kb * 1024, nil
	}
	return 0, errors.New("ganbench: no VmHWM line in /proc/self/status")
}

// resetPeakRSS returns freed memory to the system and resets the
// process's peak RSS to its current RSS (Linux ≥ 4.0), so that a
// configuration's peak does not include an earlier one's. Failure is
// ignored: the peak then covers the whole process.
func resetPeakRSS() {
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// Text writes r as one human-readable line: the fields it has always
// printed, then the device where it is not the CPU, then the GPU memory
// where it was measured, then the BLAS.
func (r Result) Text(w io.Writer) error {
	extra := ""
	if r.Device != "" && r.Device != "cpu" {
		extra += ", device " + r.DeviceName
	}
	if r.GPUMemoryBytes > 0 {
		extra += fmt.Sprintf(", GPU memory %.0f MiB (%s)", float64(r.GPUMemoryBytes)/(1<<20), r.GPUMemorySource)
	}
	if r.BLAS != "" {
		extra += ", BLAS " + r.BLAS
	}
	_, err := fmt.Fprintf(w, "%-6s batch %d threads %d: %d steps in %.2fs: %.2f steps/s, %.0f images/s, %.0f allocs/step, %.1f MB/step, %.2f GC/step, peak RSS %.1f MB%s\n",
		r.Config, r.Batch, r.Threads, r.Steps, r.Seconds, r.StepsPerS, r.ImagesPerS,
		r.AllocsPerStep, r.BytesPerStep/1e6, r.GCPerStep, float64(r.PeakRSSBytes)/1e6, extra)
	return err
}

// JSON writes r as one line of JSON.
func (r Result) JSON(w io.Writer) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("ganbench: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// profilePath returns the profile file of config: path itself when only
// one configuration runs, else path with "-config" before its extension.
func profilePath(path, config string, several bool) string {
	if path == "" || !several {
		return path
	}
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "-" + config + ext
}

// parseConfigs splits a comma-separated list of configurations and
// checks every name.
func parseConfigs(s string) ([]string, error) {
	var out []string
	for c := range strings.SplitSeq(s, ",") {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if _, ok := defaultSteps[c]; !ok {
			return nil, fmt.Errorf("ganbench: unknown configuration %q (want one of %s)", c, strings.Join(Configs, ", "))
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("ganbench: no configuration given")
	}
	return out, nil
}

// parseInts splits a comma-separated list of positive integers.
func parseInts(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("ganbench: %q is not a positive integer", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// memcheck runs ganbench for config in a child process per step count
// and reports whether peak RSS stays within tol of the first run's. It
// returns false if it does not.
func memcheck(w io.Writer, config, device string, stepCounts []int, warmup, batch, threads int, seed uint64, tol float64) (bool, error) {
	if len(stepCounts) < 2 {
		return false, errors.New("ganbench: -memcheck-steps needs at least two step counts")
	}
	exe, err := os.Executable()
	if err != nil {
		return false, fmt.Errorf("ganbench: memcheck: %w", err)
	}
	var results []Result
	for _, n := range stepCounts {
		args := []string{"-configs", config, "-steps", strconv.Itoa(n), "-warmup", strconv.Itoa(warmup),
			"-batch", strconv.Itoa(batch), "-threads", strconv.Itoa(threads),
			"-seed", strconv.FormatUint(seed, 10), "-device", device, "-json"}
		cmd := exec.Command(exe, args...)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return false, fmt.Errorf("ganbench: memcheck: %s %s: %w", exe, strings.Join(args, " "), err)
		}
		var r Result
		if err := json.Unmarshal(bytes.TrimSpace(out), &r); err != nil {
			return false, fmt.Errorf("ganbench: memcheck: reading the %d-step run: %w", n, err)
		}
		results = append(results, r)
		fmt.Fprintf(w, "memcheck %s steps %d peak_rss_bytes %d (%.1f MB) steps_per_s %.2f bytes_per_step %.0f\n",
			config, n, r.PeakRSSBytes, float64(r.PeakRSSBytes)/1e6, r.StepsPerS, r.BytesPerStep)
	}
	first, last := results[0], results[len(results)-1]
	if first.PeakRSSBytes <= 0 {
		return false, errors.New("ganbench: memcheck: peak RSS unavailable (no /proc/self/status?)")
	}
	ratio := float64(last.PeakRSSBytes) / float64(first.PeakRSSBytes)
	ok := ratio <= 1+tol
	verdict := "PASS"
	if !ok {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "memcheck %s rss_ratio %.4f (%d steps / %d steps, limit %.2f): %s\n",
		config, ratio, last.Steps, first.Steps, 1+tol, verdict)
	return ok, nil
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// errMemcheckFailed reports a failed -memcheck.
var errMemcheckFailed = errors.New("ganbench: memcheck failed: peak RSS grows with the number of steps")

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("ganbench", flag.ContinueOnError)
	configs := fs.String("configs", strings.Join(Configs, ","), "comma-separated configurations: "+strings.Join(Configs, ", "))
	steps := fs.Int("steps", 0, "timed steps per configuration (0: mlp 100, dcgan 10)")
	warmup := fs.Int("warmup", -1, "untimed warm-up steps (-1: mlp 10, dcgan 2)")
	batch := fs.Int("batch", 64, "batch size")
	threads := fs.Int("threads", runtime.NumCPU(), "GOMAXPROCS")
	seed := fs.Uint64("seed", 1, "seed of weights, noise and data")
	asJSON := fs.Bool("json", false, "print one JSON object per line and configuration")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the timed steps to `file` (file-CONFIG.ext when several configurations run)")
	memProfile := fs.String("memprofile", "", "write an allocation profile to `file` after the timed steps")
	doMemcheck := fs.Bool("memcheck", false, "run each -memcheck-steps count in a separate process and compare peak RSS (first configuration only; default mlp)")
	memSteps := fs.String("memcheck-steps", "1000,10000", "step counts that -memcheck compares")
	memTol := fs.Float64("memcheck-tol", 0.10, "largest allowed relative growth of peak RSS for -memcheck")
	device := fs.String("device", "cpu", "where to train: cpu, host (the GPU backend's reference kernels on the CPU), cuda or cuda:N (needs -tags cu)")
	maxSeconds := fs.Float64("max-seconds", 0, "end the timed steps after this many seconds even if fewer than -steps have run (0: no limit)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("ganbench: unexpected arguments %q", fs.Args())
	}
	if *threads < 1 {
		return fmt.Errorf("ganbench: -threads must be positive, got %d", *threads)
	}
	if *maxSeconds < 0 {
		return fmt.Errorf("ganbench: -max-seconds must not be negative, got %v", *maxSeconds)
	}
	runtime.GOMAXPROCS(*threads)
	if err := ops.BLASError(); err != nil {
		// GOGAN_BLAS named a library that did not load: measuring the
		// pure-Go fallback instead would mislabel the figures.
		return fmt.Errorf("ganbench: %w", err)
	}
	names, err := parseConfigs(*configs)
	if err != nil {
		return err
	}
	if *doMemcheck {
		config := "mlp"
		if flagSet(fs, "configs") {
			config = names[0]
		}
		counts, err := parseInts(*memSteps)
		if err != nil {
			return err
		}
		w := *warmup
		if w < 0 {
			w = defaultWarmup[config]
		}
		ok, err := memcheck(stdout, config, *device, counts, w, *batch, *threads, *seed, *memTol)
		if err != nil {
			return err
		}
		if !ok {
			return errMemcheckFailed
		}
		return nil
	}
	for _, c := range names {
		opts := Options{Config: c, Batch: *batch, Steps: *steps, Warmup: *warmup, Seed: *seed,
			CPUProfile: profilePath(*cpuProfile, c, len(names) > 1),
			MemProfile: profilePath(*memProfile, c, len(names) > 1),
			Device:     *device, MaxSeconds: *maxSeconds}
		if opts.Steps == 0 {
			opts.Steps = defaultSteps[c]
		}
		if opts.Warmup < 0 {
			opts.Warmup = defaultWarmup[c]
		}
		r, err := Run(opts)
		if err != nil {
			return err
		}
		if *asJSON {
			err = r.JSON(stdout)
		} else {
			err = r.Text(stdout)
		}
		if err != nil {
			return fmt.Errorf("ganbench: write result: %w", err)
		}
	}
	return nil
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}
