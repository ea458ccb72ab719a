#!/bin/sh
# Asked for v1, answers v1beta1: client-go rejects that.
echo '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"wrong-api-token"}}'
