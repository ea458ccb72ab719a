#!/bin/sh
# demo.sh KUBECAPSCAN [ARGS...]
#
# Run kubecapscan against a real cluster when one is configured (KUBECONFIG,
# ~/.kube/config, or in-cluster), and otherwise against the bundled demo
# cluster (testdata/demo) served live by the project's test API server over
# TLS with client-certificate authentication. Used by the README's first
# command. A completed scan exits 0 here even when it found failures (the
# demo cluster has many); kubecapscan's own exit status is printed.
set -u
bin=${1:?usage: demo.sh KUBECAPSCAN [ARGS...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

if [ -n "${KUBECONFIG:-}" ] || [ -f "${HOME:-/nonexistent}/.kube/config" ] ||
   [ -n "${KUBERNETES_SERVICE_HOST:-}" ]; then
	echo "demo.sh: a cluster is configured; scanning it" >&2
	"$bin" "$@"
	exit $?
fi

state=$(mktemp -d "${TMPDIR:-/tmp}/kubecapscan-demo.XXXXXX")
cleanup() {
	[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$state"
}
trap cleanup EXIT INT TERM

python3 "$here/kubeapi.py" --data "$top/testdata/demo" --state-dir "$state" \
	--port 0 --max-lifetime 300 >"$state/server.log" 2>&1 &
pid=$!
i=0
while [ ! -f "$state/ready.json" ]; do
	i=$((i + 1))
	if [ $i -gt 200 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "demo.sh: the test API server did not start:" >&2
		cat "$state/server.log" >&2
		exit 1
	fi
	sleep 0.05
done
echo "demo.sh: no cluster configured; scanning the bundled demo cluster" \
     "served by tests/apiserver/kubeapi.py at $(cat "$state/ready.json")" >&2
KUBECONFIG="$state/kubeconfig" "$bin" "$@"
rc=$?
case $rc in
0) echo "demo.sh: kubecapscan exit status 0: nothing FAILs" >&2; exit 0 ;;
1) echo "demo.sh: kubecapscan exit status 1: the scan completed and found FAILs (expected for the demo cluster)" >&2; exit 0 ;;
*) echo "demo.sh: kubecapscan exit status $rc" >&2; exit "$rc" ;;
esac
