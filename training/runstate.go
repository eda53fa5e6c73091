package training

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gogan/gogan/atomicfile"
	"github.com/gogan/gogan/gan"
)

// RunFile is the file in a run folder that names the folder's run: its
// identity (RunState.ID), written once when the run starts. A
// Checkpointer records the same identity in every checkpoint and refuses
// to resume from a checkpoint of another run.
const RunFile = "run.json"

// RunState is what a Checkpointer records of a run besides the trainer's
// own state, and restores on resume: the run's identity, the learning
// rates in force (NaNRollback halves them) and the rollbacks used.
type RunState struct {
	// ID identifies the run: 16 random bytes in hex, drawn when it
	// starts.
	ID string `json:"id"`
	// GLR and DLR are the generator's and the discriminator's learning
	// rates when the checkpoint was written.
	GLR float64 `json:"g_lr"`
	DLR float64 `json:"d_lr"`
	// Rollbacks counts the NaN rollbacks the run has used.
	Rollbacks int `json:"rollbacks"`
}

// runFile is the content of RunFile.
type runFile struct {
	ID      string `json:"id"`
	Created string `json:"created"`
}

// checkpointExtra is the caller's metadata a Checkpointer stores in a
// checkpoint (gan.ModelInfo.Extra): the run's configuration and its
// RunState. A checkpoint written before run states holds the
// configuration alone.
type checkpointExtra struct {
	Config json.RawMessage `json:"config,omitempty"`
	Run    *RunState       `json:"gogan_run"`
}

// splitExtra returns the configuration and the run state (nil if none) of
// a checkpoint's extra metadata, in either form.
func splitExtra(extra json.RawMessage) (json.RawMessage, *RunState, error) {
	var probe map[string]json.RawMessage
	if json.Unmarshal(extra, &probe) != nil || probe["gogan_run"] == nil {
		return extra, nil, nil // a configuration alone (or none)
	}
	var e checkpointExtra
	if err := json.Unmarshal(extra, &e); err != nil {
		return nil, nil, fmt.Errorf("bad run state: %w", err)
	}
	if e.Run == nil || e.Run.ID == "" {
		return nil, nil, errors.New("bad run state: no run identity")
	}
	return e.Config, e.Run, nil
}

// newRunID draws a run identity.
func newRunID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("training: draw a run identity: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// readRunFile returns the identity RunFile in dir records ("" if there is
// no such file).
func readRunFile(dir string) (string, error) {
	path := filepath.Join(dir, RunFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("training: run identity: %w", err)
	}
	var r runFile
	if err := json.Unmarshal(b, &r); err != nil || r.ID == "" {
		return "", fmt.Errorf("training: %s names no run (%q)", path, b)
	}
	return r.ID, nil
}

// writeRunFile writes RunFile into dir, naming the run id.
func writeRunFile(dir, id string) error {
	b, err := json.Marshal(runFile{ID: id, Created: time.Now().UTC().Format(time.RFC3339)})
	if err != nil {
		return fmt.Errorf("training: run identity: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, RunFile), append(b, '\n')); err != nil {
		return fmt.Errorf("training: run identity: %w", err)
	}
	return nil
}

// checkRun checks that the checkpoint at path, whose run state is st (nil
// if it has none), belongs to the run of its folder, whose RunFile names
// folderID ("" if it has none). A folder without RunFile (one written
// before run identities) adopts the checkpoint's run.
func checkRun(path string, st *RunState, folderID string) error {
	switch {
	case folderID == "":
		return nil
	case st == nil:
		return fmt.Errorf("resume: %s records no run identity, but this folder's run is %s (%s): it is not this run's checkpoint; put back the run's own checkpoint or start a new run",
			path, folderID, RunFile)
	case st.ID != folderID:
		return fmt.Errorf("resume: %s is a checkpoint of run %s, but this folder's run is %s (%s): it was copied here from another run, whose statistics would mix with this one's; put back the run's own checkpoint or start a new run",
			path, st.ID, folderID, RunFile)
	}
	return nil
}

// currentRun returns the run state to record now.
func (c *Checkpointer) currentRun(tr *gan.Trainer) *RunState {
	cfg := tr.Config()
	return &RunState{ID: c.run.ID, GLR: cfg.GOptimizer.LearningRate(), DLR: cfg.DOptimizer.LearningRate(), Rollbacks: c.run.Rollbacks}
}

// encodeExtra returns the extra metadata of a checkpoint written now.
func (c *Checkpointer) encodeExtra(tr *gan.Trainer) (json.RawMessage, error) {
	b, err := json.Marshal(checkpointExtra{Config: c.config, Run: c.currentRun(tr)})
	if err != nil {
		return nil, fmt.Errorf("training: encode run state: %w", err)
	}
	return b, nil
}

// RunState returns the run state as the Checkpointer last wrote or
// loaded it (the zero RunState before).
func (c *Checkpointer) RunState() RunState { return c.run }
