package data

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Stateful is implemented by Batches whose position in the data can be
// saved and restored, so that a training run resumed from a checkpoint
// sees exactly the batches it would have seen without the interruption.
// Loader and SourceLoader implement it.
type Stateful interface {
	// MarshalState returns the stream's position and random state.
	MarshalState() ([]byte, error)
	// UnmarshalState restores a state returned by MarshalState of a
	// stream over the same data. On error the stream is unchanged.
	UnmarshalState(state []byte) error
}

const (
	loaderStateTag       = "gogan-loader-1"
	sourceLoaderStateTag = "gogan-source-1"
)

// MarshalState encodes the epoch, the position in the epoch, the epoch's
// order and the random generator's state.
func (l *Loader) MarshalState() ([]byte, error) {
	rng, err := l.pcg.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("data: loader state: %w", err)
	}
	out := append([]byte(loaderStateTag), byte(len(rng)))
	out = append(out, rng...)
	out = binary.LittleEndian.AppendUint64(out, uint64(l.epoch))
	out = binary.LittleEndian.AppendUint64(out, uint64(l.pos))
	out = binary.LittleEndian.AppendUint64(out, uint64(len(l.perm)))
	for _, p := range l.perm {
		out = binary.LittleEndian.AppendUint64(out, uint64(p))
	}
	return out, nil
}

// UnmarshalState restores a state from MarshalState. It checks that the
// state belongs to a dataset of the same size and that the saved order is
// a permutation; on error the Loader is unchanged.
func (l *Loader) UnmarshalState(state []byte) error {
	rest, rng, err := stateHeader(state, loaderStateTag)
	if err != nil {
		return err
	}
	if len(rest) < 24 {
		return errors.New("data: loader state: truncated")
	}
	epoch := binary.LittleEndian.Uint64(rest)
	pos := binary.LittleEndian.Uint64(rest[8:])
	n := binary.LittleEndian.Uint64(rest[16:])
	rest = rest[24:]
	if n != uint64(len(l.perm)) {
		return fmt.Errorf("data: loader state is for a dataset of %d samples, this one has %d", n, len(l.perm))
	}
	if uint64(len(rest)) != 8*n {
		return errors.New("data: loader state: wrong length")
	}
	if pos > n || epoch > 1<<40 {
		return errors.New("data: loader state: position out of range")
	}
	perm := make([]int, n)
	seen := make([]bool, n)
	for i := range perm {
		p := binary.LittleEndian.Uint64(rest[8*i:])
		if p >= n || seen[p] {
			return errors.New("data: loader state: the saved order is not a permutation")
		}
		seen[p] = true
		perm[i] = int(p)
	}
	if err := l.pcg.UnmarshalBinary(rng); err != nil {
		return fmt.Errorf("data: loader state: %w", err)
	}
	l.epoch, l.pos, l.perm = int(epoch), int(pos), perm
	return nil
}

// MarshalState encodes the random generator's state.
func (l *SourceLoader) MarshalState() ([]byte, error) {
	rng, err := l.pcg.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("data: source loader state: %w", err)
	}
	return append(append([]byte(sourceLoaderStateTag), byte(len(rng))), rng...), nil
}

// UnmarshalState restores a state from MarshalState.
func (l *SourceLoader) UnmarshalState(state []byte) error {
	rest, rng, err := stateHeader(state, sourceLoaderStateTag)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return errors.New("data: source loader state: trailing bytes")
	}
	if err := l.pcg.UnmarshalBinary(rng); err != nil {
		return fmt.Errorf("data: source loader state: %w", err)
	}
	return nil
}

// stateHeader checks the tag and splits off the generator state.
func stateHeader(state []byte, tag string) (rest, rng []byte, err error) {
	if len(state) < len(tag)+1 || string(state[:len(tag)]) != tag {
		return nil, nil, fmt.Errorf("data: not a %s state", tag)
	}
	n := int(state[len(tag)])
	state = state[len(tag)+1:]
	if len(state) < n {
		return nil, nil, fmt.Errorf("data: %s state: truncated", tag)
	}
	return state[n:], state[:n], nil
}
