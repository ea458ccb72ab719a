#!/bin/sh
# Leaves a background process holding stdout open after it exits: the
# credential must still come back at once, not when the sleep ends.
sleep 5 &
echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"bg-token"}}'
