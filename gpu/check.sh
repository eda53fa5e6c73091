#!/usr/bin/env bash
# gpu/check.sh: the GPU check of gogan's cu backend, in two phases, for a
# GPU machine that has a driver, nvidia-smi and PyTorch but no Go.
#
#   gpu/check.sh build OUTDIR        phase 1, here: cross-build everything
#                                     (CGO_ENABLED=0, -tags cu), copy the
#                                     data and write OUTDIR/run.sh
#   OUTDIR/run.sh                     phase 2, on the GPU machine: one
#                                     command, at most TOTAL_S (435) seconds
#   gpu/check.sh rehearse [OUTDIR]    both phases here, the Host device
#                                     standing in for the GPU, tiny sizes
#                                     (default OUTDIR /tmp/gogan-gpucheck)
#   gpu/check.sh run OUTDIR           phase 2 by another name
#
# OUTDIR/run.sh is a copy of this file; it runs phase 2 when it is called
# run.sh. Put OUTDIR inside the repository under a name .gitignore ignores
# (run-gpucheck matches /run-*/), so that the device tool can carry it:
#
#   gpu/check.sh build run-gpucheck          # here, about 1.5 minutes, ~28 MiB
#   bash run-gpucheck/run.sh                 # there: run(command=..., carry=["run-gpucheck"], timeout_s=480)
#
# run.sh unpacks the binaries into $TMPDIR/gogan-gpucheck-work (not into
# OUTDIR, which so stays small enough to carry after a rehearsal) and runs
# the test binaries in their package's folder of the repository copy.
#
# Phase 2 runs, each step under `timeout`, a failure recorded and the next
# step run anyway, against an overall deadline (TOTAL_S seconds from the
# start; a step gets what is left, minus RESERVE_S for the report):
#
#   1. nvidia-smi -L, driver, CUDA version; torch's view of the GPU
#   2. ptxas -arch=sm_XX on the PTX of gpu/kernels (ptxas from PATH, CUDA
#      or Triton's copy), to catch what the driver's JIT would reject
#   3. the test binaries of ./cuda, ./gpu and ./gan with -test.v (./gan
#      filtered to GAN_TEST_RUN: the device agreement tests; the
#      fake-driver tests skipped, TEST_SKIP)
#   4. examples/mnist -model dcgan -device DEVICE for MNIST_STEPS steps,
#      exporting MNIST_EXPORT digits (on timeout it gets SIGTERM, saves and
#      exports what it has), then cmd/mnisteval on them
#   5. cmd/ganbench -device DEVICE, mlp and dcgan at each batch of BATCHES,
#      BENCH_SECONDS of timed steps each
#   6. bench.py --device PYDEVICE, the same four runs, then with --compile
#      while more than COMPILE_MIN_LEFT seconds remain
#   7. gogan on the CPU, pinned to two cores (CPU_CORES), the same four
#      runs: in the background from the start, while steps 3-6 run pinned
#      to the other cores (GPU_CORES) where the machine has at least 4
#   8. the report: every step's status, the agreement counts, the
#      mnisteval line and ONE Markdown table, printed last and written to
#      the results folder ($OUT when set, else OUTDIR/results)
#
# Every parameter is an environment variable with the GPU's default (see
# "phase 2 parameters" below); rehearse sets the Host device, tiny batches
# and step counts, PyTorch on the CPU, and stub nvidia-smi and ptxas
# (STUBS=0: none, to rehearse their absence), so that every line of run.sh
# runs here.
set -uo pipefail

# ---------------------------------------------------------------- phase 1

# tags_for DIR: the build tags for the package in DIR: TAGS (default cu;
# never cuda, Gorgonia's own engine).
tags_for() {
	echo "$TAGS"
}

# build_one NAME KIND PKG: builds a command (KIND cmd) or a test binary
# (KIND test) of PKG into $out/bin/NAME.xz and records the outcome in the
# manifest: built, no-tests or failed.
build_one() {
	local name=$1 kind=$2 pkg=$3 tags tmp rc
	tags=$(tags_for "${pkg#./}")
	tmp="$out/bin/$name"
	rm -f "$tmp" "$tmp.xz"
	echo "+ [$name] CGO_ENABLED=0 go $([ "$kind" = test ] && echo "test -c" || echo build) -tags $tags $pkg" >>"$out/build.log"
	if [ "$kind" = test ]; then
		CGO_ENABLED=0 go test -c -tags "$tags" "${goflags[@]}" -o "$tmp" "$pkg" >>"$out/build.log" 2>&1
	else
		CGO_ENABLED=0 go build -tags "$tags" "${goflags[@]}" -o "$tmp" "$pkg" >>"$out/build.log" 2>&1
	fi
	rc=$?
	if [ $rc != 0 ]; then
		printf '%s\tfailed\tgo exited %d with -tags %s (build.log)\n' "$name" $rc "$tags" >>"$out/manifest.tsv"
		echo "  $name: FAILED (see $out/build.log)" >&2
		failed=$((failed + 1))
	elif [ ! -f "$tmp" ]; then
		printf '%s\tno-tests\t%s has no test files\n' "$name" "$pkg" >>"$out/manifest.tsv"
		echo "  $name: no test files" >&2
	else
		local size
		size=$(stat -c %s "$tmp")
		xz -6 -T0 -f "$tmp"
		printf '%s\tbuilt\t-tags %s, %d bytes, %d compressed\n' "$name" "$tags" "$size" "$(stat -c %s "$tmp.xz")" >>"$out/manifest.tsv"
		echo "  $name: built (-tags $tags, $((size >> 20)) MiB, xz $(($(stat -c %s "$tmp.xz") >> 20)) MiB)" >&2
	fi
}

