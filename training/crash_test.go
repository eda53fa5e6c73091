package training_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gogan/gogan/atomicfile"
	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/internal/writefault"
	"github.com/gogan/gogan/monitor"
	"github.com/gogan/gogan/training"
	"github.com/stretchr/testify/require"
)

// The crash test's run: every callback of the examples, a checkpoint
// every 3 steps, a grid every 4.
const (
	crashSteps      = 12
	crashChild      = "GOGAN_CRASH_CHILD" // the child's killPoint, as JSON
	crashSoak       = "GOGAN_CRASH_SOAK"  // more random kills, for a longer soak
	crashCheckEvery = 3
	crashGridEvery  = 4
)

// killPoint is where a child kills itself (SIGKILL): before the N-th Op of
// the M-th atomic write of the file File (a base name, or a prefix ending
// in "-" for the numbered grids); for writefault.Append, before the N-th
// row appended to it. Op -1: no kill point (the parent kills it).
type killPoint struct {
	Dir    string
	Resume bool
	File   string
	M, N   int
	Op     writefault.Op
}

func (k killPoint) String() string {
	if k.Op < 0 {
		return "a random kill"
	}
	if k.Op == writefault.Append {
		return fmt.Sprintf("%s: before appending row %d", k.File, k.N)
	}
	return fmt.Sprintf("%s: write %d, before %v %d", k.File, k.M, k.Op, k.N)
}

func (k killPoint) matches(path string) bool {
	base := filepath.Base(path)
	if strings.HasSuffix(k.File, "-") {
		return strings.HasPrefix(base, k.File)
	}
	return base == k.File
}

// crashRun is the command the children run: it claims dir and trains the
// run to crashSteps, continuing it if resume.
func crashRun(dir string, mode training.ClaimMode, log io.Writer) error {
	rd, err := training.Claim(dir, mode)
	if err != nil {
		return err
	}
	defer rd.Release()
	o := options{out: dir, gridEvery: crashGridEvery, checkEvery: crashCheckEvery, resume: mode == training.ResumeRun,
		progress: monitor.ModePlain, config: map[string]int{"steps": crashSteps}}
	tr := newTrainer(&testing.T{})
	_, err = training.Loop{Steps: crashSteps, Log: log}.Run(context.Background(), tr, data.NewLoader(&poisoned{}, 1), o.callbacks()...)
	return err
}

// childMain runs the child's run with its kill point armed.
func childMain(spec string) {
	var k killPoint
	if err := json.Unmarshal([]byte(spec), &k); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	writes, ops := 0, 0
	writefault.Set(func(op writefault.Op, path string) error {
		if k.Op < 0 || !k.matches(path) {
			return nil
		}
		if op == writefault.Create {
			writes, ops = writes+1, 0
		}
		if op != k.Op || (op != writefault.Append && writes != k.M) {
			return nil
		}
		if ops++; ops == k.N {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			time.Sleep(time.Minute)
		}
		return nil
	})
	mode := training.NewRun
	if k.Resume {
		mode = training.ResumeRun
	}
	if err := crashRun(k.Dir, mode, io.Discard); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// startChild starts the test binary as a child running k.
func startChild(t *testing.T, k killPoint) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	spec, err := json.Marshal(k)
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashesNeverBreakResume$")
	cmd.Env = append(os.Environ(), crashChild+"="+string(spec))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	return cmd, &out
}

// waitChild waits for the child and reports whether SIGKILL ended it; a
// child that exits on its own must succeed.
func waitChild(t *testing.T, cmd *exec.Cmd, out *bytes.Buffer, what string) bool {
	t.Helper()
	err := cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true
		}
	}
	require.NoError(t, err, "%s: the child failed:\n%s", what, out)
	return false
}

// resumeToEnd resumes the run in dir to its end in this process, as
// -resume does; a run killed before its first checkpoint cannot resume:
// that is refused, saying so, and the run is started anew (as it is if
// it was killed before it made its folder).
func resumeToEnd(t *testing.T, dir, what string) {
	t.Helper()
	var log bytes.Buffer
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) { // killed before it made its folder
		require.NoError(t, crashRun(dir, training.NewRun, &log), "%s: %s", what, log.String())
		return
	}
	err := crashRun(dir, training.ResumeRun, &log)
	if errors.Is(err, training.ErrNoCheckpoint) {
		require.ErrorContains(t, err, "the run stopped before its first checkpoint")
		err = crashRun(dir, training.Overwrite, &log)
	}
	require.NoError(t, err, "%s: resuming failed:\n%s", what, log.String())
}

