package gan

import "math"

// StatsFields is the schema of the statistics of Stats: one line per
// statistic, in the order they are shown and written. Every consumer
// iterates it: monitor's History, progress bar and plain line, report
// rows and curve plots, and training's stats.csv (its columns, writer and
// parser). A new statistic is a field of Stats plus one line here.
//
// Step and the update counters (DUpdates, GUpdates, DSkipped, GSkipped)
// are not statistics of the schema: the step is every record's key, and
// the counters are a step's bookkeeping.
var StatsFields = []StatField{
	{Name: "d_loss", Label: "D loss", Digits: 4, Plot: "losses", Field: func(s *Stats) *float64 { return &s.DLoss }},
	{Name: "g_loss", Label: "G loss", Digits: 4, Plot: "losses", Field: func(s *Stats) *float64 { return &s.GLoss }},
	{Name: "d_real", Label: "D(x)", Title: "D(x), real", Digits: 3, Plot: "discriminator", Equilibrium: &Equilibrium{Value: 0.5}, Field: func(s *Stats) *float64 { return &s.DReal }},
	{Name: "d_fake", Label: "D(G(z))", Title: "D(G(z)), generated", Digits: 3, Plot: "discriminator", Equilibrium: &Equilibrium{Value: 0.5}, Field: func(s *Stats) *float64 { return &s.DFake }},
	{Name: "v", Label: "V", Title: "V(D, G)", Digits: 4, Plot: "value", Equilibrium: &Equilibrium{Value: -math.Log(4), Text: "−log 4"}, Field: func(s *Stats) *float64 { return &s.V }},
	{Name: "diversity", Label: "diversity", Digits: 3, Plot: "diversity", Equilibrium: &Equilibrium{Value: 1}, Note: "→ 0 as G collapses", Field: func(s *Stats) *float64 { return &s.Diversity }},
	{Name: "d_grad_norm", Label: "‖∇D‖", Title: "D gradient norm", Digits: 4, Plot: "gradients", Field: func(s *Stats) *float64 { return &s.DGradNorm }},
	{Name: "g_grad_norm", Label: "‖∇G‖", Title: "G gradient norm", Digits: 4, Plot: "gradients", Field: func(s *Stats) *float64 { return &s.GGradNorm }},
}

// A StatField describes one statistic of Stats (see StatsFields).
type StatField struct {
	// Name is the statistic's column in stats.csv and its key in Stats'
	// JSON encoding, e.g. "d_loss".
	Name string
	// Label is its short label in progress lines, e.g. "D(x)"; Title its
	// longer one in the report and plot legends, e.g. "D(x), real" (""
	// means Label; see Heading).
	Label, Title string
	// Digits is the number of decimals of the plain progress line; the
	// progress bar shows one fewer.
	Digits int
	// Plot names the curve plot that draws the statistic, with the other
	// statistics of the same Plot, over the steps; "" draws it nowhere.
	Plot string
	// Equilibrium is the statistic's value at the equilibrium of the game,
	// drawn as a reference line and noted in the report; nil if it has
	// none.
	Equilibrium *Equilibrium
	// Note is a remark for the report (e.g. how to read the statistic).
	Note string
	// Field returns the statistic's field in s.
	Field func(s *Stats) *float64
}

// Equilibrium is the value of a statistic at the equilibrium of the game
// (p_g = p_data, D = 1/2 everywhere).
type Equilibrium struct {
	Value float64
	// Text writes the value exactly when its decimal form does not, e.g.
	// "−log 4"; "" if the number says it.
	Text string
}

// Heading returns Title, or Label if Title is empty.
func (f StatField) Heading() string {
	if f.Title != "" {
		return f.Title
	}
	return f.Label
}

// Get returns the statistic of s.
func (f StatField) Get(s Stats) float64 { return *f.Field(&s) }

// Set sets the statistic of s to v.
func (f StatField) Set(s *Stats, v float64) { *f.Field(s) = v }

// StatFieldNamed returns the field of StatsFields called name, and false
// if there is none.
func StatFieldNamed(name string) (StatField, bool) {
	for _, f := range StatsFields {
		if f.Name == name {
			return f, true
		}
	}
	return StatField{}, false
}
