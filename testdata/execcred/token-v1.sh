#!/bin/sh
# A client.authentication.k8s.io/v1 plugin printing a bearer token. It
# checks it was asked for v1, non-interactively, as client-go asks.
case $KUBERNETES_EXEC_INFO in
*'"apiVersion":"client.authentication.k8s.io/v1"'*'"interactive":false'*) ;;
*) echo "token-v1.sh: unexpected KUBERNETES_EXEC_INFO" >&2; exit 1 ;;
esac
cat <<'JSON'
{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",
 "status":{"token":"v1-token-abc","expirationTimestamp":"2099-01-02T03:04:05Z"}}
JSON
