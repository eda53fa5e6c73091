package data

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// mirror serves files by name and counts the requests for each.
type mirror struct {
	mu    sync.Mutex
	files map[string][]byte
	hits  map[string]int
}

func newMirror(t *testing.T, files map[string][]byte) (*mirror, *httptest.Server) {
	m := &mirror{files: files, hits: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/d/")
		m.mu.Lock()
		m.hits[name]++
		b, ok := m.files[name]
		m.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return m, srv
}

func (m *mirror) count(name string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.hits[name]
}

func remote(name string, b []byte) RemoteFile {
	s := sha256.Sum256(b)
	return RemoteFile{Name: name, Size: int64(len(b)), SHA256: hex.EncodeToString(s[:])}
}

func testSpec(urls ...string) (DownloadSpec, map[string][]byte) {
	files := map[string][]byte{
		"a-images.gz": []byte("the images, pretend"),
		"b-labels.gz": []byte("labels"),
	}
	return DownloadSpec{
		Name:    "Test",
		Dir:     "test",
		Mirrors: urls,
		Files:   []RemoteFile{remote("a-images.gz", files["a-images.gz"]), remote("b-labels.gz", files["b-labels.gz"])},
		Client:  &http.Client{Timeout: 10 * time.Second},
	}, files
}

// dirNames lists dir, hidden (temporary) files included.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestDownloadAndCache(t *testing.T) {
	spec, files := testSpec()
	m, srv := newMirror(t, files)
	spec.Mirrors = []string{srv.URL + "/d"} // no trailing slash
	cache := t.TempDir()
	dir, err := Download(context.Background(), spec, cache)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(cache, "test"), dir)
	require.Equal(t, []string{"a-images.gz", "b-labels.gz"}, dirNames(t, dir))
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		require.Equal(t, want, got)
		require.Equal(t, 1, m.count(name))
	}
	// Cached and verified: not fetched again.
	_, err = Download(context.Background(), spec, cache)
	require.NoError(t, err)
	require.Equal(t, 1, m.count("a-images.gz"))
	require.Equal(t, 1, m.count("b-labels.gz"))
	// A damaged cached file is fetched again.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b-labels.gz"), []byte("LABELS"), 0o644))
	_, err = Download(context.Background(), spec, cache)
	require.NoError(t, err)
	require.Equal(t, 1, m.count("a-images.gz"))
	require.Equal(t, 2, m.count("b-labels.gz"))
	got, err := os.ReadFile(filepath.Join(dir, "b-labels.gz"))
	require.NoError(t, err)
	require.Equal(t, "labels", string(got))
}

func TestDownloadFallsBackToSecondMirror(t *testing.T) {
	spec, files := testSpec()
	empty, srv1 := newMirror(t, map[string][]byte{})
	full, srv2 := newMirror(t, files)
	spec.Mirrors = []string{srv1.URL + "/d/", srv2.URL + "/d/"}
	dir, err := Download(context.Background(), spec, t.TempDir())
	require.NoError(t, err)
	require.Equal(t, []string{"a-images.gz", "b-labels.gz"}, dirNames(t, dir))
	require.Equal(t, 1, empty.count("a-images.gz"))
	require.Equal(t, 1, full.count("a-images.gz"))
	require.Equal(t, 1, empty.count("b-labels.gz"))
}

func TestDownloadCorruptBody(t *testing.T) {
	spec, files := testSpec()
	want := spec.Files[0].SHA256
	files["a-images.gz"] = []byte("the images, PRETEND") // same size, other bytes
	bad := sha256.Sum256(files["a-images.gz"])
	_, srv := newMirror(t, files)
	spec.Mirrors = []string{srv.URL + "/d/"}
	cache := t.TempDir()
	_, err := Download(context.Background(), spec, cache)
	dir := filepath.Join(cache, "test")
	require.EqualError(t, err, "data: cannot download Test (GET "+srv.URL+"/d/a-images.gz: SHA-256 mismatch: expected "+want+", got "+hex.EncodeToString(bad[:])+"): put a-images.gz, b-labels.gz into "+dir)
	require.Empty(t, dirNames(t, dir), "nothing half-written is left")

	// A body longer or shorter than the expected size.
	files["a-images.gz"] = []byte("the images, pretend, and more")
	_, err = Download(context.Background(), spec, cache)
	require.ErrorContains(t, err, "GET "+srv.URL+"/d/a-images.gz: size 29, want 19")
	require.Empty(t, dirNames(t, dir))
}