// requireSameRun checks that the run folder dir holds the outputs of the
// uninterrupted run ref: the checkpoint (but for the run's identity), the
// model, every grid and the interpolation byte for byte, the same
// statistics (but for the seconds), the other outputs present, and no
// temporary file left.
func requireSameRun(t *testing.T, ref, dir, what string) {
	t.Helper()
	requireSameCheckpoint(t, filepath.Join(ref, training.CheckpointFile), filepath.Join(dir, training.CheckpointFile))
	want, err := os.ReadDir(ref)
	require.NoError(t, err)
	for _, e := range want {
		name := e.Name()
		switch {
		case name == training.ModelFile || name == "interpolation.png" || strings.HasPrefix(name, "samples-"):
			a, err := os.ReadFile(filepath.Join(ref, name))
			require.NoError(t, err)
			b, err := os.ReadFile(filepath.Join(dir, name))
			require.NoError(t, err, "%s: %s", what, name)
			require.True(t, bytes.Equal(a, b), "%s: %s differs from the uninterrupted run's", what, name)
		case name == training.StatsFile:
			require.Equal(t, statsColumns(t, filepath.Join(ref, name)), statsColumns(t, filepath.Join(dir, name)), "%s: stats", what)
		default: // the plots, timeline.png (this process's grids), report.html, run.json, the lock
			_, err := os.Stat(filepath.Join(dir, name))
			require.NoError(t, err, "%s: %s", what, name)
		}
	}
	got, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range got {
		require.False(t, atomicfile.IsTemp(e.Name()), "%s: temporary file %s left", what, e.Name())
	}
	require.Equal(t, len(want), len(got), "%s: files %v, want those of %v", what, names(got), names(want))
}

// fastTempDir returns a temporary folder in memory (/dev/shm) where
// there is one, else on disk: the runs sync every file they write, which
// on a busy disk takes most of the test's time.
func fastTempDir(t *testing.T) string {
	if dir, err := os.MkdirTemp("/dev/shm", "gogan-crash-"); err == nil {
		t.Cleanup(func() { os.RemoveAll(dir) })
		return dir
	}
	return t.TempDir()
}

