package gan_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gogan/gogan/gan"
	"github.com/stretchr/testify/require"
)

// TestStatsFieldsCoverStats checks the schema against the struct: every
// float64 field of Stats has exactly one line, named by its JSON key.
func TestStatsFieldsCoverStats(t *testing.T) {
	var s gan.Stats
	v := reflect.ValueOf(&s).Elem()
	covered := map[string]bool{}
	names := map[string]bool{}
	for _, f := range gan.StatsFields {
		require.NotEmpty(t, f.Label, f.Name)
		require.Positive(t, f.Digits, f.Name)
		require.NotNil(t, f.Field, f.Name)
		require.False(t, names[f.Name], "%s appears twice", f.Name)
		names[f.Name] = true
		p := f.Field(&s)
		found := false
		for i := range v.NumField() {
			sf := v.Type().Field(i)
			if sf.Type.Kind() != reflect.Float64 || v.Field(i).Addr().Interface().(*float64) != p {
				continue
			}
			found = true
			require.False(t, covered[sf.Name], "two lines read %s", sf.Name)
			covered[sf.Name] = true
			tag, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			require.Equal(t, tag, f.Name, "the name of %s is its JSON key", sf.Name)
		}
		require.True(t, found, "%s reads no field of Stats", f.Name)
	}
	for i := range v.NumField() {
		if sf := v.Type().Field(i); sf.Type.Kind() == reflect.Float64 {
			require.True(t, covered[sf.Name], "Stats.%s has no line in StatsFields", sf.Name)
		}
	}
}

func TestStatFieldAccessors(t *testing.T) {
	var s gan.Stats
	for i, f := range gan.StatsFields {
		f.Set(&s, float64(i)+0.5)
	}
	for i, f := range gan.StatsFields {
		require.Equal(t, float64(i)+0.5, f.Get(s), f.Name)
		g, ok := gan.StatFieldNamed(f.Name)
		require.True(t, ok)
		require.Equal(t, f.Name, g.Name)
	}
	_, ok := gan.StatFieldNamed("nope")
	require.False(t, ok)
	v, _ := gan.StatFieldNamed("v")
	require.Equal(t, "V(D, G)", v.Heading())
	d, _ := gan.StatFieldNamed("d_loss")
	require.Equal(t, "D loss", d.Heading())
	require.InDelta(t, -1.3862943611198906, v.Equilibrium.Value, 1e-15)
}
