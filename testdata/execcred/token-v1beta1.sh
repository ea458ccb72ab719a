#!/bin/sh
# A client.authentication.k8s.io/v1beta1 plugin (kind and apiVersion last,
# plus fields we do not know).
case $KUBERNETES_EXEC_INFO in
*'"apiVersion":"client.authentication.k8s.io/v1beta1"'*) ;;
*) echo "token-v1beta1.sh: unexpected KUBERNETES_EXEC_INFO" >&2; exit 1 ;;
esac
cat <<'JSON'
{"spec":{"interactive":false},
 "status":{"token":"v1beta1-token","extra":[1,{"a":null}]},
 "kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1"}
JSON