func names(es []os.DirEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// TestCrashesNeverBreakResume kills a training process (this test binary
// run as a child) at many points: inside the writes of every file the run
// writes (mid-file, before the sync, before and after the rename), before
// appending a row to stats.csv, and after random delays, the resumed run
// killed again. After each kill the run resumes to its end and must end
// exactly as an uninterrupted run did, with no temporary file left. Set
// GOGAN_CRASH_SOAK=N for N more random kills.
func TestCrashesNeverBreakResume(t *testing.T) {
	if spec := os.Getenv(crashChild); spec != "" {
		childMain(spec)
	}
	if testing.Short() {
		t.Skip("kills child processes; not in -short")
	}
	root := fastTempDir(t)
	ref := filepath.Join(root, "ref")
	start := time.Now()
	require.NoError(t, crashRun(ref, training.NewRun, io.Discard))
	runTime := time.Since(start)

	// The files' atomic writes: checkpoint.gogan at the start, every 3
	// steps and at the end (10); a grid every 4 steps and at the end
	// (7); the rest once, at the end (stats.csv at the start).
	last := 1 + crashSteps/crashCheckEvery + 1
	// H: half way through a write (the file's only write, for all but
	// the PNGs), W: before a write, S: before the sync, R: before the
	// rename, D: after it (before the directory's sync).
	H, W, S, R, D := writefault.Midway, writefault.Write, writefault.Sync, writefault.Rename, writefault.SyncDir
	points := []killPoint{
		{File: training.StatsFile, M: 1, N: 1, Op: H},
		{File: training.RunFile, M: 1, N: 1, Op: H},
		{File: training.RunFile, M: 1, N: 1, Op: D},
		{File: training.CheckpointFile, M: 1, N: 1, Op: H},
		{File: training.CheckpointFile, M: 1, N: 1, Op: D},
		{File: training.CheckpointFile, M: 2, N: 1, Op: H},
		{File: training.CheckpointFile, M: 2, N: 1, Op: S},
		{File: training.CheckpointFile, M: 2, N: 1, Op: R},
		{File: training.CheckpointFile, M: 2, N: 1, Op: D},
		{File: training.CheckpointFile, M: 5, N: 1, Op: H},
		{File: training.CheckpointFile, M: last, N: 1, Op: H},
		{File: training.CheckpointFile, M: last, N: 1, Op: D},
		{File: training.StatsFile, N: 5, Op: writefault.Append},
		{File: training.StatsFile, N: crashSteps, Op: writefault.Append},
		{File: "samples-", M: 2, N: 5, Op: W},
		{File: "samples-", M: 3, N: 3, Op: H},
		{File: "samples-", M: 3, N: 1, Op: R},
		{File: "samples-", M: crashSteps/crashGridEvery + 1, N: 2, Op: H},
		{File: training.ModelFile, M: 1, N: 1, Op: H},
		{File: training.ModelFile, M: 1, N: 1, Op: S},
		{File: training.ModelFile, M: 1, N: 1, Op: R},
		{File: training.ModelFile, M: 1, N: 1, Op: D},
		{File: "timeline.png", M: 1, N: 2, Op: H},
		{File: "interpolation.png", M: 1, N: 1, Op: R},
		{File: "losses.png", M: 1, N: 1, Op: H},
		{File: "diversity.png", M: 1, N: 1, Op: R},
		{File: monitor.ReportFile, M: 1, N: 1, Op: H},
		{File: monitor.ReportFile, M: 1, N: 1, Op: R},
		{File: monitor.ReportFile, M: 1, N: 1, Op: D},
	}
	for i, k := range points {
		what := fmt.Sprintf("kill point %d (%v)", i, k)
		k.Dir = filepath.Join(root, fmt.Sprint("point", i))
		cmd, out := startChild(t, k)
		require.True(t, waitChild(t, cmd, out, what), "%s: the child was not killed (no such write?):\n%s", what, out)
		resumeToEnd(t, k.Dir, what)
		requireSameRun(t, ref, k.Dir, what)
	}

	// Random kills: a new run killed after a random delay, then its
	// resumption killed too, then resumed to the end.
	random := 6
	if n, err := strconv.Atoi(os.Getenv(crashSoak)); err == nil && n > 0 {
		random += n
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	child := runTime + 100*time.Millisecond // a child's life: starting, then the run
	killed := 0
	for i := range random {
		dir := filepath.Join(root, fmt.Sprint("random", i))
		var delays []time.Duration
		for j := range 2 {
			k := killPoint{Dir: dir, Resume: j > 0, Op: -1}
			if j > 0 {
				if _, err := os.Stat(filepath.Join(dir, training.CheckpointFile)); err != nil {
					break // killed before its first checkpoint: nothing to resume
				}
			}
			delay := time.Duration(rng.Int64N(int64(child)))
			delays = append(delays, delay)
			cmd, out := startChild(t, k)
			time.Sleep(delay)
			cmd.Process.Signal(syscall.SIGKILL)
			if waitChild(t, cmd, out, fmt.Sprintf("random kill %d after %v", i, delays)) {
				killed++
			}
		}
		what := fmt.Sprintf("random kill %d after %v", i, delays)
		resumeToEnd(t, dir, what)
		requireSameRun(t, ref, dir, what)
	}
	t.Logf("%d kill points, %d of %d random kills landed (an uninterrupted run takes %v here)",
		len(points), killed, 2*random, runTime.Round(time.Millisecond))
}

// TestFailedWritesKeepTheLastGoodFiles makes writes fail (the file
// system refusing: full, read-only) through the writefault seam: the run
// stops with the error, the file keeps its last good content, no
// temporary file is left, and the run then resumes to the same end as
// an uninterrupted one.
func TestFailedWritesKeepTheLastGoodFiles(t *testing.T) {
	root := fastTempDir(t)
	ref := filepath.Join(root, "ref")
	require.NoError(t, crashRun(ref, training.NewRun, io.Discard))
	for i, k := range []killPoint{
		{File: training.CheckpointFile, M: 3, N: 1, Op: writefault.Sync},
		{File: training.CheckpointFile, M: 2, N: 1, Op: writefault.Midway},
		{File: training.ModelFile, M: 1, N: 1, Op: writefault.Rename},
		{File: training.StatsFile, N: 7, Op: writefault.Append},
	} {
		dir := filepath.Join(root, fmt.Sprint("fail", i))
		boom := fmt.Errorf("injected failure (%v)", k)
		writes, ops := 0, 0
		restore := writefault.Set(func(op writefault.Op, path string) error {
			if !k.matches(path) {
				return nil
			}
			if op == writefault.Create {
				writes, ops = writes+1, 0
			}
			if op == k.Op && (op == writefault.Append || writes == k.M) {
				if ops++; ops == k.N {
					return boom
				}
			}
			return nil
		})
		err := crashRun(dir, training.NewRun, io.Discard)
		restore()
		require.ErrorIs(t, err, boom, "%v", k)
		if k.File == training.CheckpointFile { // the last good one, named as such, and intact
			require.ErrorContains(t, err, "the last good checkpoint is "+filepath.Join(dir, training.CheckpointFile))
			tr := newTrainer(t)
			_, lerr := tr.LoadCheckpoint(filepath.Join(dir, training.CheckpointFile), nil)
			require.NoError(t, lerr)
			require.Equal(t, (k.M-2)*crashCheckEvery, tr.Steps(), "%v", k)
		}
		entries, rerr := os.ReadDir(dir)
		require.NoError(t, rerr)
		for _, e := range entries {
			require.False(t, atomicfile.IsTemp(e.Name()), "%v: temporary file %s left", k, e.Name())
		}
		resumeToEnd(t, dir, k.String())
		requireSameRun(t, ref, dir, k.String())
	}
}
