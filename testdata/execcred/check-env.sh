#!/bin/sh
# Fails unless it got the parent's environment, the exec env entries
# (overriding the parent's) and the cluster info in KUBERNETES_EXEC_INFO.
bad() { echo "check-env.sh: $1" >&2; exit 1; }
[ "${KCS_TEST_PARENT:-}" = "from-parent" ] || bad "parent variable missing"
[ "${KCS_TEST_OVERRIDE:-}" = "from-exec" ] || bad "exec env did not override"
[ "${KCS_TEST_EXTRA:-}" = "extra value; with \$pecial *chars*" ] || bad "exec env entry missing"
# The environment exactly as exec'd (sh itself would hide duplicates).
for name in KCS_TEST_OVERRIDE KUBERNETES_EXEC_INFO; do
	n=$(tr '\000' '\n' < /proc/$$/environ | grep -c "^$name=")
	[ "$n" = 1 ] || bad "$name set $n times"
done
info=${KUBERNETES_EXEC_INFO:-}
for want in \
    '"kind":"ExecCredential"' \
    '"apiVersion":"client.authentication.k8s.io/v1"' \
    '"cluster":{"server":"https://kube.example.test:6443"' \
    '"tls-server-name":"kube.internal"' \
    '"certificate-authority-data":"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJmYWtlCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K"' \
    '"proxy-url":"socks5://proxy.example.test:1080"' \
    '"interactive":false'; do
	case $info in
	*"$want"*) ;;
	*) bad "KUBERNETES_EXEC_INFO lacks $want" ;;
	esac
done
echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"env-ok"}}'