# cpu_reference: the 2-core figures of gogan on the CPU from this
# project's development machine. README's (OpenBLAS, quiet machine, batch
# 64) are fixed below; with MEASURE_HERE=1 ganbench on OpenBLAS is also
# measured here, at 2 threads, for every batch of BATCHES_HERE (default
# BATCHES, 64 256). MEASURE_HERE=auto (the default) measures only when
# OpenBLAS loads at run time (libopenblas0-pthread) and the machine is quiet (1-minute load average
# under 0.5), since a busy machine halves the figures.
cpu_reference() {
	local ref="$out/cpu-ref.tsv"
	printf 'config\tbatch\tsteps_per_s\tsource\n' >"$ref"
	# README.md "Performance", TAGS=openblas bench/compare.sh, 2026-11-23 09:29 UTC,
	# AMD EPYC (Zen 4) VM with 2 vCPUs, 2 threads, batch 64.
	printf 'mlp\t64\t107.59\tREADME: 2-core dev VM, OpenBLAS, 2 threads, 2026-11-23\n' >>"$ref"
	printf 'dcgan\t64\t7.13\tREADME: 2-core dev VM, OpenBLAS, 2 threads, 2026-11-23\n' >>"$ref"
	local measure=${MEASURE_HERE:-auto}
	local bin="$out/ganbench-openblas"
	local load1
	load1=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null)
	if [ "$measure" = auto ] && ! awk -v l="${load1:-9}" 'BEGIN { exit !(l < 0.5) }'; then
		echo "  not measuring gogan CPU here: load average ${load1:-unknown} (MEASURE_HERE=1 forces it); README's batch-64 figures only" >&2
		measure=0
	fi
	if [ "$measure" = auto ] || [ "$measure" = 1 ]; then
		if go build -o "$bin" ./cmd/ganbench >>"$out/build.log" 2>&1 && ldconfig -p 2>/dev/null | grep -q libopenblas.so.0; then
			measure=1
		else
			[ "$measure" = 1 ] && echo "  MEASURE_HERE=1 but OpenBLAS is not installed here (apt-get install libopenblas0-pthread)" >&2
			measure=0
		fi
	fi
	[ "$measure" = 1 ] || {
		rm -f "$bin"
		return 0
	}
	local c b w load json sps
	load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)
	echo "  measuring gogan CPU (OpenBLAS, 2 threads) here for batches ${BATCHES_HERE}; load average ${load:-?}" >&2
	for b in $BATCHES_HERE; do
		for c in mlp dcgan; do
			w=3
			[ "$c" = dcgan ] && w=1
			json=$(GOGAN_BLAS=openblas OPENBLAS_NUM_THREADS=2 timeout 120 "$bin" -configs "$c" -batch "$b" -threads 2 -steps 100000 -warmup "$w" \
				-max-seconds "${HERE_SECONDS:-6}" -json 2>>"$out/build.log") || continue
			sps=$(sed -n 's/.*"steps_per_s":\([0-9.e+-]*\).*/\1/p' <<<"$json")
			[ -n "$sps" ] && printf '%s\t%s\t%s\tbuild machine (%s, nproc %s), OpenBLAS, 2 threads, %s, load %s\n' "$c" "$b" "$sps" \
				"$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)" "$(nproc)" "$(date -u '+%Y-%m-%d %H:%M UTC')" "$load" >>"$ref"
		done
	done
	rm -f "$bin"
}

