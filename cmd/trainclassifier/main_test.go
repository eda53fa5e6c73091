package main

import (
	"strings"
	"testing"
)

func TestRunRejects(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-epochs"}, "flag needs an argument"},
		{[]string{"-data", t.TempDir()}, "no image and label files"},
	} {
		if err := run(tc.args); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%q): %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}
