#!/bin/sh
# run-fuzzers.sh - build the libFuzzer targets and run each for a while.
#
# Usage: fuzz/run-fuzzers.sh [SECONDS|ci] [TARGET...]
#
# "ci" is the reproducible run the test suite's CI does: -seed=1 and a fixed
# number of executions per target (about 45 s each on the reference
# machine), no time limit, so CI fuzzes exactly what a developer ran and a
# finding is a real, replayable bug rather than luck of the clock.
#
# Configures a clang build with -DKCS_FUZZ=ON in its own directory
# ($KCS_FUZZ_BUILD_DIR, default build-fuzz/ at the top of the tree), then
# runs every target (or those named) for SECONDS (default 60) with
# fuzz/kubernetes.dict, on a COPY of its corpus: the committed corpus never
# grows by itself. Any crash, leak, timeout or out-of-memory input is
# copied to fuzz/regressions/<target>/ for review (it then replays in the
# normal test suite) and the script exits 1. Exit 2: cannot build or run.
#
# Environment: KCS_FUZZ_BUILD_DIR (build directory), KCS_FUZZ_KEEP=1 (keep
# the work directory with the grown corpora and logs, and say where),
# KCS_FUZZ_ARGS (extra libFuzzer flags, e.g. "-jobs=2").
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
secs=${1:-60}
[ $# -gt 0 ] && shift
case $secs in
ci) ;;
''|*[!0-9]*) echo "run-fuzzers.sh: SECONDS must be a number or 'ci', not '$secs'" >&2
	exit 2 ;;
esac

# Executions per target for "ci" (measured speeds times about 45 s).
ci_runs() {
	case $1 in
	execcred) echo 5000000 ;;
	opts) echo 6000000 ;;
	status) echo 1800000 ;;
	nslist) echo 750000 ;;
	report_roundtrip) echo 600000 ;;
	podlist) echo 350000 ;;
	kubeconfig) echo 450000 ;;
	*) echo 300000 ;;
	esac
}

if ! command -v clang >/dev/null 2>&1; then
	echo "run-fuzzers.sh: clang not found; libFuzzer needs it:" \
	     "apt-get install -y clang" >&2
	exit 2
fi

if [ $# -gt 0 ]; then
	targets=$*
else
	targets=
	for f in "$here"/fuzz_*.c; do
		f=${f##*/fuzz_}
		targets="$targets ${f%.c}"
	done
fi

build=${KCS_FUZZ_BUILD_DIR:-$root/build-fuzz}
work=$(mktemp -d "${TMPDIR:-/tmp}/kcs-fuzz.XXXXXX")
[ "${KCS_FUZZ_KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
echo "run-fuzzers.sh: building in $build"
CC=clang cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DKCS_FUZZ=ON >"$work/configure.log" 2>&1 || {
	cat "$work/configure.log" >&2
	echo "run-fuzzers.sh: cannot configure the fuzz build" >&2
	exit 2
}
for t in $targets; do
	cmake --build "$build" -j"$(nproc)" --target "fuzz_$t" \
		>"$work/build.log" 2>&1 || {
		tail -30 "$work/build.log" >&2
		echo "run-fuzzers.sh: cannot build fuzz_$t" >&2
		exit 2
	}
done

# Sanitizers stop at the first error; leaks are errors.
export ASAN_OPTIONS="${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

found=0
printf '%-18s %6s %12s %8s %8s  %s\n' target seconds executions exec/s \
	"new" result
for t in $targets; do
	mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
	cp "$here/corpus/$t/"* "$work/$t/corpus/"
	log=$work/$t/fuzz.log
	rc=0
	# The first directory is the one libFuzzer adds new inputs to: the
	# copy. Regressions are read as seeds too, never written.
	# shellcheck disable=SC2086
	if [ "$secs" = ci ]; then
		bound="-seed=1 -runs=$(ci_runs "$t") -max_total_time=0"
	else
		bound="-max_total_time=$secs"
	fi
	# shellcheck disable=SC2086
	"$build/fuzz/fuzz_$t" "$work/$t/corpus" "$here/regressions/$t" \
		-dict="$here/kubernetes.dict" $bound \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/$t/artifacts/" ${KCS_FUZZ_ARGS:-} \
		</dev/null >"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	new=$(sed -n 's/^stat::new_units_added: *//p' "$log")
	result=ok
	for a in "$work/$t/artifacts/"*; do
		[ -e "$a" ] || continue
		mkdir -p "$here/regressions/$t"
		cp "$a" "$here/regressions/$t/"
		result="FOUND $(basename "$a")"
	done
	if [ "$rc" -ne 0 ] && [ "$result" = ok ]; then
		result="FAILED (exit $rc, no artifact)"
	fi
	printf '%-18s %6s %12s %8s %8s  %s\n' "$t" "$secs" "${execs:-?}" \
		"${speed:-?}" "${new:-?}" "$result"
	if [ "$result" != ok ]; then
		found=1
		echo "---- last lines of $log:" >&2
		grep -v '^#[0-9]' "$log" | tail -40 >&2
		echo "----" >&2
	fi
done

if [ "${KCS_FUZZ_KEEP:-0}" = 1 ]; then
	echo "run-fuzzers.sh: work directory kept: $work"
fi
if [ "$found" -ne 0 ]; then
	echo "run-fuzzers.sh: findings copied to $here/regressions/;" \
	     "replay one with: $build/fuzz/fuzz_TARGET FILE" >&2
	exit 1
fi
echo "run-fuzzers.sh: no crash, leak or timeout found"