build() {
	out=$1
	[ -n "$out" ] || {
		echo "usage: gpu/check.sh build OUTDIR" >&2
		return 2
	}
	local root
	root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
	mkdir -p "$out" || return 1
	out=$(cd "$out" && pwd)
	cd "$root" || return 1
	command -v xz >/dev/null || {
		echo "check.sh: xz is needed to compress the binaries" >&2
		return 1
	}
	TAGS=${TAGS:-cu}
	BATCHES_HERE=${BATCHES_HERE:-${BATCHES:-64 256}}
	goflags=(-trimpath "-ldflags=-s -w")
	failed=0
	rm -rf "${out:?}/bin" "$out/ptx" "$out/data" "$out/manifest.tsv" "$out/build.log" "$out/results" "$out/work" "$out/stubs"
	mkdir -p "$out/bin" "$out/ptx" "$out/data"
	: >"$out/build.log"
	echo "building into $out (CGO_ENABLED=0, -tags $TAGS; stripped, xz-compressed)..." >&2
	build_one cuda.test test ./cuda
	build_one gpu.test test ./gpu
	build_one gan.test test ./gan
	build_one ganbench cmd ./cmd/ganbench
	build_one mnist cmd ./examples/mnist
	build_one mnisteval cmd ./cmd/mnisteval
	local f n=0
	for f in gpu/kernels/*.ptx; do
		[ -f "$f" ] || continue
		cp "$f" "$out/ptx/"
		n=$((n + 1))
	done
	echo "  PTX files: $n" >&2
	cp bench/pytorch/bench.py "$out/bench.py"
	local data=${DATA_SRC:-../shared/data/mnist10k}
	if [ -d "$data" ]; then
		cp -r "$data" "$out/data/mnist10k"
		chmod -R u+w "$out/data"
	else
		echo "  no MNIST data at $data: the mnist steps will fail" >&2
		failed=$((failed + 1))
	fi
	cp "$(readlink -f "${BASH_SOURCE[0]}")" "$out/run.sh"
	chmod +x "$out/run.sh"
	cpu_reference
	{
		echo "built: $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(uname -n) ($(nproc) CPUs)"
		echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown) (plus uncommitted changes of the working tree)"
		echo "go: $(go version | cut -d' ' -f3-)"
		echo "tags: $TAGS; CGO_ENABLED=0; -trimpath -ldflags='-s -w'"
		echo "repo: $root"
	} >"$out/build-info.txt"
	echo "$root" >"$out/repo-path"
	local kib
	kib=$(du -sk "$out" | cut -f1)
	echo "size of $out: $((kib >> 10)) MiB (the device tool carries at most 64 MiB)" >&2
	if [ "$kib" -gt $((60 << 10)) ]; then
		echo "check.sh build: $out is too large to carry" >&2
		failed=$((failed + 1))
	fi
	column -t -s $'\t' "$out/manifest.tsv" >&2 2>/dev/null || cat "$out/manifest.tsv" >&2
	if [ $failed != 0 ]; then
		echo "check.sh build: $failed artefact(s) missing; run.sh records them as NOT BUILT" >&2
		return 1
	fi
	return 0
}

# ---------------------------------------------------------------- phase 2

# say: print a line and append it to the run log.
say() { printf '%s\n' "$*" | tee -a "${SAY_LOG:-$R/run.log}"; }

left() { echo $((TOTAL_S - ($(date +%s) - T0))); }

# record NAME STATUS SECONDS NOTE: one line of steps.tsv and of the output.
record() {
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$R/steps.tsv"
	say "$(printf '[%4ss] %-34s %-10s %6ss  %s' "$(($(date +%s) - T0))" "$1" "$2" "$3" "$4")"
}

# run_step NAME TIMEOUT CMD...: runs CMD under timeout (at most TIMEOUT
# seconds, less if the deadline is nearer), stdout to log/NAME.out and
# stderr to log/NAME.err, and records its status: ok, FAIL(rc), TIMEOUT,
# or SKIP when no time is left. Returns CMD's status (99 for SKIP).
#
# CMD runs in a session of its own (setsid), and whatever of that session
# outlives CMD is killed: a test that re-executes itself (the fake-driver
# tests do) leaves a child behind when timeout ends the parent, and that
# child would spin on the CPU, or hold the GPU, through the later steps.
run_step() {
	local name=$1 want=$2 t rc start dt status pid left_over note
	shift 2
	t=$(($(left) - RESERVE_S))
	[ "$want" -lt "$t" ] && t=$want
	if [ "$t" -lt "$MIN_STEP_S" ]; then
		record "$name" SKIP 0 "no time left before the deadline"
		return 99
	fi
	start=$(date +%s%N)
	if [ "$HAVE_SETSID" = 1 ]; then
		setsid -w timeout -k "$KILL_S" "$t" "$@" >"$R/log/$name.out" 2>"$R/log/$name.err" &
		pid=$!
		wait "$pid" 2>/dev/null # no "Killed" line from bash
		rc=$?
		left_over=$(pgrep -s "$pid" 2>/dev/null | wc -l)
		[ "$left_over" -gt 0 ] && pkill -KILL -s "$pid" 2>/dev/null
	else
		timeout -k "$KILL_S" "$t" "$@" >"$R/log/$name.out" 2>"$R/log/$name.err"
		rc=$?
		left_over=0
	fi
	dt=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
	case $rc in
	0) status=ok ;;
	124) status=TIMEOUT ;;
	137) status=KILLED ;;
	*) status="FAIL($rc)" ;;
	esac
	note="limit ${t}s"
	[ "$left_over" -gt 0 ] && note="$note; killed $left_over leftover process(es) of the step"
	record "$name" "$status" "$dt" "$note"
	return $rc
}

# skip NAME NOTE: records a step that cannot run.
skip() { record "$1" SKIP 0 "$2"; }

# unpack: decompresses OUTDIR/bin/*.xz into BIN (xz, else Python's lzma).
unpack() {
	local f dst
	for f in "$OUTDIR"/bin/*.xz; do
		[ -f "$f" ] || continue
		dst="$BIN/$(basename "$f" .xz)"
		if command -v xz >/dev/null; then
			xz -dc "$f" >"$dst" || return 1
		else
			"$JSONPY" -c 'import lzma, shutil, sys
with lzma.open(sys.argv[1]) as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)' "$f" "$dst" || return 1
		fi
		chmod +x "$dst"
	done
}

# built NAME: whether bin/NAME exists; else records the step as NOT BUILT.
built() {
	local name=$1 step=$2
	[ -x "$BIN/$name" ] && return 0
	local why
	why=$(awk -F'\t' -v n="$name" '$1 == n { print $2 ": " $3 }' "$OUTDIR/manifest.tsv" 2>/dev/null)
	record "$step" "NOT-BUILT" 0 "${why:-$name missing}"
	return 1
}

# pkgdir PKG: the package's folder in the repository copy, where go test
# would run its binary (testdata), else the work folder.
pkgdir() {
	if [ -n "$ROOT" ] && [ -d "$ROOT/$1" ]; then echo "$ROOT/$1"; else echo "$WORK"; fi
}

# find_ptxas: ptxas from PTXAS, PATH, the CUDA toolkit or Triton's copy.
find_ptxas() {
	local p
	for p in "${PTXAS:-}" "$(command -v ptxas 2>/dev/null)" /usr/local/cuda/bin/ptxas; do
		[ -n "$p" ] && [ -x "$p" ] && {
			echo "$p"
			return 0
		}
	done
	[ "$HAVE_TORCH" = 1 ] || return 1
	p=$("$PYTHON" -c 'import os, triton; print(os.path.join(os.path.dirname(triton.__file__), "backends", "nvidia", "bin", "ptxas"))' 2>/dev/null)
	[ -n "$p" ] && [ -x "$p" ] && {
		echo "$p"
		return 0
	}
	return 1
}

warmup_of() { if [ "$1" = mlp ]; then echo "$2"; else echo "$3"; fi; }

# cpu_peer: gogan on the CPU, pinned to CPU_CORES, every config and batch.
cpu_peer() {
	local b c
	SAY_LOG=/dev/null # a background job: its lines go to cpu-peer.progress, shown at the end
	for b in $BATCHES; do
		for c in $CONFIGS; do
			run_step "ganbench-cpu-$c-$b" "$CPU_TIMEOUT" "${CPU_PIN[@]}" "$BIN/ganbench" -device cpu -threads "$CPU_THREADS" \
				-configs "$c" -batch "$b" -steps "$MAX_STEPS" -warmup "$(warmup_of "$c" "$CPU_WARMUP_MLP" "$CPU_WARMUP_DCGAN")" \
				-max-seconds "$CPU_SECONDS" -json
		done
	done
}

# test_summary NAME: PASS/FAIL/SKIP counts of a -test.v log (tests and
# subtests), the failing tests' names and the skipped tests' reasons.
test_summary() {
	local log="$R/log/$1.out" p f s st
	[ -f "$log" ] || {
		echo "$1: not run"
		return
	}
	p=$(grep -cE '^ *--- PASS' "$log")
	f=$(grep -cE '^ *--- FAIL' "$log")
	s=$(grep -cE '^ *--- SKIP' "$log")
	st=$(awk -F'\t' -v n="$1" '$1 == n { s = $2 } END { print s }' "$R/steps.tsv")
	echo "$1: $p PASS, $f FAIL, $s SKIP (tests and subtests; step $st)"
	# A test's log lines come before its --- line: keep those since the
	# last === or --- line, and show the last one (the reason) with it.
	awk '
		/^ *=== / { n = 0; next }
		/^ *--- (FAIL|SKIP)/ {
			sub(/^ */, ""); name = $3; why = (n > 0) ? buf[n] : ""
			for (i = n; i > 0; i--) if (buf[i] ~ /Error:|\.go:[0-9]+:/) { why = buf[i]; break }
			gsub(/^[ \t]+/, "", why)
			line = "    " $2 " " name " " why
			if ($2 == "FAIL:" && nf++ < 12) print substr(line, 1, 170)
			if ($2 == "SKIP:" && ns++ < 8) print substr(line, 1, 170)
			n = 0; next
		}
		/^ *--- / { n = 0; next }
		NF > 0 { buf[++n] = $0 }
	' "$log"
	if grep -qE '^panic:|^fatal error:' "$log" "$R/log/$1.err" 2>/dev/null; then
		echo "    panicked: $(grep -hE -m1 '^panic:|^fatal error:' "$log" "$R/log/$1.err" | cut -c1-200)"
	fi
}

