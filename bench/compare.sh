#!/usr/bin/env bash
# compare.sh: train gogan's reference GAN configurations with gogan
# (cmd/ganbench) and with PyTorch (bench/pytorch/bench.py), one run at a
# time, and print a Markdown table of the two side by side.
#
#   bench/compare.sh                      # mlp and dcgan at 1 and 2 threads
#   CONFIGS=mlp THREADS="1" bench/compare.sh
#   STEPS_MLP=300 STEPS_DCGAN=20 bench/compare.sh
#   OUT=/tmp/bench-raw bench/compare.sh   # keep the raw JSON lines there
#   GOGAN_BLAS=go bench/compare.sh        # gogan on gonum's pure-Go BLAS
#   REPEATS=1 bench/compare.sh            # one round instead of three
#
# Environment: CONFIGS (default "mlp dcgan"), THREADS (default "1 2"),
# REPEATS (rounds, default 3: every config and thread count is run once
# per round, gogan then PyTorch, so slow minutes of a busy machine fall
# on both sides; the table gives the median of the rounds and each
# round's ratio),
# BATCH (64), STEPS_MLP / STEPS_DCGAN and WARMUP_MLP / WARMUP_DCGAN (empty:
# the tools' defaults, 100/10 steps after 10/2 warm-up steps), PYTHON (the
# interpreter with torch, default /usr/bin/python3), OUT (directory for
# the raw results; default a temporary one), TAGS (build tags for
# ganbench, default none), GOGAN_BLAS (gogan's BLAS; unset: what the
# default build chooses, see ops.BLASEnv and README's Performance section;
# GOGAN_BLAS=gogan forces gogan's own SGEMM, as on a machine without a
# BLAS library; GOGAN_BLAS=go gonum's pure-Go BLAS; GOGAN_BLAS=openblas
# fails without it). The BLAS gogan used is read from ganbench's JSON
# (its blas field).
#
# Every run is its own process, so each peak RSS is that run's alone. Run
# it on an otherwise idle machine: the runs are timed by the wall clock.
# Needs bash, go and python3 (for JSON); jq is not used. Without PyTorch
# (Debian: apt-get install -y python3-torch) it still prints the gogan side.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

CONFIGS=${CONFIGS:-"mlp dcgan"}
THREADS=${THREADS:-"1 2"}
BATCH=${BATCH:-64}
REPEATS=${REPEATS:-3}
PYTHON=${PYTHON:-/usr/bin/python3}
OUT=${OUT:-$(mktemp -d /tmp/gogan-compare.XXXXXX)}
TAGS=${TAGS:-}
mkdir -p "$OUT"

# JSON reads use any python3; PyTorch runs use $PYTHON.
JSONPY=$(command -v python3 || true)
[ -n "$JSONPY" ] || JSONPY=$PYTHON
if ! command -v "$JSONPY" >/dev/null 2>&1; then
	echo "compare.sh: python3 is needed to read the JSON results" >&2
	exit 1
fi

bin="$OUT/ganbench"
echo "building cmd/ganbench..." >&2
go build -tags "$TAGS" -o "$bin" ./cmd/ganbench

have_torch=0
torch_version="not installed"
if "$PYTHON" -c 'import torch' >/dev/null 2>&1; then
	have_torch=1
	torch_version=$("$PYTHON" -c 'import torch; print(torch.__version__)')
else
	cat >&2 <<EOF
compare.sh: PyTorch not found for $PYTHON; printing the gogan side only.
  Install Debian's CPU build with:  apt-get update && apt-get install -y python3-torch
  (and, for an optimized BLAS behind torch's Linear layers: apt-get install -y libopenblas0-pthread)
EOF
fi

# field FILE KEY: the value of KEY in the one-line JSON object in FILE.
field() {
	"$JSONPY" -c '
import json, sys
v = json.load(open(sys.argv[1])).get(sys.argv[2])
print("" if v is None else v)' "$1" "$2"
}

steps_for() {
	case $1 in
	mlp) echo "${STEPS_MLP:-}" ;;
	dcgan) echo "${STEPS_DCGAN:-}" ;;
	esac
}
warmup_for() {
	case $1 in
	mlp) echo "${WARMUP_MLP:-}" ;;
	dcgan) echo "${WARMUP_DCGAN:-}" ;;
	esac
}

