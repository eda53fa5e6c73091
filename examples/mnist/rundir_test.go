package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gogan/gogan/data"
	"github.com/stretchr/testify/require"
)

// writeDigits writes n synthetic 28×28 digits as MNIST IDX files into a
// new folder and returns it.
func writeDigits(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	pix := make([]uint8, n*28*28)
	for i := range pix {
		pix[i] = uint8((i*7 + i/(28*28)*31) % 256)
	}
	x, err := data.NewIDXUint8(pix, n, 28, 28)
	require.NoError(t, err)
	require.NoError(t, data.WriteIDXFile(filepath.Join(dir, "train-images-idx3-ubyte"), x))
	l, err := data.NewIDXUint8(make([]uint8, n), n)
	require.NoError(t, err)
	require.NoError(t, data.WriteIDXFile(filepath.Join(dir, "train-labels-idx1-ubyte"), l))
	return dir
}

// smallRun is the configuration of a quick run of the reference MLP.
func smallRun(digits, out string, steps int) config {
	return config{Data: digits, Out: out, Model: "mlp", Steps: steps, Batch: 8, Loss: "nonsaturating",
		K: 1, LR: 2e-4, Seed: 1, GridEvery: 0, LogEvery: 100, CheckpointEvery: 2}
}

// snapshot returns the files of dir and digests of their contents.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	files := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		files[e.Name()] = fmt.Sprintf("%d bytes, sha256 %x", len(b), sha256.Sum256(b))
	}
	return files
}

// TestNewRunKeepsAnExistingRun: a new run into a folder that holds a run
// (forgetting -resume) changes nothing in it, whether it fails on its
// data (fewer digits than a batch) or would train, and says how to go on.
func TestNewRunKeepsAnExistingRun(t *testing.T) {
	digits, tiny := writeDigits(t, 20), writeDigits(t, 3)
	out := filepath.Join(t.TempDir(), "ow")
	require.NoError(t, run(context.Background(), smallRun(digits, out, 4), io.Discard))
	before := snapshot(t, out)
	require.Contains(t, before, "checkpoint.gogan")

	err := run(context.Background(), smallRun(tiny, out, 20), io.Discard)
	require.Error(t, err)
	require.Equal(t, before, snapshot(t, out), "a run that failed its checks changed the run folder")
	require.ErrorContains(t, err, "fewer than one batch of 8")

	err = run(context.Background(), smallRun(digits, out, 4), io.Discard)
	require.Equal(t, before, snapshot(t, out), "a new run changed the folder of another run")
	require.ErrorContains(t, err, "-resume "+out)
}

// TestOverwriteMovesTheOldRunAside: -overwrite starts anew and keeps the
// old run, whole, in OUT.old-<time>.
func TestOverwriteMovesTheOldRunAside(t *testing.T) {
	digits := writeDigits(t, 20)
	out := filepath.Join(t.TempDir(), "ow")
	require.NoError(t, run(context.Background(), smallRun(digits, out, 4), io.Discard))
	before := snapshot(t, out)
	c, err := parseFlags([]string{"-data", digits, "-out", out, "-steps", "2", "-batch", "8", "-overwrite"}, io.Discard)
	require.NoError(t, err)
	require.NoError(t, run(context.Background(), c, io.Discard))
	aside, err := filepath.Glob(out + ".old-*")
	require.NoError(t, err)
	require.Len(t, aside, 1)
	require.Equal(t, before, snapshot(t, aside[0]))
	require.Len(t, readStats(t, filepath.Join(out, "stats.csv")), 2)

	_, err = parseFlags([]string{"-resume", out, "-overwrite"}, io.Discard)
	require.ErrorContains(t, err, "drop [-overwrite]")
}

// TestSecondRunIntoABusyFolderFails: while a run trains in a folder,
// another run into it fails, naming the process that holds it, and
// writes nothing there.
func TestSecondRunIntoABusyFolderFails(t *testing.T) {
	digits := writeDigits(t, 20)
	out := filepath.Join(t.TempDir(), "busy")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := make(chan error, 1)
	go func() { first <- run(ctx, smallRun(digits, out, 1_000_000), io.Discard) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(out, "checkpoint.gogan")); err == nil {
			break
		}
		require.True(t, time.Now().Before(deadline), "the first run wrote no checkpoint")
		time.Sleep(10 * time.Millisecond)
	}
	for _, c := range []config{smallRun(digits, out, 3), {Resume: out}} {
		err := run(context.Background(), c, io.Discard)
		require.ErrorContains(t, err, fmt.Sprintf("locked by process %d", os.Getpid()), "%+v", c)
	}
	cancel()
	require.ErrorIs(t, <-first, context.Canceled)
	require.NoError(t, run(context.Background(), config{Resume: out, Steps: 1, StepsSet: true}, io.Discard))
}

// TestResumeRemovesOrphanedTemporaryFiles: the temporary file of a
// checkpoint whose writer was killed is removed when the run resumes.
func TestResumeRemovesOrphanedTemporaryFiles(t *testing.T) {
	digits := writeDigits(t, 20)
	out := filepath.Join(t.TempDir(), "run")
	require.NoError(t, run(context.Background(), smallRun(digits, out, 2), io.Discard))
	orphan := filepath.Join(out, ".checkpoint.gogan.tmp-123456")
	require.NoError(t, os.WriteFile(orphan, make([]byte, 1<<16), 0o600))
	c, err := parseFlags([]string{"-resume", out, "-steps", "3"}, io.Discard)
	require.NoError(t, err)
	require.NoError(t, run(context.Background(), c, io.Discard))
	_, err = os.Stat(orphan)
	require.True(t, errors.Is(err, os.ErrNotExist), "orphaned temporary file left: %v", err)
}

const childOut = "GOGAN_MNIST_TEST_CHILD_OUT"

// TestKilledRunResumes kills a training process with SIGKILL while it
// writes checkpoints every 2 steps, tears the last line of its stats.csv
// as a kill during the write would, and resumes it: the folder is not
// left locked, and the resumed stats.csv has every step once, in order.
func TestKilledRunResumes(t *testing.T) {
	if out := os.Getenv(childOut); out != "" {
		err := run(context.Background(), smallRun(os.Getenv(childOut+"_DATA"), out, 1_000_000), io.Discard)
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(3)
	}
	digits := writeDigits(t, 20)
	out := filepath.Join(t.TempDir(), "torn")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledRunResumes$")
	cmd.Env = append(os.Environ(), childOut+"="+out, childOut+"_DATA="+digits)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	deadline := time.Now().Add(60 * time.Second)
	for {
		if b, err := os.ReadFile(filepath.Join(out, "stats.csv")); err == nil && strings.Count(string(b), "\n") > 12 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the child wrote no statistics")
		}
		time.Sleep(5 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Kill())
	cmd.Wait()
	f, err := os.OpenFile(filepath.Join(out, "stats.csv"), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("999999,1.3")
	require.NoError(t, err)
	require.NoError(t, f.Close())

	const steps = 40
	c, err := parseFlags([]string{"-resume", out, "-steps", fmt.Sprint(steps)}, io.Discard)
	require.NoError(t, err)
	require.NoError(t, run(context.Background(), c, io.Discard))
	rows := readStats(t, filepath.Join(out, "stats.csv"))
	require.Len(t, rows, steps)
	for i, r := range rows {
		require.Equal(t, float64(i+1), r[0])
	}
}
