#!/usr/bin/env bash
# bench/run.sh - time `kubecapscan -f FILE -o json` against json_verify (yajl's
# parse-only speed, our floor) and a jq one-liner doing the same check, on the
# same generated `kubectl get pods -A -o json` files. See bench/README.md.
#
#   bench/run.sh            20k and 150k pods (the issue's targets)
#   bench/run.sh --quick    2k and 20k pods: a smoke run of a minute or so
#
# Environment: RUNS (timed runs per tool and file, default 3), JQ_RUNS (the
# same for jq, default RUNS), KCS (time this kubecapscan binary instead of
# building one), BUILD_DIR (default build-bench in the source tree), SEED
# (generator seed, default 1), NAMESPACES (namespaces in every file, default
# 200: the same in every size, since memory may grow with namespaces).
set -euo pipefail

usage() {
	sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
}

QUICK=0
for a in "$@"; do
	case $a in
	--quick) QUICK=1 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "run.sh: unknown argument '$a'" >&2; usage >&2; exit 2 ;;
	esac
done

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
OUT=$HERE/out
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
RUNS=${RUNS:-3}
JQ_RUNS=${JQ_RUNS:-$RUNS}
SEED=${SEED:-1}
NAMESPACES=${NAMESPACES:-200}
if [ "$QUICK" = 1 ]; then
	SMALL=2000 LARGE=20000
else
	SMALL=20000 LARGE=150000
fi
CHECK=20000 # size on which jq's and kubecapscan's verdicts must agree

# ---- prerequisites ---------------------------------------------------------

missing=()
command -v python3 >/dev/null || missing+=(python3)
command -v jq >/dev/null || missing+=(jq)
command -v json_verify >/dev/null || missing+=(yajl-tools)
/usr/bin/time -f %e true >/dev/null 2>&1 || missing+=(time)
if [ -z "${KCS:-}" ]; then
	command -v cmake >/dev/null || missing+=(cmake)
	command -v cc >/dev/null || missing+=(gcc)