run_phase2() {
	OUTDIR=$(cd "$1" && pwd) || return 1
	# phase 2 parameters (environment), with the GPU's defaults
	DEVICE=${DEVICE:-cuda}                 # gogan's device: cuda, cuda:N; host in the rehearsal
	PYDEVICE=${PYDEVICE:-cuda}             # PyTorch's device: cuda; cpu in the rehearsal
	DEVTAG=${DEVICE//:/_}                  # the devices in file names
	PYTAG=${PYDEVICE//:/_}
	PYTHON=${PYTHON:-python3}              # the interpreter with torch
	TOTAL_S=${TOTAL_S:-435}                # overall deadline, seconds from the start
	RESERVE_S=${RESERVE_S:-15}             # kept back from every step for the report
	MIN_STEP_S=${MIN_STEP_S:-10}           # a step with less time than this is skipped
	KILL_S=${KILL_S:-10}                   # SIGKILL this long after timeout's SIGTERM
	TEST_TIMEOUT=${TEST_TIMEOUT:-90}       # per test binary
	GAN_TEST_RUN=${GAN_TEST_RUN:-'Device|Agree|GPU|Gpu|CUDA|Cuda'} # go test splits -run at | : no (?i)
	TEST_SKIP=${TEST_SKIP-Fake}            # -test.skip of every test binary: the fake-driver tests, CI's business ("" runs them)
	TEST_ARGS=${TEST_ARGS:-}               # extra arguments of every test binary
	MNIST_MODEL=${MNIST_MODEL:-dcgan}
	MNIST_STEPS=${MNIST_STEPS:-2000}
	MNIST_EXPORT=${MNIST_EXPORT:-2000}
	MNIST_BATCH=${MNIST_BATCH:-64}
	MNIST_TIMEOUT=${MNIST_TIMEOUT:-150}    # then SIGTERM: it saves and exports what it has
	EVAL_TIMEOUT=${EVAL_TIMEOUT:-60}
	CONFIGS=${CONFIGS:-"mlp dcgan"}
	BATCHES=${BATCHES:-"64 256"}
	MAX_STEPS=${MAX_STEPS:-100000}         # upper bound of timed steps; -max-seconds ends them
	BENCH_SECONDS=${BENCH_SECONDS:-6}      # timed seconds per GPU benchmark run
	BENCH_TIMEOUT=${BENCH_TIMEOUT:-60}
	WARMUP_MLP=${WARMUP_MLP:-20}
	WARMUP_DCGAN=${WARMUP_DCGAN:-10}
	COMPILE=${COMPILE:-auto}               # auto: --compile runs while COMPILE_MIN_LEFT seconds remain; 0: never
	COMPILE_MIN_LEFT=${COMPILE_MIN_LEFT:-120}
	COMPILE_TIMEOUT=${COMPILE_TIMEOUT:-150}
	CPU_THREADS=${CPU_THREADS:-2}
	CPU_SECONDS=${CPU_SECONDS:-15}         # timed seconds per CPU run (in the background)
	CPU_TIMEOUT=${CPU_TIMEOUT:-90}
	CPU_WARMUP_MLP=${CPU_WARMUP_MLP:-3}
	CPU_WARMUP_DCGAN=${CPU_WARMUP_DCGAN:-1}

	T0=$(date +%s)
	R=${OUT:-$OUTDIR/results}
	mkdir -p "$R" || return 1
	R=$(cd "$R" && pwd)
	rm -rf "$R/log" "$R/steps.tsv" "$R/run.log" "$R/report.md" "$R/mnist"
	mkdir -p "$R/log" "$R/mnist"
	: >"$R/steps.tsv"
	# Unpacked binaries and the MNIST run go outside OUTDIR, so that OUTDIR
	# stays small enough to carry after a rehearsal.
	WORK=${GPUCHECK_WORK:-${TMPDIR:-/tmp}/gogan-gpucheck-work}
	rm -rf "${WORK:?}"
	mkdir -p "$WORK/bin" || return 1
	BIN="$WORK/bin"
	JSONPY=$(command -v python3 || command -v "$PYTHON" || true)
	HAVE_SETSID=0
	command -v setsid >/dev/null && command -v pgrep >/dev/null && command -v pkill >/dev/null && HAVE_SETSID=1
	ROOT=""
	local d
	for d in "$OUTDIR/.." "$OUTDIR/../.." "$(cat "$OUTDIR/repo-path" 2>/dev/null)"; do
		if [ -n "$d" ] && grep -qs '^module github.com/gogan/gogan$' "$d/go.mod"; then
			ROOT=$(cd "$d" && pwd)
			break
		fi
	done
	local ncpu
	ncpu=$(nproc)
	CPU_PIN=() GPU_PIN=()
	# The CPUs this process may use (a container's cpuset need not start
	# at 0): the first two for the CPU peer, the others for the rest.
	local allowed=() part i
	for part in $(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status 2>/dev/null | tr ',' ' '); do
		if [[ $part =~ ^([0-9]+)-([0-9]+)$ ]]; then
			for ((i = BASH_REMATCH[1]; i <= BASH_REMATCH[2]; i++)); do allowed+=("$i"); done
		elif [[ $part =~ ^[0-9]+$ ]]; then
			allowed+=("$part")
		fi
	done
	if [ "${#allowed[@]}" -ge 4 ]; then
		: "${CPU_CORES:=${allowed[0]},${allowed[1]}}"
		: "${GPU_CORES:=$(IFS=,; echo "${allowed[*]:2}")}"
	elif [ "${#allowed[@]}" -ge 2 ]; then
		: "${CPU_CORES:=${allowed[0]},${allowed[1]}}"
		: "${GPU_CORES:=$(IFS=,; echo "${allowed[*]}")}"
	fi
	if command -v taskset >/dev/null && [ -n "${CPU_CORES:-}" ] && [ -n "${GPU_CORES:-}" ] &&
		taskset -c "$CPU_CORES" true 2>/dev/null && taskset -c "$GPU_CORES" true 2>/dev/null; then
		CPU_PIN=(taskset -c "$CPU_CORES")
		GPU_PIN=(taskset -c "$GPU_CORES")
	else
		CPU_CORES="unpinned (no taskset or no usable cpu list)" GPU_CORES="unpinned"
	fi
	local gpu_threads
	gpu_threads=$("${GPU_PIN[@]}" nproc 2>/dev/null || echo "$ncpu")

	say "# gogan GPU check: device $DEVICE, PyTorch on $PYDEVICE, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), deadline ${TOTAL_S}s"
	say "host: $(uname -n), nproc $ncpu, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1); CPU peer on cores $CPU_CORES, GPU-side processes on $GPU_CORES"
	say "build: $(tr '\n' ';' <"$OUTDIR/build-info.txt" 2>/dev/null)"
	say "repository copy: ${ROOT:-none found (test binaries run in $WORK)}; results: $R; work: $WORK"
	say "parameters: DEVICE=$DEVICE PYDEVICE=$PYDEVICE PYTHON=$PYTHON TOTAL_S=$TOTAL_S CONFIGS='$CONFIGS' BATCHES='$BATCHES'" \
		"BENCH_SECONDS=$BENCH_SECONDS WARMUP_MLP=$WARMUP_MLP WARMUP_DCGAN=$WARMUP_DCGAN MNIST_STEPS=$MNIST_STEPS" \
		"MNIST_BATCH=$MNIST_BATCH MNIST_EXPORT=$MNIST_EXPORT MNIST_TIMEOUT=$MNIST_TIMEOUT TEST_TIMEOUT=$TEST_TIMEOUT" \
		"GAN_TEST_RUN='$GAN_TEST_RUN' TEST_SKIP='$TEST_SKIP' COMPILE=$COMPILE CPU_SECONDS=$CPU_SECONDS"
	[ -n "$JSONPY" ] || say "WARNING: no python3: the report table needs it"
	unpack || say "WARNING: unpacking the binaries failed"

	# 1. the machine
	DRIVER=n/a GPU_NAME=n/a CUDA_VERSION=n/a PTX_ARCH=${PTX_ARCH:-}
	if command -v nvidia-smi >/dev/null; then
		run_step nvidia-smi 30 nvidia-smi -L
		say "$(cut -c1-200 "$R/log/nvidia-smi.out")"
		run_step nvidia-smi-query 30 nvidia-smi --query-gpu=index,name,driver_version,memory.total,memory.used,compute_cap --format=csv,noheader ||
			run_step nvidia-smi-query 30 nvidia-smi --query-gpu=index,name,driver_version,memory.total,memory.used --format=csv,noheader
		say "$(cut -c1-200 "$R/log/nvidia-smi-query.out")"
		DRIVER=$(awk -F', *' 'NR == 1 { print $3 }' "$R/log/nvidia-smi-query.out")
		GPU_NAME=$(awk -F', *' 'NR == 1 { print $2 }' "$R/log/nvidia-smi-query.out")
		local cc
		cc=$(awk -F', *' 'NR == 1 { print $6 }' "$R/log/nvidia-smi-query.out")
		[ -z "$PTX_ARCH" ] && [[ $cc =~ ^[0-9]+\.[0-9]+$ ]] && PTX_ARCH="sm_${cc/./}"
		nvidia-smi >"$R/log/nvidia-smi-full.out" 2>&1
		CUDA_VERSION=$(sed -n 's/.*CUDA Version: *\([0-9.]*\).*/\1/p' "$R/log/nvidia-smi-full.out" | head -1)
		: "${DRIVER:=n/a}" "${GPU_NAME:=n/a}" "${CUDA_VERSION:=n/a}"
	else
		skip nvidia-smi "nvidia-smi not found: driver n/a"
	fi
	PTX_ARCH=${PTX_ARCH:-sm_90}
	say "GPU: $GPU_NAME; driver $DRIVER; CUDA $CUDA_VERSION (driver API); PTX target $PTX_ARCH"
	HAVE_TORCH=0
	if "$PYTHON" -c 'import torch' >/dev/null 2>&1; then
		HAVE_TORCH=1
		run_step torch-info 60 "$PYTHON" -c '
import sys, torch
print("torch", torch.__version__, "CUDA", torch.version.cuda, "available", torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "", "python", sys.version.split()[0])'
		say "$(tail -1 "$R/log/torch-info.out" | cut -c1-200)"
	else
		skip torch-info "no torch for $PYTHON: the PyTorch runs are skipped"
	fi

	# 2. ptxas on the embedded PTX
	local ptxas f
	if ! compgen -G "$OUTDIR/ptx/*.ptx" >/dev/null; then
		skip ptxas "no PTX in gpu/kernels at build time"
	elif ! ptxas=$(find_ptxas); then
		skip ptxas "no ptxas (PATH, /usr/local/cuda, Triton)"
	else
		"$ptxas" --version >"$R/log/ptxas-version.out" 2>&1
		say "ptxas: $ptxas, $(grep -m1 -i 'release\|version' "$R/log/ptxas-version.out" | cut -c1-120)"
		for f in "$OUTDIR"/ptx/*.ptx; do
			run_step "ptxas-$(basename "$f" .ptx)" 60 "$ptxas" -arch="$PTX_ARCH" -o "$WORK/$(basename "$f" .ptx).cubin" "$f"
			if grep -qi 'unsupported .version\|ptx version' "$R/log/ptxas-$(basename "$f" .ptx).err"; then
				say "  note: this ptxas is older than the PTX's .version: that failure says nothing about the driver's JIT"
			fi
		done
	fi

	# 7 (in the background). gogan on two CPU cores
	local cpu_pid=""
	if [ -x "$BIN/ganbench" ]; then
		cpu_peer >"$R/log/cpu-peer.progress" 2>&1 &
		cpu_pid=$!
	else
		built ganbench ganbench-cpu || true
	fi

	# 3. the test binaries
	local tb pkg tt
	for tb in cuda gpu gan; do
		pkg=$tb
		if ! [ -x "$BIN/$tb.test" ]; then
			built "$tb.test" "$tb.test" || true
			continue
		fi
		tt=$(($(left) - RESERVE_S))
		[ "$TEST_TIMEOUT" -lt "$tt" ] && tt=$TEST_TIMEOUT
		local run=()
		[ "$tb" = gan ] && run=(-test.run "$GAN_TEST_RUN")
		[ -n "$TEST_SKIP" ] && run+=(-test.skip "$TEST_SKIP")
		# shellcheck disable=SC2086 # TEST_ARGS is a list of words
		(cd "$(pkgdir "$pkg")" && run_step "$tb.test" "$TEST_TIMEOUT" "${GPU_PIN[@]}" "$BIN/$tb.test" -test.v \
			-test.timeout "$((tt > 15 ? tt - 5 : 10))s" "${run[@]}" $TEST_ARGS)
	done

	# 4. MNIST DCGAN on the device, then mnisteval
	local data="$OUTDIR/data/mnist10k" run_dir="$WORK/run-$MNIST_MODEL" mstep="mnist-$MNIST_MODEL-$DEVTAG"
	if built mnist "$mstep"; then
		run_step "$mstep" "$MNIST_TIMEOUT" "${GPU_PIN[@]}" "$BIN/mnist" -model "$MNIST_MODEL" -device "$DEVICE" -data "$data" \
			-steps "$MNIST_STEPS" -batch "$MNIST_BATCH" -export "$MNIST_EXPORT" -out "$run_dir"
		cp "$run_dir/stats.csv" "$R/mnist/" 2>/dev/null
		f=$(find "$run_dir" -maxdepth 1 -name 'samples-*.png' 2>/dev/null | sort | tail -1)
		[ -n "$f" ] && cp "$f" "$R/mnist/"
	fi
	if built mnisteval mnisteval; then
		if [ -f "$run_dir/generated-images-idx3-ubyte" ]; then
			run_step mnisteval "$EVAL_TIMEOUT" "${GPU_PIN[@]}" "$BIN/mnisteval" -data "$data" "$run_dir/generated-images-idx3-ubyte"
		else
			skip mnisteval "no exported digits in $run_dir"
		fi
	fi

	# 5. ganbench on the device
	local b c
	for b in $BATCHES; do
		for c in $CONFIGS; do
			built ganbench "ganbench-$DEVTAG-$c-$b" || continue
			run_step "ganbench-$DEVTAG-$c-$b" "$BENCH_TIMEOUT" "${GPU_PIN[@]}" "$BIN/ganbench" -device "$DEVICE" -configs "$c" -batch "$b" \
				-steps "$MAX_STEPS" -warmup "$(warmup_of "$c" "$WARMUP_MLP" "$WARMUP_DCGAN")" -max-seconds "$BENCH_SECONDS" -json
		done
	done

	# 6. PyTorch on the device, eager, then compiled while time remains
	for b in $BATCHES; do
		for c in $CONFIGS; do
			if [ "$HAVE_TORCH" != 1 ]; then
				skip "pytorch-$PYTAG-$c-$b" "no torch"
				continue
			fi
			run_step "pytorch-$PYTAG-$c-$b" "$BENCH_TIMEOUT" "${GPU_PIN[@]}" "$PYTHON" "$OUTDIR/bench.py" --device "$PYDEVICE" \
				--threads "$gpu_threads" --configs "$c" --batch "$b" --steps "$MAX_STEPS" \
				--warmup "$(warmup_of "$c" "$WARMUP_MLP" "$WARMUP_DCGAN")" --max-seconds "$BENCH_SECONDS" --json
		done
	done
	for b in $BATCHES; do
		for c in $CONFIGS; do
			if [ "$HAVE_TORCH" != 1 ] || [ "$COMPILE" = 0 ]; then
				skip "pytorch-compile-$PYTAG-$c-$b" "$([ "$COMPILE" = 0 ] && echo "COMPILE=0" || echo "no torch")"
			elif [ "$COMPILE" = auto ] && [ "$(left)" -lt "$COMPILE_MIN_LEFT" ]; then
				skip "pytorch-compile-$PYTAG-$c-$b" "less than ${COMPILE_MIN_LEFT}s left"
			else
				run_step "pytorch-compile-$PYTAG-$c-$b" "$COMPILE_TIMEOUT" "${GPU_PIN[@]}" "$PYTHON" "$OUTDIR/bench.py" --compile \
					--device "$PYDEVICE" --threads "$gpu_threads" --configs "$c" --batch "$b" --steps "$MAX_STEPS" \
					--warmup "$(warmup_of "$c" "$WARMUP_MLP" "$WARMUP_DCGAN")" --max-seconds "$BENCH_SECONDS" --json
			fi
		done
	done

	# the CPU peer's results, then the GPU's memory at the end
	if [ -n "$cpu_pid" ]; then
		wait "$cpu_pid"
		say "CPU peer (ran in the background from the start, pinned to cores $CPU_CORES):"
		say "$(cat "$R/log/cpu-peer.progress")"
	fi
	if command -v nvidia-smi >/dev/null; then
		run_step nvidia-smi-end 30 nvidia-smi --query-gpu=memory.used,memory.total,utilization.gpu,temperature.gpu,power.draw --format=csv
		say "nvidia-smi at the end: $(tail -1 "$R/log/nvidia-smi-end.out" | cut -c1-200)"
	fi

	report
	return 0
}

# report: failure excerpts, agreement counts, the mnisteval line and the
# table, to the output and to $R/report.md.
report() {
	local name status
	{
		echo
		echo "## Step excerpts (failures)"
		while IFS=$'\t' read -r name status _ _; do
			case $status in ok | SKIP | NOT-BUILT) continue ;; esac
			echo "- $name ($status):"
			{
				tail -n 4 "$R/log/$name.err" 2>/dev/null
				tail -n 3 "$R/log/$name.out" 2>/dev/null
			} | cut -c1-240 | sed 's/^/    /'
		done <"$R/steps.tsv"
		echo
		echo "## Agreement tests"
		test_summary cuda.test
		test_summary gpu.test
		test_summary gan.test
		echo
		echo "## MNIST $MNIST_MODEL on $DEVICE"
		local mlog="$R/log/mnist-$MNIST_MODEL-$DEVTAG"
		local last
		last=$(tail -1 "$R/mnist/stats.csv" 2>/dev/null | cut -d, -f1)
		grep -m1 '^model:' "$mlog.out" 2>/dev/null | cut -c1-160
		grep -m1 '^trained ' "$mlog.out" 2>/dev/null
		echo "training: $(awk -F'\t' -v n="mnist-$MNIST_MODEL-$DEVTAG" '$1 == n { print $2 " after " $3 "s (wall, start and export included)" }' "$R/steps.tsv"); last step in stats.csv: ${last:-none}; $(grep -m1 'wrote .* generated digits' "$mlog.out" 2>/dev/null || echo "no digits exported")"
		if [ -s "$R/log/mnisteval.out" ]; then
			echo "mnisteval: $(grep -m1 'KL from uniform' "$R/log/mnisteval.out" | sed 's/^ *//')"
			echo "  classes 0-9: $(grep -m1 'classes 0-9' "$R/log/mnisteval.out" | sed 's/.*classes 0-9: *//')"
		else
			echo "mnisteval: no result"
		fi
		echo
		echo "Logs and JSON lines: $R/log; steps: $R/steps.tsv; this report: $R/report.md"
		echo
		table
	} >"$R/report.md"
	tee -a "$R/run.log" <"$R/report.md"
}

# table: the Markdown table of every benchmark run (python3 reads the JSON).
table() {
	[ -n "$JSONPY" ] || {
		echo "(no python3: no table; the JSON lines are in $R/log)"
		return
	}
	DEVICE=$DEVICE DEVTAG=$DEVTAG PYTAG=$PYTAG PYDEVICE=$PYDEVICE DRIVER=$DRIVER GPU_NAME=$GPU_NAME CUDA_VERSION=$CUDA_VERSION CONFIGS=$CONFIGS \
		BATCHES=$BATCHES CPU_CORES=$CPU_CORES R=$R REF="$OUTDIR/cpu-ref.tsv" "$JSONPY" - <<'PY'
import json, os

env = os.environ
R, dev, pydev = env["R"], env["DEVICE"], env["PYDEVICE"]
configs, batches = env["CONFIGS"].split(), env["BATCHES"].split()
status = {}
with open(os.path.join(R, "steps.tsv")) as f:
    for line in f:
        p = line.rstrip("\n").split("\t")
        if len(p) >= 2:
            status[p[0]] = p[1]


def result(step):
    """The last JSON line of a step's output, or None."""
    try:
        with open(os.path.join(R, "log", step + ".out")) as f:
            lines = [l for l in f if l.startswith("{")]
        return json.loads(lines[-1]) if lines else None
    except (OSError, ValueError):
        return None


ref = {}
try:
    with open(env["REF"]) as f:
        next(f)
        for line in f:
            c, b, sps, src = line.rstrip("\n").split("\t", 3)
            # README's figures (quiet machine) win over those measured at build time.
            if (c, b) not in ref or src.startswith("README"):
                ref[(c, b)] = (float(sps), "R" if src.startswith("README") else "B", src)
except (OSError, ValueError, StopIteration):
    pass


def mib(n):
    return f"{n / 2**20:.0f} MiB" if n else None


def ratio(a, b):
    return f"{a / b:.2f}×" if a and b else "—"


rows = []
kinds = [("gogan", "ganbench-" + env["DEVTAG"]), ("PyTorch", "pytorch-" + env["PYTAG"]),
         ("PyTorch compiled", "pytorch-compile-" + env["PYTAG"]), ("gogan CPU 2 cores", "ganbench-cpu")]
res = {}
for b in batches:
    for c in configs:
        for kind, prefix in kinds:
            step = f"{prefix}-{c}-{b}"
            res[(kind, c, b)] = (result(step), status.get(step, "not run"))

print(f"## GPU check: gogan on {dev} against PyTorch on {pydev} and gogan on 2 CPU cores")
print()
print(f"GPU {env['GPU_NAME']}, driver {env['DRIVER']}, CUDA {env['CUDA_VERSION']}. "
      "steps/s over the timed steps after warm-up; one step = one D update (real + fake batch) + one G update, "
      "Adam, float32, random 28×28 data held on the device.")
print()
print("| device | driver | framework | model | batch | steps | steps/s | images/s | GPU memory | "
      "× gogan CPU (this machine, 2 cores) | × gogan CPU (dev 2-core OpenBLAS) | × PyTorch | × PyTorch compiled |")
print("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for b in batches:
    for c in configs:
        for kind, _ in kinds:
            r, st = res[(kind, c, b)]
            if r is None:
                if st in ("SKIP",) and kind == "PyTorch compiled":
                    continue
                print(f"| — | — | {kind} | {c} | {b} | — | {st} | — | — | — | — | — | — |")
                continue
            sps = r["steps_per_s"]
            on_gpu = pydev.startswith("cuda") if kind.startswith("PyTorch") else (kind == "gogan" and dev.startswith("cuda"))
            mem = mib(r.get("gpu_memory_bytes") or 0)
            if mem and r.get("gpu_memory_source") == "nvidia-smi device":
                mem += " (device)"
            if r.get("gpu_max_allocated_bytes"):
                mem = (mem or "—") + f"; peak alloc {mib(r['gpu_max_allocated_bytes'])}"
            if not mem:
                mem = "n/a" if on_gpu else "—"
            name = r.get("device_name") or r.get("device") or "cpu"
            if kind == "gogan CPU 2 cores":
                name = f"cpu, cores {env['CPU_CORES']}, pure-Go BLAS"
            drv = env["DRIVER"] if on_gpu else "—"
            cells = ["—"] * 4
            if kind == "gogan":
                cpu = res[("gogan CPU 2 cores", c, b)][0]
                cells[0] = ratio(sps, cpu and cpu["steps_per_s"])
                if (c, b) in ref:
                    cells[1] = ratio(sps, ref[(c, b)][0]) + f" ({ref[(c, b)][1]})"
                pt = res[("PyTorch", c, b)][0]
                cells[2] = ratio(sps, pt and pt["steps_per_s"])
                ptc = res[("PyTorch compiled", c, b)][0]
                cells[3] = ratio(sps, ptc and ptc["steps_per_s"])
            flag = "" if st == "ok" else f" ({st})"
            print(f"| {name} | {drv} | {kind} | {c} | {b} | {r['steps']} | {sps:.2f}{flag} | {r['images_per_s']:.0f} | {mem} | "
                  + " | ".join(cells) + " |")
print()
print("Ratios are gogan-on-the-device's steps/s divided by the other's (above 1: gogan faster). "
      "GPU memory: nvidia-smi at the end of the timed steps, the process's own (CUDA context included) unless marked "
      "(device) = the whole device's; PyTorch also gives its caching allocator's peak (torch.cuda.max_memory_allocated). "
      "PyTorch's defaults let cuDNN convolutions use TF32; gogan computes in float32.")
print(f"gogan CPU (this machine, 2 cores): ganbench -device cpu -threads 2 pinned to cores {env['CPU_CORES']}, "
      "built with CGO_ENABLED=0 (gonum's pure-Go BLAS, not OpenBLAS), measured in the background while the GPU steps ran "
      "on the other cores.")
for (c, b), (sps, tag, src) in sorted(ref.items()):
    print(f"dev 2-core OpenBLAS ({tag}) {c} batch {b}: {sps:.2f} steps/s, {src}")
PY
}

# ---------------------------------------------------------------- rehearsal

# stubs DIR: fake nvidia-smi and ptxas, so that the rehearsal runs the
# lines that read them.
stubs() {
	mkdir -p "$1"
	cat >"$1/nvidia-smi" <<'EOF'
#!/bin/sh
# rehearsal stub of nvidia-smi
case "$*" in
-L) echo "GPU 0: STUB rehearsal GPU (UUID: GPU-00000000-stub)" ;;
*--query-compute-apps*) ;;
*--query-gpu=index,name,driver_version*) echo "0, STUB rehearsal GPU, 000.00-stub, 0 MiB, 0 MiB, 9.0" ;;
*--query-gpu=memory.used,memory.total*)
	echo "memory.used [MiB], memory.total [MiB], utilization.gpu [%], temperature.gpu, power.draw [W]"
	echo "0 MiB, 0 MiB, 0 %, 0, 0.00 W"
	;;
