#!/bin/sh
# A plugin returning a client certificate and key (PEM with \n escapes).
[ -n "${KUBERNETES_EXEC_INFO:-}" ] || { echo "cert-v1.sh: no KUBERNETES_EXEC_INFO" >&2; exit 1; }
cat <<'JSON'
{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{
 "clientCertificateData":"-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n",
 "clientKeyData":"-----BEGIN PRIVATE KEY-----\nMIIBkey\n-----END PRIVATE KEY-----\n",
 "expirationTimestamp":"2099-06-30T12:00:00.5+02:00"}}
JSON
