package training

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// ClaimFromFlags claims out (Claim) for a command with -resume and
// -overwrite flags: ResumeRun if resume, Overwrite if overwrite, NewRun
// otherwise. A refused new run's error says how to continue or replace
// the run; moving an old run aside and removing temporary files of an
// interrupted save are reported on log.
func ClaimFromFlags(out string, resume, overwrite bool, log io.Writer) (*RunDir, error) {
	mode := NewRun
	switch {
	case resume:
		mode = ResumeRun
	case overwrite:
		mode = Overwrite
	}
	dir, err := Claim(out, mode)
	if errors.Is(err, ErrRunExists) {
		return nil, fmt.Errorf("%w: continue it with -resume %s, or pass -overwrite to move it aside and start anew", err, out)
	}
	if err != nil {
		return nil, err
	}
	if dir.Aside != "" {
		fmt.Fprintf(log, "moved the old run in %s aside to %s\n", out, dir.Aside)
	}
	if len(dir.Cleaned) > 0 {
		fmt.Fprintf(log, "removed %d temporary files of an interrupted save from %s\n", len(dir.Cleaned), out)
	}
	return dir, nil
}

// CheckResumeFlags checks the flags set on fs for a command whose -resume
// reuses the run's configuration: only -resume and -steps (a new step
// budget) may be given with it. It reports whether -steps was.
func CheckResumeFlags(fs *flag.FlagSet) (stepsSet bool, err error) {
	var others []string
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "resume":
		case "steps":
			stepsSet = true
		default:
			others = append(others, "-"+f.Name)
		}
	})
	if len(others) > 0 {
		return stepsSet, fmt.Errorf("-resume reuses the run's configuration; drop %v", others)
	}
	return stepsSet, nil
}
