#!/bin/sh
# Talks to the user on stderr (which must reach ours), then succeeds.
echo "stderr-msg.sh: touch your security key" >&2
echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"stderr-ok"}}'
