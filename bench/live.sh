#!/usr/bin/env bash
# bench/live.sh - time a live `kubecapscan -A` against the test API server
# (tests/apiserver/kubeapi.py, generated pods) next to kubectl + jq, a curl
# replay of the same pages (the wire floor) and json_verify on the same
# bytes (the parse floor). See bench/README.md.
#
#   bench/live.sh            20k and 150k pods (the issue's targets)
#   bench/live.sh --quick    2k and 5k pods: a smoke run of a minute or two
#
# Environment: RUNS (timed runs per tool and case, default 3), KCS (time
# this kubecapscan binary instead of building one), BUILD_DIR (default
# build-bench in the source tree), SEED (generator seed, default 1),
# NAMESPACES (default 200), MANY_NAMESPACES (a second pair of cases for the
# memory target, default 2000; 0 skips it), KUBECTL (kubectl binary; empty
# skips kubectl), KUBECTL_LARGE (1: kubectl + jq at the large size too),
# PROFILE (1: callgrind profile of the small run, the default; 0 skips it),
# OUT (where results go, default bench/out).
set -euo pipefail

usage() {
	sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
}

QUICK=0
for a in "$@"; do
	case $a in
	--quick) QUICK=1 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "live.sh: unknown argument '$a'" >&2; usage >&2; exit 2 ;;
	esac
done

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
OUT=${OUT:-$HERE/out}
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
RUNS=${RUNS:-3}
SEED=${SEED:-1}
NAMESPACES=${NAMESPACES:-200}
MANY_NAMESPACES=${MANY_NAMESPACES:-2000}
KUBECTL_LARGE=${KUBECTL_LARGE:-0}
PROFILE=${PROFILE:-1}
GIT_VERSION=${GIT_VERSION:-v1.32.4} # what the server reports to kubectl
SERVER_LIFETIME=${SERVER_LIFETIME:-7200}
if [ "$QUICK" = 1 ]; then
	SMALL=2000 LARGE=5000 RESULTS=$OUT/live-results-quick.md
else
	SMALL=20000 LARGE=150000 RESULTS=$OUT/live-results.md
fi
HELPER=$HERE/live_helper.py
KUBEAPI=$ROOT/tests/apiserver/kubeapi.py

die() { echo "live.sh: $*" >&2; exit 1; }

# ---- prerequisites ---------------------------------------------------------

missing=()
command -v python3 >/dev/null || missing+=(python3)
command -v jq >/dev/null || missing+=(jq)
command -v json_verify >/dev/null || missing+=(yajl-tools)
command -v curl >/dev/null || missing+=(curl)
command -v openssl >/dev/null || missing+=(openssl)
/usr/bin/time -f %e true >/dev/null 2>&1 || missing+=(time)
if [ "$PROFILE" = 1 ]; then
	command -v valgrind >/dev/null || missing+=(valgrind)
fi
if [ -z "${KCS:-}" ]; then
	command -v cmake >/dev/null || missing+=(cmake)
	command -v cc >/dev/null || missing+=(gcc)
