package cuda

import "testing"

func TestVersion(t *testing.T) {
	if v := Version(13000); v.String() != "13.0" || v.Major() != 13 || v.Minor() != 0 {
		t.Fatalf("Version(13000) = %v (%d, %d)", v, v.Major(), v.Minor())
	}
	if v := Version(12080); v.String() != "12.8" {
		t.Fatalf("Version(12080) = %v", v)
	}
}

func TestDeviceString(t *testing.T) {
	d := Device{Index: 1, Name: "NVIDIA H200", Memory: 150_100_000_000}
	if got, want := d.String(), "cuda:1 (NVIDIA H200, 139.8 GiB)"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
}
