package main

import (
	"bytes"
	"encoding/json"
	"runtime"
	"strings"
	"testing"

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
		"images_per_s", "allocs_per_step", "bytes_per_step", "gc_per_step", "peak_rss_bytes", "params", "go_version"} {
		require.Contains(t, m, k)
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