fi
if [ ${#missing[@]} -gt 0 ]; then
	echo "live.sh: missing ${missing[*]}; install with:" >&2
	echo "  apt-get install -y ${missing[*]}" >&2
	echo "(or PROFILE=0 to skip the callgrind profile)" >&2
	exit 2
fi
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
	{ echo "live.sh: the test API server needs Python >= 3.11" >&2; exit 2; }

# kubectl is optional (it is not in Debian's archive). gcloud's kubectl is a
# dispatcher that GETs /version and then runs the bundled kubectl.1.NN
# nearest the server's version: run that one directly, so that neither the
# extra process nor the extra request is counted against kubectl.
KUBECTL_NOTE=
if [ -z "${KUBECTL+set}" ]; then
	KUBECTL=$(command -v kubectl || true)
	if [ -n "$KUBECTL" ]; then
		minor=${GIT_VERSION#v}
		minor=${minor%.*}
		real=$(dirname "$(readlink -f "$KUBECTL")")/kubectl.$minor
		if [ -x "$real" ]; then
			KUBECTL=$real
			KUBECTL_NOTE="gcloud's kubectl dispatcher bypassed: \`$real\` run directly (the dispatcher would add a process and a /version request)"
		fi
	fi
fi
if [ -n "$KUBECTL" ] && ! "$KUBECTL" version --client >/dev/null 2>&1; then
	echo "live.sh: '$KUBECTL' does not run; kubectl left out" >&2
	KUBECTL=
fi
[ -n "$KUBECTL" ] || KUBECTL_NOTE="not installed: kubectl + jq left out"

# ---- kubecapscan, built in Release ----------------------------------------

mkdir -p "$OUT"
if [ -z "${KCS:-}" ]; then
	if ! grep -qs '^CMAKE_BUILD_TYPE:STRING=Release$' "$BUILD_DIR/CMakeCache.txt"; then
		echo "configuring $BUILD_DIR (Release)" >&2
		cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release \
			-DKCS_BUILD_TESTS=OFF >/dev/null
	fi
	if ! cmake --build "$BUILD_DIR" --target kubecapscan -j"$(nproc)" >"$OUT/build.log" 2>&1; then
		tail -n 20 "$OUT/build.log" >&2
		echo "live.sh: building kubecapscan failed (log: $OUT/build.log);" \
			"set KCS=/path/to/kubecapscan to time another binary" >&2
		exit 2
	fi
	KCS=$BUILD_DIR/kubecapscan
fi
[ -x "$KCS" ] || { echo "live.sh: '$KCS' is not executable" >&2; exit 2; }

# ---- state, clean-up ---------------------------------------------------------

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kcs-live.XXXXXX")
RAW=$OUT/live-raw.jsonl
: >"$RAW"
TF=$WORK/time.txt
SRV_PID=
PAGES=

stop_server() {
	if [ -n "$SRV_PID" ]; then
		kill -TERM "$SRV_PID" 2>/dev/null || true
		wait "$SRV_PID" 2>/dev/null || true
		SRV_PID=
	fi
}
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	stop_server
	if [ -n "$PAGES" ] && [ "${KEEP_PAGES:-0}" != 1 ]; then rm -f "$PAGES"; fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# meta KEY VALUE: a fact for the report
meta() { jq -nc --arg k "$1" --arg v "$2" '{type: "meta", key: $k, value: $v}' >>"$RAW"; }

# ---- the test API server -------------------------------------------------------

# start_server PODS NAMESPACES: sets SDIR, LOG, URL
start_server() {
	local i

	SDIR=$WORK/server-$1x$2
	LOG=$SDIR/requests.log
	mkdir -p "$SDIR"
	: >"$LOG"
	echo "starting the test API server: $1 pods, $2 namespaces" >&2
	python3 "$KUBEAPI" --state-dir "$SDIR" --generate-pods "$1" \
		--generate-namespaces "$2" --seed "$SEED" --request-log "$LOG" \
		--git-version "$GIT_VERSION" --max-lifetime "$SERVER_LIFETIME" \
		--keep-snapshots 16 >"$SDIR/server.out" 2>&1 </dev/null &
	SRV_PID=$!
	for ((i = 0; i < 1200; i++)); do
		[ -s "$SDIR/ready.json" ] && break
		if ! kill -0 "$SRV_PID" 2>/dev/null; then
			cat "$SDIR/server.out" >&2
			SRV_PID=
			echo "live.sh: the test API server did not start" >&2
			exit 2
		fi
		sleep 0.1
	done
	[ -s "$SDIR/ready.json" ] || { echo "live.sh: the test API server is not ready after 120 s" >&2; exit 2; }
	URL=$(jq -r .url "$SDIR/ready.json")
	# The same kubeconfig with compression off, as a user would write it.
	awk '{print} /^    server: / {print "    disable-compression: true"}' \
		"$SDIR/kubeconfig" >"$SDIR/kubeconfig-identity"
	grep -q 'disable-compression: true' "$SDIR/kubeconfig-identity" ||
		die "could not write $SDIR/kubeconfig-identity"
}

# log_mark: once the request log has stopped growing (the server logs a
# request after answering it), its size in bytes.
log_mark() {
	local a b
	a=$(stat -c %s "$LOG")
	while sleep 0.2; b=$(stat -c %s "$LOG"); [ "$a" != "$b" ]; do a=$b; done
	echo "$b"
}

# count CASE TOOL FROM TO: the requests a tool made, into RAW
count() { python3 "$HELPER" requests "$LOG" "$3" "$4" "$1" "$2" >>"$RAW"; }

# ---- measuring -------------------------------------------------------------

# timed CASE TOOL OK_STATUSES STDIN CMD...: one run under GNU time, standard
# output to $WORK/stdout; one JSON line into RAW.
timed() {
	local c=$1 t=$2 ok=$3 in=$4 st=0 e u s m
	shift 4
	/usr/bin/time -o "$TF" -f '%e %U %S %M' "$@" <"$in" >"$WORK/stdout" || st=$?
	if [[ " $ok " != *" $st "* ]]; then
		echo "live.sh: $t ($c) exited with status $st: $*" >&2
		tail -n 5 "$WORK/stdout" >&2 || true
		exit 1
	fi
	read -r e u s m < <(tail -n 1 "$TF")
	printf '{"type":"time","case":"%s","tool":"%s","wall":%s,"user":%s,"sys":%s,"rss":%s,"status":%d}\n' \
		"$c" "$t" "$e" "$u" "$s" "$m" "$st" >>"$RAW"
	printf '  %-14s %6.2f s wall %6.2f s cpu %7.1f MiB\n' "$t" "$e" \
		"$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}')" \
		"$(awk -v m="$m" 'BEGIN {print m / 1024}')" >&2
}

JQ_FILTER=$(cat "$HERE/netraw.jq")
# kubectl piped to the jq check: $1 kubectl, $2 kubeconfig, $3 cache dir,
# $4 filter, $5 where jq's output goes
# shellcheck disable=SC2016 # expanded by that bash
KPIPE='set -o pipefail; "$1" get pods -A -o json --kubeconfig "$2" --cache-dir "$3" | jq -r "$4" >"$5"'


# check_report FILE PODS: the scan was complete and saw every pod
check_report() {
	local got
	got=$(jq -c '[.complete, (.errors | length), .summary.pods.total]' "$1")
	[ "$got" = "[true,0,$2]" ] ||
		die "kubecapscan's report $1: [complete, errors, pods] = $got, want [true,0,$2]"
}

# verdicts CASE JQ_OUTPUT: compare kubecapscan's report with the jq check
verdicts() {
	local c=$1 rep=$OUT/live-$1.kubecapscan.json kf kp jf jp nd agree=true
	jq -r '.pods[] | "\(.namespace)/\(.name) \(.verdict)"' "$rep" | sort >"$OUT/live-$c.kubecapscan.txt"
	sort "$2" >"$OUT/live-$c.jq.txt"
	kf=$(jq '.summary.pods.fail' "$rep")
	kp=$(jq '.summary.pods.total' "$rep")
	jf=$(grep -c ' FAIL$' "$OUT/live-$c.jq.txt" || true)
	jp=$(wc -l <"$OUT/live-$c.jq.txt")
	nd=$(diff "$OUT/live-$c.kubecapscan.txt" "$OUT/live-$c.jq.txt" | grep -c '^[<>]' || true)
	if [ "$kf" != "$jf" ] || [ "$kp" != "$jp" ] || [ "$nd" != 0 ]; then agree=false; fi
	echo "  verdicts: kubecapscan $kf FAIL of $kp, jq $jf FAIL of $jp, $nd lines differ" >&2
	jq -nc --arg c "$c" --argjson kf "$kf" --argjson kp "$kp" --argjson jf "$jf" \
		--argjson jp "$jp" --argjson nd "$nd" --argjson ok "$agree" \
		'{type: "check", case: $c, kcs_fail: $kf, kcs_pods: $kp, jq_fail: $jf, jq_pods: $jp, diff: $nd, agree: $ok}' >>"$RAW"
}

profile() { # CASE
	local c=$1 cg=$OUT/live-callgrind-$1 st=0
	echo "  callgrind: kubecapscan (a minute or more)" >&2
	valgrind --tool=callgrind --callgrind-out-file="$cg.kubecapscan.out" \
		"$KCS" -A -o json --output-file "$WORK/cg.json" \
		--kubeconfig "$SDIR/kubeconfig" --request-timeout 0 \
		</dev/null >/dev/null 2>"$cg.kubecapscan.log" || st=$?
	[ "$st" -le 1 ] || die "kubecapscan under callgrind exited with $st (log: $cg.kubecapscan.log)"
	callgrind_annotate --inclusive=yes "$cg.kubecapscan.out" >"$cg.kubecapscan.inclusive.txt"
	callgrind_annotate --threshold=100 "$cg.kubecapscan.out" >"$cg.kubecapscan.self.txt"
	python3 "$HELPER" callgrind-objects "$cg.kubecapscan.self.txt" >"$cg.kubecapscan.objects.md"
	echo "  callgrind: json_verify on the same pages" >&2
	valgrind --tool=callgrind --callgrind-out-file="$cg.json_verify.out" \
		json_verify -q -s <"$PAGES" >/dev/null 2>"$cg.json_verify.log" ||
		die "json_verify under callgrind failed"
	callgrind_annotate --threshold=100 "$cg.json_verify.out" >"$cg.json_verify.self.txt"
	python3 "$HELPER" callgrind-objects "$cg.json_verify.self.txt" >"$cg.json_verify.objects.md"
	meta "profile_$c" "$cg"
}

# run_case PODS NAMESPACES MODE: MODE full (every tool), or kcs (kubecapscan
# only: the memory cases)
run_case() {
	local p=$1 n=$2 mode=$3 c="$1x$2" a b ka kb r st kc=0 d rep
	start_server "$p" "$n"
	rep=$OUT/live-$c.kubecapscan.json

	# An untimed scan: the report to check, the requests it makes, and
	# the pages for curl to replay.
	a=$(log_mark)
	st=0
	"$KCS" -A -o json --output-file "$rep" --kubeconfig "$SDIR/kubeconfig" \
		</dev/null >/dev/null || st=$?
	[ "$st" -le 1 ] || die "kubecapscan exited with status $st ($p pods, $n namespaces)"
	b=$(log_mark)
	count "$c" kcs "$a" "$b"
	ka=$a kb=$b
	check_report "$rep" "$p"
	python3 "$HELPER" workloads "$rep" "$c" >>"$RAW"

	if [ "$mode" = full ]; then
		python3 "$HELPER" curl-config "$LOG" "$a" "$b" "$SDIR" "$URL" --compressed >"$WORK/curl-gzip.cfg"
		python3 "$HELPER" curl-config "$LOG" "$a" "$b" "$SDIR" "$URL" >"$WORK/curl-identity.cfg"
		python3 "$HELPER" curl-config "$LOG" "$a" "$b" "$SDIR" "$URL" --compressed --pages-only >"$WORK/curl-pages.cfg"
		PAGES=$OUT/live-pages-$c.json
		curl -sS -K "$WORK/curl-pages.cfg" >"$PAGES"
		meta "pages_bytes_$c" "$(stat -c %s "$PAGES")"
		json_verify -q -s <"$PAGES" || die "json_verify: the pages of $c do not parse"
		if [ -n "$KUBECTL" ] && { [ "$p" = "$SMALL" ] || [ "$KUBECTL_LARGE" = 1 ]; }; then
			kc=1
		fi
		# The verdict check, and kubectl's cold-cache requests; this
		# run's cache is then the warm one.
		if [ "$kc" = 1 ]; then
			echo "  kubectl + jq, untimed: the verdict check" >&2
			a=$(log_mark)
			bash -c "$KPIPE" _ "$KUBECTL" "$SDIR/kubeconfig" "$WORK/kc-warm" \
				"$JQ_FILTER" "$WORK/jq.txt" </dev/null || die "kubectl + jq failed"
			b=$(log_mark)
			count "$c" kubectl-cold "$a" "$b"
			verdicts "$c" "$WORK/jq.txt"
		elif [ "$p" = "$SMALL" ]; then
			echo "  jq on the pages: the verdict check" >&2
			jq -cn '{kind: "List", items: [inputs | select(.kind == "PodList") | .items[] | .kind = "Pod"]}' \
				"$PAGES" | jq -r "$JQ_FILTER" >"$WORK/jq.txt"
			verdicts "$c" "$WORK/jq.txt"
		fi
	fi

	echo "  timing, $RUNS runs" >&2
	for ((r = 1; r <= RUNS; r++)); do
		timed "$c" kcs "0 1" /dev/null "$KCS" -A -o json \
			--output-file "$WORK/report.json" --kubeconfig "$SDIR/kubeconfig"
		[ "$mode" = full ] || continue
		if [ "$r" = 1 ]; then a=$(log_mark); fi
		timed "$c" kcs-identity "0 1" /dev/null "$KCS" -A -o json \
			--output-file "$WORK/report.json" --kubeconfig "$SDIR/kubeconfig-identity"
		if [ "$r" = 1 ]; then b=$(log_mark); count "$c" kcs-identity "$a" "$b"; fi
		# the same scan without the owner lists (RBAC refuses them): their cost
		if [ "$r" = 1 ]; then a=$(log_mark); fi
		timed "$c" kcs-no-owners "0 1" /dev/null "$KCS" -A -o json \
			--output-file "$WORK/report.json" --kubeconfig "$SDIR/kubeconfig-no-owners"
		if [ "$r" = 1 ]; then b=$(log_mark); count "$c" kcs-no-owners "$a" "$b"; fi
		timed "$c" curl 0 /dev/null curl -sS -K "$WORK/curl-gzip.cfg"
		python3 "$HELPER" check-curl "$WORK/stdout" "$LOG" "$ka" "$kb"
		timed "$c" curl-identity 0 /dev/null curl -sS -K "$WORK/curl-identity.cfg"
		python3 "$HELPER" check-curl "$WORK/stdout" "$LOG" "$ka" "$kb"
		timed "$c" json_verify 0 "$PAGES" json_verify -q -s
		if [ "$kc" = 1 ]; then
			d=$(mktemp -d "$WORK/kc-cold.XXXXXX")
			timed "$c" kubectl-cold 0 /dev/null bash -c "$KPIPE" _ "$KUBECTL" \
				"$SDIR/kubeconfig" "$d" "$JQ_FILTER" /dev/null
			rm -rf "$d"
			if [ "$r" = 1 ]; then a=$(log_mark); fi
			timed "$c" kubectl-warm 0 /dev/null bash -c "$KPIPE" _ "$KUBECTL" \
				"$SDIR/kubeconfig" "$WORK/kc-warm" "$JQ_FILTER" /dev/null
			if [ "$r" = 1 ]; then b=$(log_mark); count "$c" kubectl-warm "$a" "$b"; fi
		fi
	done
	if [ "$mode" = full ] && [ "$PROFILE" = 1 ] && [ "$p" = "$SMALL" ]; then
		profile "$c"
	fi
	if [ -n "$PAGES" ] && [ "${KEEP_PAGES:-0}" != 1 ]; then rm -f "$PAGES"; fi
	PAGES=
	stop_server
}

# ---- the run -------------------------------------------------------------------

version_of() { "$@" 2>&1 | head -n 1 || true; }
pkgs=$(dpkg-query -W -f '${Package} ${Version}, ' libyajl2 libcurl4 zlib1g libssl3 2>/dev/null | sed 's/, $//' || true)
meta date "$(date -u '+%Y-%m-%d %H:%M UTC')"
meta command "$(printf 'RUNS=%s bench/live.sh' "$RUNS")${*:+ $*}"
meta commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git -C "$ROOT" status --porcelain -- src include CMakeLists.txt 2>/dev/null)" ]; then
	meta dirty " plus uncommitted changes in src/ or include/ (the working tree as built)"
fi
meta uname "$(uname -a)"
meta nproc "$(nproc)"
meta cpu "$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
meta mem "$(awk '/^MemTotal:/ {printf "%.1f GiB RAM", $2 / 1048576}' /proc/meminfo)"
meta load_start "$(cut -d' ' -f1-3 /proc/loadavg)"
meta runs "$RUNS"
meta seed "$SEED"
meta small "$SMALL"
meta large "$LARGE"
meta namespaces "$NAMESPACES"
meta many_namespaces "$MANY_NAMESPACES"
meta kubectl_note "${KUBECTL_NOTE:-\`$KUBECTL\`}"
meta versions "$(version_of "$KCS" --version); $(version_of curl --version | cut -d' ' -f1-2); $(version_of jq --version); kubectl $([ -n "$KUBECTL" ] && "$KUBECTL" version --client -o json 2>/dev/null | jq -r .clientVersion.gitVersion || echo -); $(version_of python3 --version); $(version_of valgrind --version); ${pkgs:-}"
if [ "$KUBECTL_LARGE" != 1 ] && [ -n "$KUBECTL" ]; then
	meta note_kubectl "kubectl + jq run at $SMALL pods only (KUBECTL_LARGE=1 runs them at $LARGE too): kubectl holds the whole list and jq the whole document, so their memory grows with the pods (about 4 GB at 20k pods); at 150k pods that is beyond a shared machine, and jq alone needs about 17 GB (bench/RESULTS.md, offline section)."
fi

run_case "$SMALL" "$NAMESPACES" full
run_case "$LARGE" "$NAMESPACES" full
if [ "$MANY_NAMESPACES" != 0 ]; then
	run_case "$SMALL" "$MANY_NAMESPACES" kcs
	run_case "$LARGE" "$MANY_NAMESPACES" kcs
fi
meta load_end "$(cut -d' ' -f1-3 /proc/loadavg)"

echo >&2
st=0
python3 "$HELPER" report "$RAW" "$RESULTS" || st=$?
echo "(written to $RESULTS; raw numbers in $RAW)" >&2
if [ "$st" != 0 ]; then
	echo "live.sh: kubecapscan and the jq check disagree: see $OUT/live-*.txt" >&2
	exit 1
fi
exit 0
