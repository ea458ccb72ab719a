/*
 * config.h - how to reach and authenticate to the API server, loaded the
 * way kubectl/client-go load it (../shared/domain/client-and-ecosystem.md
 * section 2.1, 2.2):
 *
 *   --kubeconfig PATH (that file alone; missing is an error)
 *   -> $KUBECONFIG (colon-separated list, merged: the first file to set a
 *      map key wins, missing files are skipped)
 *   -> ~/.kube/config
 *   -> in-cluster (KUBERNETES_SERVICE_HOST/_PORT + service-account files)
 *
 * Relative paths in a kubeconfig resolve against that file's directory.
 * Certificates, keys and tokens are held in memory only (never written to
 * disk) and wiped with OPENSSL_cleanse when released.
 */
#ifndef KCS_CONFIG_H
#define KCS_CONFIG_H

#include <stddef.h>
#include "kcs/compat.h"
#include "kcs/err.h"

/* Largest kubeconfig file read (real ones are a few KiB). */
#define KCS_KUBECONFIG_MAX (4 * 1024 * 1024)
/* Largest certificate, key, CA bundle or token file read. */
#define KCS_CREDFILE_MAX (1024 * 1024)
/* Most exec args / env entries accepted. */
#define KCS_EXEC_MAX_ARGS 256

/* Default in-cluster service-account directory. */
#define KCS_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* Bytes held in memory (a PEM bundle, a key). `secret` ones are wiped. */
struct kcs_blob {
	unsigned char *data; /* NUL-terminated for convenience; may be NULL */
	size_t len;
};

/* A user's exec credential plugin (client.authentication.k8s.io). */
struct kcs_exec_config {
	char *api_version;      /* client.authentication.k8s.io/v1 or v1beta1 */
	char *command;          /* as written; resolved against the kubeconfig
				 * directory if it contains a '/' and is relative */
	char **args;            /* NULL-terminated; may be empty */
	size_t n_args;
	char **env;             /* NULL-terminated "NAME=value" entries */
	size_t n_env;
	char *install_hint;     /* may be NULL */
	int provide_cluster_info;
	char *interactive_mode; /* Never, IfAvailable, Always; NULL if unset */
};

/* Everything needed to talk to one API server as one user. */
struct kcs_restconfig {
	char *server;           /* "https://host:port", no trailing slash */
	char *context;          /* context name; NULL in-cluster */
	char *cluster_name;     /* NULL in-cluster */
	char *user_name;        /* NULL in-cluster */
	char *namespace;        /* default namespace: context's, SA file's, or "default" */
	char *config_path;      /* file the user came from (for messages); NULL in-cluster */

	/* TLS */
	struct kcs_blob ca;     /* PEM CA bundle; data NULL = system trust store */
	char *ca_source;        /* file path or "certificate-authority-data" (messages) */
	int insecure;           /* insecure-skip-tls-verify: true */
	char *tls_server_name;  /* verify/SNI this name instead of the URL host */
	char *proxy_url;        /* NULL = environment (http_proxy, ...) */
	int disable_compression;

	/* Authentication (at most one of token, token_file, exec; cert/key
	 * may come with any of them) */
	struct kcs_blob client_cert; /* PEM */
	struct kcs_blob client_key;  /* PEM, secret */
	char *token;            /* secret */
	char *token_file;       /* re-read on 401 (rotation) */
	struct kcs_exec_config *exec;
	int in_cluster;
};

/* What the command line asked for. All fields borrowed, NULL if unset. */
struct kcs_config_request {
	const char *kubeconfig;  /* --kubeconfig */
	const char *context;     /* --context */
	const char *namespace;   /* -n */
	/*
	 * Environment, passed in (tests set them without touching the process
	 * environment): $KUBECONFIG, $HOME, KUBERNETES_SERVICE_HOST/PORT, and
	 * the service-account directory (KUBECAPSCAN_SERVICEACCOUNT_DIR, else
	 * KCS_SA_DIR).
	 */
	const char *env_kubeconfig;
	const char *env_home;
	const char *env_service_host;
	const char *env_service_port;
	const char *sa_dir;
};

/* Fill `req`'s environment fields from the process environment. */
void kcs_config_request_from_env(struct kcs_config_request *req);

/*
 * Resolve the configuration. On error returns KCS_ERR_CONFIG (or NOMEM,
 * LIMIT, IO) and `err` names the file and field at fault, e.g.
 * "'/home/u/.kube/config': users[1].user.client-key: cannot read 'k.pem':
 * No such file or directory". auth-provider and username/password give a
 * clear "not supported" error; insecure-skip-tls-verify together with a CA
 * is an error, as in client-go.
 */
enum kcs_err kcs_config_load(const struct kcs_config_request *req,
			     struct kcs_restconfig *out,
			     struct kcs_error *err) KCS_WUR;

/* Free everything, wiping secrets. NULL-safe; leaves *c zeroed. */
void kcs_restconfig_release(struct kcs_restconfig *c);

/* Free a blob, wiping it first. */
void kcs_blob_release(struct kcs_blob *b);

/*
 * Re-read c->token_file into c->token (token rotation). Keeps the old token
 * if the file cannot be read, as client-go does; returns KCS_OK if a token
 * is available afterwards.
 */
enum kcs_err kcs_config_reload_token(struct kcs_restconfig *c,
				     struct kcs_error *err) KCS_WUR;

#endif /* KCS_CONFIG_H */