*--query-gpu=memory.used*) echo "0" ;;
*) echo "| NVIDIA-SMI 000.00-stub   Driver Version: 000.00-stub   CUDA Version: 0.0-stub |" ;;
esac
EOF
	cat >"$1/ptxas" <<'EOF'
#!/bin/sh
# rehearsal stub of ptxas: checks only that the PTX file names a target
case "$1" in --version) echo "ptxas stub, release 0.0 (rehearsal)"; exit 0 ;; esac
for a; do f=$a; done
grep -q '^\.target' "$f" || { echo "ptxas stub: $f: no .target line" >&2; exit 1; }
echo "ptxas stub: $* (not compiled)"
EOF
	chmod +x "$1/nvidia-smi" "$1/ptxas"
}

rehearse() {
	local out=${1:-/tmp/gogan-gpucheck}
	local start
	start=$(date +%s)
	build "$out"
	local rc=$?
	echo "build: $(($(date +%s) - start)) s (exit status $rc)" >&2
	out=$(cd "$out" && pwd)
	local path=$PATH
	if [ "${STUBS:-1}" = 1 ]; then
		stubs "$out/stubs"
		path="$out/stubs:$PATH"
	fi
	local py=python3
	/usr/bin/python3 -c 'import torch' >/dev/null 2>&1 && py=/usr/bin/python3
	PATH=$path DEVICE=${DEVICE:-host} PYDEVICE=${PYDEVICE:-cpu} PYTHON=${PYTHON:-$py} \
		TOTAL_S=${TOTAL_S:-1200} TEST_TIMEOUT=${TEST_TIMEOUT:-300} \
		MNIST_STEPS=${MNIST_STEPS:-4} MNIST_BATCH=${MNIST_BATCH:-8} MNIST_EXPORT=${MNIST_EXPORT:-100} MNIST_TIMEOUT=${MNIST_TIMEOUT:-240} \
		BATCHES=${BATCHES:-"8 16"} BENCH_SECONDS=${BENCH_SECONDS:-2} WARMUP_MLP=${WARMUP_MLP:-2} WARMUP_DCGAN=${WARMUP_DCGAN:-1} \
		BENCH_TIMEOUT=${BENCH_TIMEOUT:-120} COMPILE=${COMPILE:-1} CPU_SECONDS=${CPU_SECONDS:-2} CPU_WARMUP_MLP=${CPU_WARMUP_MLP:-1} \
		"$out/run.sh"
	echo "rehearsal: $(($(date +%s) - start)) s in all" >&2
}

# ---------------------------------------------------------------- dispatch

if [ "$(basename "$0")" = run.sh ]; then
	run_phase2 "$(dirname "$(readlink -f "$0")")"
	exit $?
fi
case ${1:-} in
build)
	BATCHES_HERE=${BATCHES_HERE:-}
	build "${2:-}"
	;;
run) run_phase2 "${2:?usage: gpu/check.sh run OUTDIR}" ;;
rehearse)
	MEASURE_HERE=${MEASURE_HERE:-0}
	rehearse "${2:-}"
	;;
*)
	sed -n '2,/^set -uo/p' "$(readlink -f "$0")" | sed '$d; s/^# \{0,1\}//'
	exit 2
	;;
esac