for r in $(seq 1 "$REPEATS"); do
	for c in $CONFIGS; do
		for t in $THREADS; do
			s=$(steps_for "$c")
			w=$(warmup_for "$c")
			goargs=(-configs "$c" -threads "$t" -batch "$BATCH" -json)
			pyargs=(--configs "$c" --threads "$t" --batch "$BATCH" --json)
			[ -z "$s" ] || { goargs+=(-steps "$s"); pyargs+=(--steps "$s"); }
			[ -z "$w" ] || { goargs+=(-warmup "$w"); pyargs+=(--warmup "$w"); }
			echo "round $r/$REPEATS: gogan   $c threads $t..." >&2
			"$bin" "${goargs[@]}" >"$OUT/gogan-$c-$t-$r.json" # the BLAS's threads follow -threads
			if [ $have_torch = 1 ]; then
				echo "round $r/$REPEATS: pytorch $c threads $t..." >&2
				"$PYTHON" bench/pytorch/bench.py "${pyargs[@]}" >"$OUT/pytorch-$c-$t-$r.json"
			fi
		done
	done
done

mb() { "$JSONPY" -c 'import sys; print(f"{int(sys.argv[1]) / 2**20:.0f} MiB")' "$1"; }

model=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
# ganbench's blas field without the thread count (the table has it).
gogan_blas=$(field "$(ls "$OUT"/gogan-*.json | head -1)" blas | sed -E 's/, [0-9]+ threads?//')
blas=""
if [ $have_torch = 1 ]; then
	f=$(ls "$OUT"/pytorch-*.json | head -1)
	blas="BLAS: $(field "$f" blas); OMP_WAIT_POLICY=$(field "$f" omp_wait_policy)"
fi
echo
echo "Machine: ${model:-unknown CPU}, nproc $(nproc); $(go version | cut -d' ' -f3-), gogan on $gogan_blas; PyTorch $torch_version${blas:+ ($blas)}; $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
# stats SIDE C T KEY: the median of KEY over the rounds' JSON files, and
# (with "all") every round's value.
median() {
	"$JSONPY" -c '
import json, statistics, sys
vals = [json.load(open(f)).get(sys.argv[1]) for f in sys.argv[2:]]
vals = [float(v) for v in vals if v is not None]
print(statistics.median(vals) if vals else "")' "$@"
}
ratios() {
	"$JSONPY" -c '
import json, sys
n = len(sys.argv) // 2
g, p = sys.argv[1:1 + n], sys.argv[1 + n:]
rate = lambda f: float(json.load(open(f))["steps_per_s"])
print(", ".join("%.2f" % (rate(a) / rate(b)) for a, b in zip(g, p)))' "$@"
}
rounds() { local side=$1 c=$2 t=$3; for r in $(seq 1 "$REPEATS"); do echo "$OUT/$side-$c-$t-$r.json"; done; }
fmt() { "$JSONPY" -c 'import sys; print(f"{float(sys.argv[1]):.{sys.argv[2]}f}")' "$1" "$2"; }

echo "| config | threads | gogan steps/s | PyTorch steps/s | ratio (gogan/PyTorch) | ratio per round | gogan allocs/step | gogan peak RSS | PyTorch peak RSS |"
echo "|---|---:|---:|---:|---:|---|---:|---:|---:|"
for c in $CONFIGS; do
	for t in $THREADS; do
		mapfile -t gf < <(rounds gogan "$c" "$t")
		gs=$(median steps_per_s "${gf[@]}")
		ga=$(median allocs_per_step "${gf[@]}")
		gr=$(median peak_rss_bytes "${gf[@]}")
		ps="n/a" ratio="n/a" pr="n/a" per="n/a"
		if [ $have_torch = 1 ]; then
			mapfile -t pf < <(rounds pytorch "$c" "$t")
			ps=$(median steps_per_s "${pf[@]}")
			pr=$(mb "$(fmt "$(median peak_rss_bytes "${pf[@]}")" 0)")
			ratio=$("$JSONPY" -c 'import sys; print(f"{float(sys.argv[1]) / float(sys.argv[2]):.3f}")' "$gs" "$ps")
			per=$(ratios "${gf[@]}" "${pf[@]}")
			ps=$(fmt "$ps" 2)
		fi
		echo "| $c | $t | $(fmt "$gs" 2) | $ps | $ratio | $per | $(fmt "$ga" 0) | $(mb "$(fmt "$gr" 0)") | $pr |"
	done
done
echo
echo "Batch $BATCH; medians of $REPEATS rounds; steps/s over the timed steps after warm-up; one step = one D update (real + fake batch) and one G update. Raw JSON: $OUT"
