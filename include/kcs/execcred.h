/*
 * execcred.h - exec credential plugins (client.authentication.k8s.io/v1 and
 * v1beta1), run as client-go runs them: posix_spawnp of command + args, no
 * shell; the parent's environment plus the plugin's env plus
 * KUBERNETES_EXEC_INFO; no stdin unless interactive with a TTY; bounded
 * output and run time; exit status and output checked.
 */
#ifndef KCS_EXECCRED_H
#define KCS_EXECCRED_H

#include <stddef.h>
#include <time.h>
#include "kcs/compat.h"
#include "kcs/config.h"
#include "kcs/err.h"

/* Largest plugin output accepted; beyond it the plugin is killed. */
#define KCS_EXEC_OUTPUT_MAX (1024 * 1024)
/* Longest a plugin may run before it is killed (SIGTERM, then SIGKILL);
 * see kcs_exec_set_timeout. */
#define KCS_EXEC_TIMEOUT_SEC 60

/*
 * A credential from a plugin; secret fields are wiped on release. It holds
 * a token, a client certificate and key, or both. An already expired one
 * (0 < expires <= now) is still returned as the plugin gave it: the caller
 * decides what to do with it.
 */
struct kcs_credential {
	char *token;                 /* secret; NULL if the plugin gave a cert */
	struct kcs_blob client_cert; /* PEM */
	struct kcs_blob client_key;  /* PEM, secret */
	time_t expires;              /* expirationTimestamp; 0 = never */
};

/*
 * Run the plugin of `cfg->exec` and parse its ExecCredential. `cfg`
 * supplies the cluster info for KUBERNETES_EXEC_INFO when
 * provideClusterInfo is set. On failure returns KCS_ERR_AUTH (or NOMEM,
 * LIMIT) with a message naming the command and what went wrong (not found
 * - with installHint -, exit status, timeout, invalid output); the
 * plugin's output is never quoted. An unusable exec config (apiVersion
 * other than client.authentication.k8s.io/v1 or v1beta1, v1 without
 * interactiveMode, unknown interactiveMode) gives KCS_ERR_CONFIG.
 *
 * The plugin's stdin is /dev/null unless interactiveMode (IfAvailable when
 * unset for v1beta1) allows it and our stdin is a terminal; "Always"
 * without a terminal is an error. Its stderr is ours. The process
 * environment is not modified. `*out` is zeroed first and filled only on
 * success; the caller releases it with kcs_credential_release.
 */
enum kcs_err kcs_exec_run(const struct kcs_restconfig *cfg,
			  struct kcs_credential *out,
			  struct kcs_error *err) KCS_WUR;

/*
 * Parse an ExecCredential document (for kcs_exec_run and the fuzzer).
 * `api_version` is the one the plugin was asked for; the output must match.
 * Checks as client-go does: kind ExecCredential, status present, a token
 * or both clientCertificateData and clientKeyData; expirationTimestamp, if
 * present, is RFC 3339 (fractions and offsets allowed). Unknown fields are
 * ignored, known ones of the wrong JSON type are errors. Returns
 * KCS_ERR_PARSE (err->offset set for JSON syntax), LIMIT or NOMEM; the
 * input is never quoted. `*out` is zeroed first and filled only on success.
 */
enum kcs_err kcs_exec_parse(const char *api_version, const void *data,
			    size_t len, struct kcs_credential *out,
			    struct kcs_error *err) KCS_WUR;

/* Wipe and free the credential's fields; NULL-safe; leaves *c zeroed. */
void kcs_credential_release(struct kcs_credential *c);

/*
 * Set the run-time limit, in seconds, of later kcs_exec_run calls, for
 * tests and for callers with a deadline of their own; 0 restores
 * KCS_EXEC_TIMEOUT_SEC. Process-wide (the tool is single-threaded).
 */
void kcs_exec_set_timeout(unsigned seconds);

#endif /* KCS_EXECCRED_H */
