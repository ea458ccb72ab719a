#!/bin/sh
# A credential that expired long ago (2001-02-03T02:05:06Z).
echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"expired-token","expirationTimestamp":"2001-02-03T04:05:06+02:00"}}'
