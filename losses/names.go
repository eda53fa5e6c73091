package losses

import (
	"fmt"
	"strings"
)

// Names returns the canonical names of the losses, in the order of the
// original papers' publication, as accepted by ByName and returned by
// Loss.Name.
func Names() []string {
	return []string{"minimax", "nonsaturating", "lsgan", "hinge", "wasserstein", "wgan-gp", "rsgan", "ragan"}
}

// ByName returns the loss called name, for command-line use. It accepts
// the canonical names of Names and the aliases "ns" (NonSaturating),
// "leastsquares" (LeastSquares) and "wgan" (Wasserstein), ignoring case,
// surrounding space and the separators '-' and '_' ("least_squares",
// "Non-Saturating"). Wasserstein comes with the paper's clipping bound, as
// from NewWasserstein. An unknown name gives an error listing the valid
// ones.
func ByName(name string) (Loss, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	key = strings.NewReplacer("-", "", "_", "").Replace(key)
	switch key {
	case "minimax":
		return Minimax{}, nil
	case "nonsaturating", "ns":
		return NonSaturating{}, nil
	case "lsgan", "leastsquares":
		return LeastSquares{}, nil
	case "hinge":
		return Hinge{}, nil
	case "wasserstein", "wgan":
		return NewWasserstein(), nil
	case "wgangp":
		return WGANGP{}, nil
	case "rsgan":
		return RSGAN{}, nil
	case "ragan":
		return RaGAN{}, nil
	}
	return nil, fmt.Errorf("losses: unknown loss %q (valid: %s; aliases: ns, leastsquares, wgan)",
		name, strings.Join(Names(), ", "))
}
