#!/bin/sh
# Fails if fd $KCS_TEST_FD (open in the parent, not close-on-exec) leaked
# into the plugin; only stdin, stdout and stderr should.
[ -n "${KCS_TEST_FD:-}" ] || { echo "fd-check.sh: KCS_TEST_FD unset" >&2; exit 1; }
if [ -e "/proc/$$/fd/$KCS_TEST_FD" ]; then
	echo "fd-check.sh: fd $KCS_TEST_FD leaked" >&2
	exit 1
fi
echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"fd-ok"}}'
