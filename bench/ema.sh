#!/usr/bin/env bash
# ema.sh: the generator-EMA study of the README. For each of SEEDS it
# trains the reference MLP GAN of examples/mnist for STEPS steps with
# -ema BETA. The average never changes training, so one run gives both
# generators: model.gogan holds the average, checkpoint.gogan the live
# weights. cmd/sampleidx draws EXPORT digits from each (the same noise)
# and cmd/mnisteval scores them (Fréchet distance on the shipped
# classifier's features, class histogram). It prints a Markdown table: per
# generator the mean and sample standard deviation over the seeds of the
# Fréchet distance, of the class coverage (classes with at least COVER of
# the digits; 10 is every class) and of the KL divergence of the class
# histogram from the uniform one.
#
#   bench/ema.sh                                # 5 seeds x 5000 steps, -ema 0.999
#   SEEDS="1 2" STEPS=500 bench/ema.sh          # a quick look
#   OUT=/tmp/ema-runs JOBS=2 bench/ema.sh       # keep the runs; two at a time
#   EXTRA=-sn OUT=/tmp/sn-runs bench/ema.sh     # the same with D spectrally normalised
#
# Environment: SEEDS ("1 2 3 4 5"), STEPS (5000), BETA (0.999), EXPORT
# (10000), COVER (0.05, half the uniform share), DATA (the MNIST folder,
# default ../shared/data/mnist10k), OUT (run folders; default a temporary
# one; a seed whose folder holds a finished run is not trained again),
# JOBS (runs at once, default 1), NICE (default 19), EXTRA (more flags for
# examples/mnist, e.g. -sn; default none). Every run is seeded:
# the same seeds on the same machine give the same table.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
SEEDS=${SEEDS:-"1 2 3 4 5"}
STEPS=${STEPS:-5000}
BETA=${BETA:-0.999}
EXPORT=${EXPORT:-10000}
COVER=${COVER:-0.05}
DATA=${DATA:-../shared/data/mnist10k}
JOBS=${JOBS:-1}
NICE=${NICE:-19}
EXTRA=${EXTRA:-}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
go build -o "$OUT/mnist" ./examples/mnist
go build -o "$OUT/sampleidx" ./cmd/sampleidx
go build -o "$OUT/mnisteval" ./cmd/mnisteval

runone() { # seed
	local seed=$1
	local dir="$OUT/seed$seed"
	if [ ! -e "$dir/done" ]; then
		nice -n "$NICE" "$OUT/mnist" -data "$DATA" -model mlp -steps "$STEPS" -seed "$seed" -ema "$BETA" \
			-grid-every 0 -checkpoint-every 0 -log-every 1000 -out "$dir" -overwrite $EXTRA >"$dir.log" 2>&1
		touch "$dir/done"
	fi
	for g in ema:model.gogan live:checkpoint.gogan; do
		local name=${g%%:*} file=${g#*:}
		if [ ! -s "$dir/score-$name.txt" ]; then
			nice -n "$NICE" "$OUT/sampleidx" -model "$dir/$file" -n "$EXPORT" -seed 1 -out "$dir/$name-idx3-ubyte" >/dev/null
			nice -n "$NICE" "$OUT/mnisteval" -data "$DATA" "$dir/$name-idx3-ubyte" >"$dir/score-$name.txt"
		fi
	done
}

pids=()
for seed in $SEEDS; do
	runone "$seed" &
	pids+=($!)
	if [ "${#pids[@]}" -ge "$JOBS" ]; then
		wait "${pids[0]}"
		pids=("${pids[@]:1}")
	fi
done
for p in "${pids[@]}"; do wait "$p"; done

python3 - "$OUT" "$COVER" "$BETA" "$STEPS" "$EXTRA" $SEEDS <<'PY'
import re, statistics, sys
out, cover, beta, steps, extra, seeds = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6:]
def score(path):
    text = open(path).read()
    hist = [float(v) for v in re.search(r"classes 0-9:(.*)", text).group(1).split()]
    kl = float(re.search(r"KL from uniform ([0-9.]+)", text).group(1))
    fd = float(re.search(r"Frechet distance to held-out real digits ([0-9.]+)", text).group(1))
    return fd, sum(h >= cover for h in hist), kl
def ms(xs):
    sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
    return f"{statistics.mean(xs):.2f} ± {sd:.2f}"
print(f"reference mlp, {steps} steps, -ema {beta} {extra}, seeds {' '.join(seeds)}: mean ± sd over the seeds")
print()
print(f"| generator | Fréchet distance | classes ≥ {cover:g} | KL from uniform | per seed (FD) |")
print("|---|---|---|---|---|")
for cfg, label in (("live", "live weights"), ("ema", f"EMA β {beta}")):
    rows = [score(f"{out}/seed{s}/score-{cfg}.txt") for s in seeds]
    fds = [r[0] for r in rows]
    print(f"| {label} | {ms(fds)} | {ms([r[1] for r in rows])} | {ms([r[2] for r in rows])} | {' '.join(f'{v:.1f}' for v in fds)} |")
PY