fi
if [ ${#missing[@]} -gt 0 ]; then
	echo "run.sh: missing ${missing[*]}; install with:" >&2
	echo "  apt-get install -y ${missing[*]}" >&2
	exit 2
fi
HYPERFINE=$(command -v hyperfine || true)

# ---- kubecapscan, built in Release ----------------------------------------

mkdir -p "$OUT"
if [ -z "${KCS:-}" ]; then
	if ! grep -qs '^CMAKE_BUILD_TYPE:STRING=Release$' "$BUILD_DIR/CMakeCache.txt"; then
		echo "configuring $BUILD_DIR (Release)" >&2
		cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release \
			-DKCS_BUILD_TESTS=OFF >/dev/null
	fi
	# Incremental, so cheap when nothing changed.
	if ! cmake --build "$BUILD_DIR" --target kubecapscan -j"$(nproc)" >"$OUT/build.log" 2>&1; then
		tail -n 20 "$OUT/build.log" >&2
		echo "run.sh: building kubecapscan failed (log: $OUT/build.log);" \
			"set KCS=/path/to/kubecapscan to time another binary" >&2
		exit 2
	fi
	KCS=$BUILD_DIR/kubecapscan
fi
[ -x "$KCS" ] || { echo "run.sh: '$KCS' is not executable" >&2; exit 2; }

# ---- input files -----------------------------------------------------------

# gen FORMAT PODS: generate the file unless it is there and up to date;
# print its path.
gen() {
	local f="$OUT/pods-$2-ns$NAMESPACES-seed$SEED.$1.json"

	if [ ! -s "$f" ] || [ "$HERE/gen_pods.py" -nt "$f" ]; then
		python3 "$HERE/gen_pods.py" --pods "$2" --seed "$SEED" \
			--namespaces "$NAMESPACES" --format "$1" --output "$f.tmp" >&2
		mv "$f.tmp" "$f"
	fi
	printf '%s\n' "$f"
}

# The jq check, in netraw.jq: every container of initContainers, containers
# and ephemeralContainers; a Windows pod's are N/A; privileged FAILs; an add
# of NET_RAW, CAP_NET_RAW or ALL FAILs; a drop of ALL or NET_RAW PASSes
# (any case); anything else, a drop of CAP_NET_RAW included, FAILs. A pod
# FAILs if any container does (or it has none), is N/A if all are, else
# PASSes. It prints "namespace/name VERDICT" per pod.
JQ_FILTER=$(cat "$HERE/netraw.jq") # shared with live.sh

# jq holds the whole document, about 15x the file's size, in memory. Run it
# under `sh -c` (which execs it, so the rusage is jq's) as the OOM killer's
# first choice and with its address space capped near the free memory, so a
# big file fails jq rather than whatever else runs on the machine.
# shellcheck disable=SC2016 # expanded by that sh
JQ_SH='echo 1000 >/proc/self/oom_score_adj 2>/dev/null; ulimit -v "$1"; exec jq -r "$2" "$3"'
mem_avail_kib() { awk '/^MemAvailable:/ {print $2}' /proc/meminfo; }
jq_fits() { # FILE
	[ $(($(stat -c %s "$1") * 16 / 1024)) -lt $(($(mem_avail_kib) * 8 / 10)) ]
}

# ---- measuring -------------------------------------------------------------

TF=$(mktemp)
trap 'rm -f "$TF" "$TF.hf"' EXIT

# timed LABEL OK_STATUSES STDIN CMD...: print "wall cpu rss_kib": the best
# wall time of RUNS runs (hyperfine's minimum if it is installed), user+sys
# of the fastest run, and the largest peak RSS of any run.
timed() {
	local label=$1 ok=$2 in=$3 r best="" cpu="" rss=0 st e u s m j q=()
	shift 3
	for ((r = 1; r <= RUNS; r++)); do
		st=0
		/usr/bin/time -o "$TF" -f '%e %U %S %M' "$@" <"$in" >/dev/null || st=$?
		if [[ " $ok " != *" $st "* ]]; then
			echo "run.sh: $label exited with status $st" >&2
			return 1
		fi
		read -r e u s m < <(tail -n 1 "$TF")
		if [ -z "$best" ] || awk -v a="$e" -v b="$best" 'BEGIN {exit !(a < b)}'; then
			best=$e
			cpu=$(awk -v u="$u" -v s="$s" 'BEGIN {printf "%.2f", u + s}')
		fi
		if [ "$m" -gt "$rss" ]; then rss=$m; fi
	done
	if [ -n "$HYPERFINE" ]; then
		for j in "$@"; do q+=("$(printf '%q' "$j")"); done
		"$HYPERFINE" --shell bash --runs "$RUNS" --style none -i \
			--export-json "$TF.hf" \
			"${q[*]} < $(printf '%q' "$in") > /dev/null" >/dev/null
		best=$(jq -r '.results[0].min' "$TF.hf" | awk '{printf "%.2f", $1}')
	fi
	echo "$best $cpu $rss"
}

declare -A R # R[file:tool] = "wall cpu rss_kib"; "- - -" when not run
measure_file() { # FILE
	local f=$1
	echo "timing $(basename "$f") ($(($(stat -c %s "$f") >> 20)) MiB), best of $RUNS" >&2
	cat "$f" >/dev/null # the same warm page cache for every tool
	R[$f:kcs]=$(timed kubecapscan "0 1" /dev/null "$KCS" -f "$f" -o json)
	R[$f:jv]=$(timed json_verify 0 "$f" json_verify -q)
	R[$f:jq]="- - -"
	if ! jq_fits "$f"; then
		echo "  jq skipped: it would need about $(($(stat -c %s "$f") * 16 >> 30)) GiB" >&2
	elif ! R[$f:jq]=$(RUNS=$JQ_RUNS timed jq 0 /dev/null sh -c "$JQ_SH" sh \
		"$(($(mem_avail_kib) * 9 / 10))" "$JQ_FILTER" "$f"); then
		echo "  jq failed (out of memory?); left out" >&2
		R[$f:jq]="- - -"
	fi
}

f_small=$(gen compact "$SMALL")
f_large=$(gen compact "$LARGE")
f_kube=$(gen kubectl "$SMALL")
f_check=$(gen compact "$CHECK")
FILES=("$f_small" "$f_large" "$f_kube")

# ---- do jq and kubecapscan agree? --------------------------------------------

echo "checking verdicts on $(basename "$f_check")" >&2
st=0
"$KCS" -f "$f_check" -o json >"$OUT/check.kubecapscan.json" || st=$?
if [ "$st" -gt 1 ]; then
	echo "run.sh: kubecapscan exited with status $st on '$f_check'" >&2
	exit 1
fi
jq -r '.pods[] | "\(.namespace)/\(.name) \(.verdict)"' \
	"$OUT/check.kubecapscan.json" >"$OUT/check.kubecapscan.txt"
jq -r "$JQ_FILTER" "$f_check" >"$OUT/check.jq.txt"
KCS_FAIL=$(jq '.summary.pods.fail' "$OUT/check.kubecapscan.json")
KCS_PODS=$(jq '.summary.pods.total' "$OUT/check.kubecapscan.json")
KCS_SUMMARY=$(jq -c '.summary.pods' "$OUT/check.kubecapscan.json")
KCS_COMPLETE=$(jq -c '[.complete, (.errors | length)]' "$OUT/check.kubecapscan.json")
JQ_FAIL=$(grep -c ' FAIL$' "$OUT/check.jq.txt" || true)
JQ_PODS=$(wc -l <"$OUT/check.jq.txt")
N_DIFF=$(diff <(sort "$OUT/check.kubecapscan.txt") <(sort "$OUT/check.jq.txt") |
	grep -c '^[<>]' || true)
AGREE=yes
if [ "$KCS_FAIL" != "$JQ_FAIL" ] || [ "$KCS_PODS" != "$JQ_PODS" ] ||
	[ "$N_DIFF" != 0 ] || [ "$KCS_COMPLETE" != "[true,0]" ]; then
	AGREE=NO
fi

# ---- timing -------------------------------------------------------------------

for f in "${FILES[@]}"; do measure_file "$f"; done

# ---- report ----------------------------------------------------------------------

mib() { awk -v k="$1" 'BEGIN {if (k == "-") print "-"; else printf "%.1f", k / 1024}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b}'; }
pods_of() { basename "$1" | sed 's/^pods-\([0-9]*\)-.*/\1/'; }
fmt_of() { basename "$1" .json | sed 's/.*\.//'; }

echo
echo "kubecapscan $("$KCS" --version | awk '{print $2}'), $(nproc) CPUs," \
	"$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)," \
	"$(awk '/^MemTotal:/ {printf "%.1f GiB RAM", $2 / 1048576}' /proc/meminfo)," \
	"best of $RUNS (jq: $JQ_RUNS)${HYPERFINE:+ (hyperfine)}," \
	"$NAMESPACES namespaces in every file"
echo
echo "| pods | format | MiB | tool | wall s | user+sys s | peak RSS MiB |"
echo "|---:|---|---:|---|---:|---:|---:|"
for f in "${FILES[@]}"; do
	for t in kcs jv jq; do
		read -r w c m <<<"${R[$f:$t]}"
		case $t in kcs) n=kubecapscan ;; jv) n=json_verify ;; jq) n=jq ;; esac
		echo "| $(pods_of "$f") | $(fmt_of "$f") | $(($(stat -c %s "$f") >> 20)) | $n | $w | $c | $(mib "$m") |"
	done
