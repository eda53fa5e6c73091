package tensorfile

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"testing"
)

// FuzzRead checks that Read never panics, and that whatever it accepts
// can be written back and read again, giving the same bytes when written
// a second time.
func FuzzRead(f *testing.F) {
	valid := [][]byte{
		small(f),
		encode(f, &File{}),
		encode(f, &File{Meta: json.RawMessage(`{"steps":3}`)}),
		encode(f, &File{Tensors: []Tensor{{Name: "s", Data: []float64{math.Copysign(0, -1)}}, {Name: "e", Shape: []int{0}, Data: []int64{}}}}),
		build(`{"tensors":[{"name":"f","dtype":"float32","shape":[1],"offset":1,"length":4}]}`, []byte{0, 0, 0, 0x80, 0x3f}),
	}
	for _, b := range valid {
		f.Add(b)
		f.Add(b[:len(b)-1])    // truncated
		f.Add(b[:len(b)/2])    // truncated in the middle
		f.Add(append(b, 1, 2)) // trailing bytes
		c := bytes.Clone(b)
		c[len(c)/2] ^= 0x40 // flipped byte
		f.Add(c)
	}
	s := small(f)
	bad := bytes.Clone(s)
	bad[0] = 'X'
	f.Add(bad)
	bad = bytes.Clone(s)
	binary.LittleEndian.PutUint32(bad[8:], 2)
	f.Add(bad)
	bad = bytes.Clone(s)
	binary.LittleEndian.PutUint64(bad[16:], 1<<40)
	f.Add(bad)
	f.Add(build(`{"tensors":[{"name":"a","dtype":"float64","shape":[1],"offset":0,"length":8},{"name":"b","dtype":"uint8","shape":[1],"offset":7,"length":1}]}`, make([]byte, 8)))
	f.Add(build(`{"tensors":[{"name":"a","dtype":"int8","shape":[1],"offset":0,"length":1}]}`, make([]byte, 1)))
	f.Add([]byte{})
	f.Add([]byte(magic))

	f.Fuzz(checkRoundTrip)
}

// FuzzReadHeader fuzzes the header and the data section under a correct
// checksum, which random mutations of whole files rarely get past.
func FuzzReadHeader(f *testing.F) {
	f.Add([]byte(`{"meta":{"a":[1,2]},"tensors":[{"name":"x","dtype":"float32","shape":[2],"offset":0,"length":8}]}`), make([]byte, 8))
	f.Add([]byte(`{"tensors":[{"name":"a","dtype":"float64","shape":[1],"offset":0,"length":8},{"name":"b","dtype":"uint8","shape":[1],"offset":7,"length":1}]}`), make([]byte, 8))
	f.Add([]byte(`{"tensors":[{"name":"e","dtype":"int64","shape":[0, 5],"offset":3,"length":0},{"name":"u","dtype":"uint8","shape":[],"offset":0,"length":1}]}`), []byte{1, 2, 3})
	f.Add([]byte(`{"meta":null,"tensors":null}`), []byte{})
	f.Fuzz(func(t *testing.T, hdr, data []byte) {
		checkRoundTrip(t, build(string(hdr), data))
	})
}

func checkRoundTrip(t *testing.T, b []byte) {
	got, err := Read(bytes.NewReader(b))
	if err != nil {
		if got != nil {
			t.Fatalf("Read returned a File and the error %v", err)
		}
		return
	}
	var w1 bytes.Buffer
	if err := Write(&w1, got); err != nil {
		t.Fatalf("cannot write back an accepted file: %v", err)
	}
	again, err := Read(bytes.NewReader(w1.Bytes()))
	if err != nil {
		t.Fatalf("cannot read back a written file: %v", err)
	}
	var w2 bytes.Buffer
	if err := Write(&w2, again); err != nil {
		t.Fatalf("cannot write the file a second time: %v", err)
	}
	if !bytes.Equal(w1.Bytes(), w2.Bytes()) {
		t.Fatalf("round trip changed the file")
	}
	if len(again.Tensors) != len(got.Tensors) || !bytes.Equal(again.Meta, got.Meta) {
		t.Fatalf("round trip changed the content")
	}
}
