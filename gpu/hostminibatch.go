package gpu

import "math"

// The reference kernels of minibatch discrimination (KMBD and its
// gradients; catalog.go), written as kernels/kernels.cu computes them so
// that the emulated CUDA C agrees bit for bit: the float32 operations in
// the same order with every product rounded before it is added (explicit
// conversions), the sums over the batch in float64, and ggExp, a
// transcription of the kernels' gg_exp, for the exponential.

// ggExp is kernels.cu's gg_exp, e^x in float32: Cody-Waite reduction
// x = k·ln2 + r with ln2 split in two, e^r by its Taylor polynomial of
// degree 7, scaling by 2^k in two exact steps. Within 1.5 ulps of e^x
// (gpu/internal/emu's TestUnaryAccuracy).
func ggExp(x float32) float32 {
	const (
		ln2hi  = float32(6.9314575195e-01)
		ln2lo  = float32(1.4286067653e-06)
		invln2 = float32(1.4426950216e+00)
	)
	switch {
	case x != x:
		return x
	case x > 89:
		return float32(math.Inf(1))
	case x < -104:
		return 0
	}
	half := float32(0.5)
	if x < 0 {
		half = -0.5
	}
	k := int32(float32(x*invln2) + half)
	kf := float32(k)
	r := float32(x-float32(kf*ln2hi)) - float32(kf*ln2lo)
	p := float32(1.0 / 5040)
	p = float32(p*r) + float32(1.0/720)
	p = float32(p*r) + float32(1.0/120)
	p = float32(p*r) + float32(1.0/24)
	p = float32(p*r) + float32(1.0/6)
	p = float32(p*r) + 0.5
	p = float32(p*r) + 1
	p = float32(p*r) + 1
	k1 := k / 2
	k2 := k - k1
	return float32(p*ggPow2(k1)) * ggPow2(k2)
}

// ggPow2 is 2^k for −126 ≤ k ≤ 127.
func ggPow2(k int32) float32 { return math.Float32frombits(uint32(k+127) << 23) }

// ggSign is −1, 0 or 1; NaN gives 0.
func ggSign(x float32) float32 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// mbdArgs checks the sizes of a minibatch launch: I[0] = N·B (perRow =
// B) or N·B·C (perRow = B·C), N, B, C ≥ 1, and that the pointers have the
// elements of their shapes (the letters of shapes: 'o' the output of n
// elements, 'm' [N, B, C], 'g' [N, B]).
func (a *hostArgs) mbdArgs(withC bool, shapes string) (n, rows, kernels, dim int, err error) {
	v, err := a.ints(1, 1, 2, 3)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	rows, kernels, dim = v[0], v[1], v[2]
	n = int(a.p.I[0])
	want := rows * kernels
	if withC {
		want *= dim
	}
	if n != want {
		return 0, 0, 0, 0, a.errorf("I[0] = %d, want %d for N=%d B=%d C=%d", n, want, rows, kernels, dim)
	}
	for j, c := range []byte(shapes) {
		count := n
		switch c {
		case 'm':
			count = rows * kernels * dim
		case 'g':
			count = rows * kernels
		}
		if err := a.need(j, count); err != nil {
			return 0, 0, 0, 0, err
		}
	}
	return n, rows, kernels, dim, nil
}

// mbdDist is Σ_c |m[i, b, c] − m[j, b, c]| in float32, c ascending.
func mbdDist(m []float32, i, j, b, nb, nc int) float32 {
	x, y := m[(i*nb+b)*nc:(i*nb+b+1)*nc], m[(j*nb+b)*nc:(j*nb+b+1)*nc]
	var d float32
	for c, v := range x {
		d += float32(math.Abs(float64(v - y[c])))
	}
	return d
}

// mbdU is Σ_c sign(m[i, b, c] − m[j, b, c])·(h[i, b, c] − h[j, b, c]) in
// float32, c ascending.
func mbdU(m, h []float32, i, j, b, nb, nc int) float32 {
	xi, xj := (i*nb+b)*nc, (j*nb+b)*nc
	var u float32
	for c := range nc {
		u += float32(ggSign(m[xi+c]-m[xj+c]) * (h[xi+c] - h[xj+c]))
	}
	return u
}

func hkMBD(a *hostArgs) error {
	n, rows, nb, nc, err := a.mbdArgs(false, "om")
	if err != nil {
		return err
	}
	o, m := a.s[0][:n], a.s[1]
	for idx := range o {
		i, b := idx/nb, idx%nb
		var s float64
		for j := range rows {
			s += float64(ggExp(-mbdDist(m, i, j, b, nb, nc)))
		}
		o[idx] = float32(s)
	}
	return nil
}

func hkMBDGrad(a *hostArgs) error {
	n, rows, nb, nc, err := a.mbdArgs(true, "omg")
	if err != nil {
		return err
	}
	dm, m, g := a.s[0][:n], a.s[1], a.s[2]
	for idx := range dm {
		c, b, i := idx%nc, (idx/nc)%nb, idx/(nb*nc)
		mi, gi := m[idx], g[i*nb+b]
		var s float64
		for j := range rows {
			e := ggExp(-mbdDist(m, i, j, b, nb, nc))
			w := float32((gi + g[j*nb+b]) * e)
			s -= float64(w * ggSign(mi-m[(j*nb+b)*nc+c]))
		}
		dm[idx] = float32(s)
	}
	return nil
}

func hkMBDGradG(a *hostArgs) error {
	n, rows, nb, nc, err := a.mbdArgs(false, "omm")
	if err != nil {
		return err
	}
	dg, m, h := a.s[0][:n], a.s[1], a.s[2]
	for idx := range dg {
		i, b := idx/nb, idx%nb
		var s float64
		for j := range rows {
			e := ggExp(-mbdDist(m, i, j, b, nb, nc))
			s -= float64(e * mbdU(m, h, i, j, b, nb, nc))
		}
		dg[idx] = float32(s)
	}
	return nil
}

func hkMBDGradM(a *hostArgs) error {
	n, rows, nb, nc, err := a.mbdArgs(true, "omgm")
	if err != nil {
		return err
	}
	dm, m, g, h := a.s[0][:n], a.s[1], a.s[2], a.s[3]
	for idx := range dm {
		c, b, i := idx%nc, (idx/nc)%nb, idx/(nb*nc)
		mi, gi := m[idx], g[i*nb+b]
		var s float64
		for j := range rows {
			e := ggExp(-mbdDist(m, i, j, b, nb, nc))
			w := float32((gi + g[j*nb+b]) * e)
			w = float32(w * mbdU(m, h, i, j, b, nb, nc))
			s += float64(w * ggSign(mi-m[(j*nb+b)*nc+c]))
		}
		dm[idx] = float32(s)
	}
	return nil
}