done
echo
echo "| pods | format | kubecapscan / json_verify, wall (cpu) | jq / kubecapscan, wall (cpu) | jq / json_verify, wall (cpu) | kubecapscan peak RSS MiB |"
echo "|---:|---|---:|---:|---:|---:|"
for f in "${FILES[@]}"; do
	read -r kw kc km <<<"${R[$f:kcs]}"
	read -r vw vc _ <<<"${R[$f:jv]}"
	read -r qw qc _ <<<"${R[$f:jq]}"
	echo "| $(pods_of "$f") | $(fmt_of "$f") | $(ratio "$kw" "$vw") ($(ratio "$kc" "$vc")) | $(ratio "$qw" "$kw") ($(ratio "$qc" "$kc")) | $(ratio "$qw" "$vw") ($(ratio "$qc" "$vc")) | $(mib "$km") |"
done
read -r _ _ rs <<<"${R[$f_small:kcs]}"
read -r _ _ rl <<<"${R[$f_large:kcs]}"
echo
echo "kubecapscan peak RSS, $LARGE pods minus $SMALL pods (compact): $(awk -v a="$rl" -v b="$rs" 'BEGIN {printf "%+.2f MiB", (a - b) / 1024}')"
echo
echo "verdicts on $CHECK pods: kubecapscan $KCS_FAIL FAIL of $KCS_PODS pods $KCS_SUMMARY;" \
	"jq $JQ_FAIL FAIL of $JQ_PODS; pods whose verdicts differ: $N_DIFF;" \
	"report complete, errors: $KCS_COMPLETE; agree: $AGREE"

# ---- targets (issue 2) ----------------------------------------------------------

echo
miss=0
target() { # DESCRIPTION OK(1/0)
	if [ "$2" = 1 ]; then echo "  met   $1"; else echo "  MISSED $1"; miss=1; fi
}
for f in "${FILES[@]}"; do
	read -r kw _ km <<<"${R[$f:kcs]}"
	read -r vw _ _ <<<"${R[$f:jv]}"
	read -r qw _ _ <<<"${R[$f:jq]}"
	tag="$(pods_of "$f") $(fmt_of "$f")"
	target "$tag: kubecapscan <= 1.3x json_verify's time ($(ratio "$kw" "$vw")x)" \
		"$(awk -v a="$kw" -v b="$vw" 'BEGIN {print (a <= 1.3 * b) ? 1 : 0}')"
	if [ "$qw" != - ]; then
		target "$tag: kubecapscan >= 10x faster than jq ($(ratio "$qw" "$kw")x)" \
			"$(awk -v a="$qw" -v b="$kw" 'BEGIN {print (a >= 10 * b) ? 1 : 0}')"
	fi
	target "$tag: kubecapscan peak RSS <= 16 MiB ($(mib "$km") MiB)" \
		"$(awk -v m="$km" 'BEGIN {print (m <= 16 * 1024) ? 1 : 0}')"
done
target "peak RSS flat from $SMALL to $LARGE pods (within 1 MiB)" \
	"$(awk -v a="$rl" -v b="$rs" 'BEGIN {d = a - b; if (d < 0) d = -d; print (d <= 1024) ? 1 : 0}')"
target "jq and kubecapscan agree on every pod's verdict" \
	"$([ "$AGREE" = yes ] && echo 1 || echo 0)"
if [ "$miss" = 0 ]; then echo "all targets met"; else echo "some targets missed"; fi
if [ "$AGREE" != yes ]; then
	echo "run.sh: jq and kubecapscan disagree: see $OUT/check.*.txt" >&2
	exit 1
fi
exit 0
