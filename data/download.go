package data

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gogan/gogan/atomicfile"
)

// RemoteFile describes one file of a downloadable data set.
type RemoteFile struct {
	// Name is the file name, both on the mirrors and in the cache.
	Name string
	// Size is the file's size in bytes.
	Size int64
	// SHA256 is the hex SHA-256 digest of the file.
	SHA256 string
}

// DownloadSpec describes a data set that Download can fetch: its files and
// the mirrors that serve them.
type DownloadSpec struct {
	// Name names the data set in messages, for example "MNIST".
	Name string
	// Dir is the subdirectory of the cache directory the files go into.
	Dir string
	// Mirrors are base URLs, tried in order; a file's URL is the base URL
	// joined with its Name by a "/".
	Mirrors []string
	// Files are the files to fetch.
	Files []RemoteFile
	// Client makes the requests; nil means DefaultHTTPClient.
	Client *http.Client
}

// DefaultHTTPClient is the client Download uses when the spec has none. Its
// timeout bounds a whole request, body included.
var DefaultHTTPClient = &http.Client{Timeout: 10 * time.Minute}

// MNISTSpec returns the download description of MNIST: the four gzipped
// IDX files of LeCun et al., from the PyTorch (torchvision) mirror and the
// Google CVDF mirror.
//
// The sizes and SHA-256 digests are those of TensorFlow Datasets,
// github.com/tensorflow/datasets, file
// tensorflow_datasets/url_checksums/mnist.txt (which lists the CVDF URLs);
// the same digests appear independently in several other public projects.
func MNISTSpec() DownloadSpec {
	return DownloadSpec{
		Name: "MNIST",
		Dir:  "mnist",
		Mirrors: []string{
			"https://ossci-datasets.s3.amazonaws.com/mnist/",
			"https://storage.googleapis.com/cvdf-datasets/mnist/",
		},
		Files: []RemoteFile{
			{"train-images-idx3-ubyte.gz", 9912422, "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"},
			{"train-labels-idx1-ubyte.gz", 28881, "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"},
			{"t10k-images-idx3-ubyte.gz", 1648877, "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"},
			{"t10k-labels-idx1-ubyte.gz", 4542, "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"},
		},
	}
}

// FashionMNISTSpec returns the download description of Fashion-MNIST (Xiao,
// Rasul and Vollgraf 2017), from Zalando Research's mirror.
//
// The sizes and SHA-256 digests are those of TensorFlow Datasets,
// github.com/tensorflow/datasets, file
// tensorflow_datasets/url_checksums/fashion_mnist.txt. They were checked
// against the Debian package dataset-fashion-mnist
// (0.0~git20200523.55506a9-1): its .gz files are the upstream ones with the
// gzip header normalised (file name dropped, time set to the build date,
// hence 24 bytes shorter); restoring the name and the original time
// (2017-08-31) gives files whose MD5s are those published in the README of
// github.com/zalandoresearch/fashion-mnist and whose SHA-256s are these.
func FashionMNISTSpec() DownloadSpec {
	return DownloadSpec{
		Name:    "Fashion-MNIST",
		Dir:     "fashion-mnist",
		Mirrors: []string{"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"},
		Files: []RemoteFile{
			{"train-images-idx3-ubyte.gz", 26421880, "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"},
			{"train-labels-idx1-ubyte.gz", 29515, "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"},
			{"t10k-images-idx3-ubyte.gz", 4422102, "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"},
			{"t10k-labels-idx1-ubyte.gz", 5148, "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"},
		},
	}
}

// DefaultCacheDir returns the directory gogan caches downloads in,
// os.UserCacheDir()/gogan.
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("data: cache directory: %w", err)
	}
	return filepath.Join(d, "gogan"), nil
}

// Download makes sure that the files of spec are in cacheDir/spec.Dir,
// verified by size and SHA-256, and returns that directory. Files already
// there and verified are not fetched again. Each missing file is fetched
// from the mirrors in order into a temporary file, verified and only then
// renamed into place, so a failed download leaves nothing behind. If no
// mirror serves a file, the error says which files to put where by hand.
func Download(ctx context.Context, spec DownloadSpec, cacheDir string) (dir string, err error) {
	dir = filepath.Join(cacheDir, spec.Dir)
	if len(spec.Files) == 0 {
		return "", fmt.Errorf("data: download %s: no files in spec", spec.Name)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("data: download %s: %w", spec.Name, err)
	}
	var missing []RemoteFile
	for _, f := range spec.Files {
		if f.Name == "" || f.Name != filepath.Base(f.Name) || strings.HasPrefix(f.Name, ".") {
			return "", fmt.Errorf("data: download %s: bad file name %q", spec.Name, f.Name)
		}
		if verifyFile(filepath.Join(dir, f.Name), f) != nil {
			missing = append(missing, f)
		}
	}
	client := spec.Client
	if client == nil {
		client = DefaultHTTPClient
	}
	for i, f := range missing {
		var errs []string
		ok := false
		for _, m := range spec.Mirrors {
			url := strings.TrimSuffix(m, "/") + "/" + f.Name
			err := fetch(ctx, client, url, filepath.Join(dir, f.Name), f)
			if err == nil {
				ok = true
				break
			}
			if ctx.Err() != nil {
				return "", fmt.Errorf("data: download %s: %s: %w", spec.Name, f.Name, ctx.Err())
			}
			errs = append(errs, err.Error())
		}
		if !ok {
			if len(spec.Mirrors) == 0 {
				errs = append(errs, "no mirrors")
			}
			var names []string
			for _, g := range missing[i:] {
				names = append(names, g.Name)
			}
			return "", fmt.Errorf("data: cannot download %s (%s): put %s into %s",
				spec.Name, strings.Join(errs, "; "), strings.Join(names, ", "), dir)
		}
	}
	return dir, nil
}

// verifyFile checks that path has f's size and digest.
func verifyFile(path string, f RemoteFile) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return err
	}
	if fi.Size() != f.Size {
		return fmt.Errorf("%s: size %d, want %d", path, fi.Size(), f.Size)
	}
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, f.SHA256) {
		return fmt.Errorf("%s: SHA-256 %s, want %s", path, got, f.SHA256)
	}
	return nil
}

// fetch downloads url to path via a verified temporary file.
func fetch(ctx context.Context, client *http.Client, url, path string, f RemoteFile) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if resp.ContentLength >= 0 && resp.ContentLength != f.Size {
		return fmt.Errorf("GET %s: size %d, want %d", url, resp.ContentLength, f.Size)
	}
	var fillErr error
	err = atomicfile.Write(path, func(w io.Writer) error {
		fillErr = copyVerified(w, resp.Body, f)
		return fillErr
	})
	if fillErr != nil {
		return fmt.Errorf("GET %s: %w", url, fillErr)
	}
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return nil
}

// copyVerified copies body to w, checking that it has f's size and digest.
// It reads at most one byte more than f.Size, to detect a longer body
// without reading an unbounded one.
func copyVerified(w io.Writer, body io.Reader, f RemoteFile) error {
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(body, f.Size+1))
	switch {
	case err != nil:
		return err
	case n > f.Size:
		return fmt.Errorf("body longer than the expected %d bytes", f.Size)
	case n < f.Size:
		return fmt.Errorf("body of %d bytes, want %d", n, f.Size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, f.SHA256) {
		return fmt.Errorf("SHA-256 mismatch: expected %s, got %s", f.SHA256, got)
	}
	return nil
}
