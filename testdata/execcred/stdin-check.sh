#!/bin/sh
# Reports what its stdin is and whether it was told it is interactive, in
# the token: "stdin:<path>;interactive:<bool>".
in=$(readlink /proc/$$/fd/0) || in=closed
case $KUBERNETES_EXEC_INFO in
*'"interactive":true'*) i=true ;;
*'"interactive":false'*) i=false ;;
*) i=missing ;;
esac
printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"stdin:%s;interactive:%s"}}\n' \
    "${1:-client.authentication.k8s.io/v1}" "$in" "$i"
