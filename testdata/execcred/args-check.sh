#!/bin/sh
# Fails unless it got exactly its three arguments, untouched by any shell.
[ $# -eq 3 ] || { echo "args-check.sh: $# arguments" >&2; exit 1; }
[ "$1" = "a b" ] || { echo "args-check.sh: bad \$1" >&2; exit 1; }
[ "$2" = '$(exit 7); *' ] || { echo "args-check.sh: bad \$2" >&2; exit 1; }
[ "$3" = "" ] || { echo "args-check.sh: bad \$3" >&2; exit 1; }
echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"args-ok"}}'
