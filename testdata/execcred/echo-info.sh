#!/bin/sh
# Hands KUBERNETES_EXEC_INFO back base64-encoded as the token, so the test
# can compare it byte for byte. $1: the apiVersion to answer with.
[ -n "${KUBERNETES_EXEC_INFO+set}" ] || { echo "echo-info.sh: KUBERNETES_EXEC_INFO unset" >&2; exit 1; }
tok=$(printf '%s' "$KUBERNETES_EXEC_INFO" | base64 -w0) || exit 1
printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"%s"}}\n' "$1" "$tok"
