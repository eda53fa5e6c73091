package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/gogan/gogan/ops"
	"github.com/stretchr/testify/require"
)

// TestJSONOutput runs one step of mlp at batch 4 through the command's
// entry point and checks the fields of its JSON line.
func TestJSONOutput(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run([]string{"-configs", "mlp", "-batch", "4", "-steps", "1", "-warmup", "0", "-threads", "1", "-json"}, &out))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 1)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &m))
	for _, k := range []string{"framework", "config", "batch", "threads", "steps", "warmup", "seconds", "steps_per_s",
		"images_per_s", "allocs_per_step", "bytes_per_step", "gc_per_step", "peak_rss_bytes", "params", "go_version", "blas"} {
		require.Contains(t, m, k)
	}
	require.Equal(t, ops.BLAS(), m["blas"])
	if strings.HasPrefix(m["blas"].(string), "openblas ") || strings.HasPrefix(m["blas"].(string), "gogan ") {
		require.Regexp(t, `, 1 thread[);]`, m["blas"], "the BLAS's threads follow -threads")
	}
	if runtime.GOOS == "linux" {
		require.Greater(t, m["cpu_seconds"].(float64), 0.0)
	}
	require.Equal(t, "gogan", m["framework"])
	require.Equal(t, "mlp", m["config"])
	require.EqualValues(t, 4, m["batch"])
	require.EqualValues(t, 1, m["threads"])
	require.EqualValues(t, 1, m["steps"])
	require.Equal(t, runtime.Version(), m["go_version"])
	sps := m["steps_per_s"].(float64)
	require.Greater(t, sps, 0.0)
	require.InDelta(t, 4*sps, m["images_per_s"].(float64), 1e-9*sps)
	require.Greater(t, m["allocs_per_step"].(float64), 0.0)
	require.Greater(t, m["bytes_per_step"].(float64), 0.0)
	require.Greater(t, m["peak_rss_bytes"].(float64), 0.0)
	// G 100·256+256 + 256·512+512 + 512·784+784, D 784·512+512 + 512·256+256 + 256+1.
	require.EqualValues(t, 559_632+533_505, m["params"])
}

func TestRunRejectsBadInput(t *testing.T) {
	var out bytes.Buffer
	require.ErrorContains(t, run([]string{"-configs", "vgg"}, &out), "unknown configuration")
	require.ErrorContains(t, run([]string{"-threads", "0"}, &out), "positive")
	_, err := Run(Options{Config: "mlp", Batch: 4, Steps: 0})
	require.Error(t, err)
	// A batch beyond memory is refused before anything of its size exists.
	_, err = Run(Options{Config: "dcgan", Batch: 100_000_000, Steps: 1})
	require.ErrorContains(t, err, "ganbench: dcgan: -batch 100000000: gan: training with a batch of 100000000 needs")
}

func TestParseVmHWM(t *testing.T) {
	v, err := parseVmHWM([]byte("Name:\tganbench\nVmPeak:\t  1000 kB\nVmHWM:\t   2048 kB\nVmRSS:\t 1024 kB\n"))
	require.NoError(t, err)
	require.EqualValues(t, 2048*1024, v)
	_, err = parseVmHWM([]byte("Name:\tx\n"))
	require.Error(t, err)
}

func TestProfilePath(t *testing.T) {
	require.Equal(t, "p.prof", profilePath("p.prof", "mlp", false))
	require.Equal(t, "p-mlp.prof", profilePath("p.prof", "mlp", true))
	require.Equal(t, "", profilePath("", "mlp", true))
}

func TestDeviceAndMaxSeconds(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run([]string{"-configs", "mlp", "-batch", "4", "-steps", "1000000", "-warmup", "0", "-threads", "1",
		"-device", "cpu", "-max-seconds", "0.2", "-json"}, &out))
	var m map[string]any
	require.NoError(t, json.Unmarshal(bytes.TrimSpace(out.Bytes()), &m))
	require.Equal(t, "cpu", m["device"])
	require.Contains(t, m["device_name"], "cpu")
	require.EqualValues(t, 0, m["gpu_memory_bytes"])
	require.NotContains(t, m, "gpu_memory_source")
	steps := m["steps"].(float64)
	require.GreaterOrEqual(t, steps, 1.0)
	require.Less(t, steps, 1000000.0)
	require.InDelta(t, steps/m["seconds"].(float64), m["steps_per_s"].(float64), 1e-6*steps)

	out.Reset()
	require.NoError(t, run([]string{"-configs", "mlp", "-batch", "4", "-steps", "1", "-warmup", "0", "-threads", "1"}, &out))
	require.NotContains(t, out.String(), "device", "the CPU's text line is unchanged")
	require.ErrorContains(t, run([]string{"-max-seconds", "-1"}, &out), "-max-seconds")
}

func TestParseProcessMemory(t *testing.T) {
	out := "4242, 512\n17, 100\n4242, 8\n\nbad line\n"
	mib, ok := parseProcessMemory(out, 4242)
	require.True(t, ok)
	require.EqualValues(t, 520, mib)
	_, ok = parseProcessMemory(out, 99)
	require.False(t, ok)
	_, ok = parseProcessMemory("", 1)
	require.False(t, ok)
	require.True(t, isGPU("cuda"))
	require.True(t, isGPU("cuda:1"))
	require.False(t, isGPU("host"))
	require.False(t, isGPU("cpu"))
}

// TestGPUMemory runs gpuMemory against a stand-in nvidia-smi: the
// process's own lines where nvidia-smi lists it, else the device's total,
// else nothing.
func TestGPUMemory(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PATH", dir)
	mib, src := gpuMemory("cuda")
	require.Zero(t, mib, "no nvidia-smi")
	require.Empty(t, src)

	stub := `#!/bin/sh
case "$*" in
*--query-compute-apps*) [ -n "$LIST_SELF" ] && { echo "1, 100"; echo "$PPID, 1234"; echo "$PPID, 6"; } ;;
*"-i 1"*) echo "4321" ;;
*--query-gpu=memory.used*) echo "999" ;;
esac
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "nvidia-smi"), []byte(stub), 0o755))
	t.Setenv("LIST_SELF", "1")
	b, src := gpuMemory("cuda")
	require.EqualValues(t, 1240<<20, b)
	require.Equal(t, "nvidia-smi process", src)
	t.Setenv("LIST_SELF", "")
	b, src = gpuMemory("cuda:1")
	require.EqualValues(t, 4321<<20, b)
	require.Equal(t, "nvidia-smi device", src)
	b, _ = gpuMemory("cuda")
	require.EqualValues(t, 999<<20, b)
}

// TestBLASFailureIsFatal runs ganbench with GOGAN_BLAS naming a missing
// library: it must fail, naming the library, instead of measuring the
// pure-Go fallback under a wrong label.
func TestBLASFailureIsFatal(t *testing.T) {
	if os.Getenv("GANBENCH_TEST_CHILD") == "1" {
		var out bytes.Buffer
		err := run([]string{"-configs", "mlp", "-batch", "4", "-steps", "1", "-warmup", "0", "-json"}, &out)
		require.ErrorContains(t, err, "GOGAN_BLAS=/nonexistent/libnoblas.so failed")
		require.Empty(t, out.String())
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBLASFailureIsFatal$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GANBENCH_TEST_CHILD=1", ops.BLASEnv+"=/nonexistent/libnoblas.so")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
}
