#!/bin/sh
# Prints a valid credential, then fails: the exit status must win and the
# token must not appear in the error.
echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exit3-secret-token"}}'
exit 3