func TestDownloadOffline(t *testing.T) {
	spec, _ := testSpec()
	_, srv := newMirror(t, nil)
	srv.Close() // nothing listens there any more
	spec.Mirrors = []string{srv.URL + "/d/", srv.URL + "/e/"}
	cache := t.TempDir()
	_, err := Download(context.Background(), spec, cache)
	require.Error(t, err)
	require.True(t, strings.HasSuffix(err.Error(), "): put a-images.gz, b-labels.gz into "+filepath.Join(cache, "test")), err.Error())
	require.Contains(t, err.Error(), "data: cannot download Test (GET "+srv.URL+"/d/a-images.gz: ")
	require.Contains(t, err.Error(), "; GET "+srv.URL+"/e/a-images.gz: ")
}

func TestDownloadContextCancelled(t *testing.T) {
	spec, _ := testSpec()
	started := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "19")
		w.Write([]byte("the "))
		w.(http.Flusher).Flush()
		close(started)
		<-r.Context().Done() // hang until the client gives up
	}))
	defer srv.Close()
	spec.Mirrors = []string{srv.URL + "/", srv.URL + "/never/"}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	cache := t.TempDir()
	_, err := Download(ctx, spec, cache)
	require.ErrorIs(t, err, context.Canceled)
	require.EqualError(t, err, "data: download Test: a-images.gz: context canceled")
	require.Empty(t, dirNames(t, filepath.Join(cache, "test")))
}

func TestDownloadSpecs(t *testing.T) {
	for _, s := range []DownloadSpec{MNISTSpec(), FashionMNISTSpec()} {
		require.Len(t, s.Files, 4)
		require.NotEmpty(t, s.Mirrors)
		names := map[string]bool{}
		for _, f := range s.Files {
			names[f.Name] = true
			require.Len(t, f.SHA256, 64)
			require.Positive(t, f.Size)
		}
		for _, n := range []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"} {
			require.True(t, names[n], "%s: %s", s.Name, n)
		}
	}
	require.Equal(t, "https://ossci-datasets.s3.amazonaws.com/mnist/", MNISTSpec().Mirrors[0])
	d, err := DefaultCacheDir()
	if err == nil {
		require.Equal(t, "gogan", filepath.Base(d))
	}
	_, err = Download(context.Background(), DownloadSpec{Name: "X", Files: []RemoteFile{{Name: "../x"}}}, t.TempDir())
	require.EqualError(t, err, `data: download X: bad file name "../x"`)
}

// The Debian package's .gz files are the upstream ones with a normalised
// gzip header (no file name, time set to the package build). Restoring the
// upstream header must give exactly the files FashionMNISTSpec describes.
func TestFashionMNISTSpecMatchesDebianFiles(t *testing.T) {
	mtimes := map[string]uint32{
		"train-images-idx3-ubyte.gz": 1504176606, "train-labels-idx1-ubyte.gz": 1504176606,
		"t10k-images-idx3-ubyte.gz": 1504176627, "t10k-labels-idx1-ubyte.gz": 1504176627,
	}
	for _, f := range FashionMNISTSpec().Files {
		deb, err := os.ReadFile(filepath.Join(DefaultFashionMNISTDir, f.Name))
		if err != nil {
			t.Skipf("Fashion-MNIST not installed at %s (apt-get install dataset-fashion-mnist): %v", DefaultFashionMNISTDir, err)
		}
		require.Equal(t, []byte{0x1f, 0x8b, 8, 0}, deb[:4], "gzip without a file name")
		m := mtimes[f.Name]
		hdr := []byte{0x1f, 0x8b, 8, 8, byte(m), byte(m >> 8), byte(m >> 16), byte(m >> 24), deb[8], deb[9]}
		orig := append(append(append(hdr, strings.TrimSuffix(f.Name, ".gz")...), 0), deb[10:]...)
		require.Equal(t, remote(f.Name, orig), f)
	}
}
