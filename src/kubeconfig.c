/*
 * kubeconfig.c - find, parse, merge and resolve the API server
 * configuration the way kubectl/client-go do (see config.h).
 *
 * Loading happens in three steps:
 *
 *   1. Pick the files: --kubeconfig alone, else every file named in
 *      $KUBECONFIG (missing ones skipped), else ~/.kube/config.
 *   2. Parse each file with the libyaml document API and merge its
 *      clusters, users and contexts by name: the first file to define a
 *      name wins the whole entry, and the first file to set
 *      current-context wins it (client-go loader.go). Every entry of every
 *      file is type-checked here, as Go's decoder would reject the file.
 *   3. Resolve the chosen context: read CA/cert/key/token files (relative
 *      paths against the directory of the file that defined the entry),
 *      decode the *-data fields and refuse what we do not support. Only
 *      the chosen context, cluster and user are checked this deeply, as
 *      client-go's ConfirmUsable does, so an old unused user with a legacy
 *      auth-provider does not stop a scan with another context.
 *
 * When no file defines anything, the in-cluster service-account
 * configuration is used if it is there.
 *
 * Secrets (tokens, keys, and the kubeconfig text that may hold them) live
 * only in memory and are wiped with OPENSSL_cleanse before they are freed,
 * including libyaml's copies of every scalar. Nothing is written to disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <yaml.h>

#include "kcs/alloc.h"
#include "kcs/buf.h"
#include "kcs/config.h"
#include "kcs/banned.h"

/* Longest field path in a message ("users[12].user.exec.env[3].name"). */
#define FIELD_PATH_MAX 128
/* Longest file path we build (directory + relative path). */
#define FILE_PATH_MAX 8192
/* Longest list of file names quoted in one message (it is cut there). */
#define FILE_LIST_MAX 300

/* ---- errors ------------------------------------------------------------ */

/*
 * Record "'file': path: message" (path may be NULL) and name the file as
 * the error's source. First error wins, as with kcs_error_set.
 */
static enum kcs_err ferr(struct kcs_error *err, enum kcs_err code,
			 const char *file, const char *path, const char *fmt,
			 ...) KCS_PRINTF(5, 6);

static enum kcs_err ferr(struct kcs_error *err, enum kcs_err code,
			 const char *file, const char *path, const char *fmt,
			 ...)
{
	char msg[KCS_ERROR_MSG_MAX];
	va_list ap;

	if (!err || err->code != KCS_OK)
		return code;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kcs_error_source(err, file);
	if (path)
		return kcs_error_set(err, code, "'%s': %s: %s", file, path,
				     msg);
	return kcs_error_set(err, code, "'%s': %s", file, msg);
}

static enum kcs_err nomem(struct kcs_error *err)
{
	return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
}

/*
 * Report a failure of read_file()/read_token() on `path`. `prefix` says
 * where the name came from ("'cfg': users[0].user.tokenFile: "), `src` is
 * the file to name as the error's source.
 */
static enum kcs_err file_error(struct kcs_error *err, enum kcs_err rc,
			       int eno, const char *prefix, const char *path,
			       size_t max, const char *src, enum kcs_err io)
{
	if (rc == KCS_ERR_NOMEM)
		return nomem(err);
	if (err && err->code == KCS_OK)
		kcs_error_source(err, src);
	if (rc == KCS_ERR_LIMIT)
		return kcs_error_set(err, KCS_ERR_LIMIT,
				     "%s'%s' is larger than %zu bytes", prefix,
				     path, max);
	if (eno == 0)
		return kcs_error_set(err, io, "%s'%s' is empty", prefix, path);
	return kcs_error_set(err, io, "%scannot read '%s': %s", prefix, path,
			     strerror(eno));
}

/* ---- small helpers ----------------------------------------------------- */

static int nonempty(const char *s)
{
	return s && *s;
}

/* "a/b" from "a" and "b"; an absolute `rel` is returned as it is. */
static char *path_join(const char *dir, const char *rel)
{
	size_t dl, rl;
	char *p;

	if (rel[0] == '/' || !dir)
		return kcs_strdup(rel);
	dl = strlen(dir);
	rl = strlen(rel);
	while (rl > 2 && rel[0] == '.' && rel[1] == '/') {
		rel += 2; /* "./ca.crt" reads better as "ca.crt" */
		rl -= 2;
	}
	if (dl > FILE_PATH_MAX || rl > FILE_PATH_MAX)
		return NULL;
	p = kcs_malloc(dl + rl + 2);
	if (!p)
		return NULL;
	memcpy(p, dir, dl);
	if (dl && dir[dl - 1] == '/')
		dl--;
	p[dl] = '/';
	memcpy(p + dl + 1, rel, rl + 1);
	return p;
}

/*
 * The absolute directory of `path`, which relative paths inside the file
 * resolve against (client-go makes it absolute against the working
 * directory, so do we).
 */
static char *file_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char cwd[FILE_PATH_MAX];
	char *rel, *abs;

	if (path[0] == '/')
		return kcs_strndup(path,
				   slash == path ? 1 : (size_t)(slash - path));
	if (!getcwd(cwd, sizeof(cwd)))
		return slash ? kcs_strndup(path, (size_t)(slash - path))
			     : kcs_strdup(".");
	if (!slash)
		return kcs_strdup(cwd);
	rel = kcs_strndup(path, (size_t)(slash - path));
	if (!rel)
		return NULL;
	abs = path_join(cwd, rel);
	kcs_free(rel);
	return abs;
}

/*
 * Read a whole file into a fresh NUL-terminated buffer of at most `max`
 * bytes. Returns KCS_OK; KCS_ERR_IO with *eno set (ENOENT if missing);
 * KCS_ERR_LIMIT; or KCS_ERR_NOMEM. Everything read is treated as secret:
 * the buffer is wiped when it grows and on failure.
 */
static enum kcs_err read_file(const char *path, size_t max,
			      struct kcs_blob *out, int *eno)
{
	struct kcs_buf b;
	unsigned char chunk[16384];
	enum kcs_err rc = KCS_OK;
	ssize_t n;
	int fd;

	*eno = 0;
	out->data = NULL;
	out->len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*eno = errno;
		return KCS_ERR_IO;
	}
	kcs_buf_init_secret(&b, max);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*eno = errno;
			rc = KCS_ERR_IO;
			goto out;
		}
		if (n == 0)
			break;
		if (kcs_buf_add(&b, chunk, (size_t)n)) {
			rc = b.err;
			goto out;
		}
	}
	out->len = b.len;
	out->data = (unsigned char *)kcs_buf_detach(&b, NULL);
	if (!out->data) {
		out->len = 0;
		rc = KCS_ERR_NOMEM;
	}
out:
	OPENSSL_cleanse(chunk, sizeof(chunk));
	close(fd);
	kcs_buf_release(&b);
	return rc;
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
	       c == '\v';
}

/*
 * Read a bearer token file, trimming surrounding whitespace (client-go's
 * cached file token source does the same). An empty token is KCS_ERR_IO
 * with *eno 0. *out is a secret string.
 */
static enum kcs_err read_token(const char *path, char **out, int *eno)
{
	struct kcs_blob b = { NULL, 0 };
	size_t start = 0, end;
	enum kcs_err rc;

	*out = NULL;
	rc = read_file(path, KCS_CREDFILE_MAX, &b, eno);
	if (rc)
		return rc;
	end = b.len;
	while (start < end && is_space(b.data[start]))
		start++;
	while (end > start && is_space(b.data[end - 1]))
		end--;
	if (end == start) {
		*eno = 0;
		rc = KCS_ERR_IO;
	} else if (memchr(b.data + start, '\0', end - start)) {
		*eno = EINVAL; /* a NUL would cut the Authorization header */
		rc = KCS_ERR_IO;
	} else {
		*out = kcs_strndup((const char *)b.data + start, end - start);
		if (!*out)
			rc = KCS_ERR_NOMEM;
	}
	kcs_blob_release(&b);
	return rc;
}

/* ---- base64 ------------------------------------------------------------ */

static int is_b64(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/*
 * Decode a *-data field (standard alphabet, padded, as Go's encoding/json
 * expects). Whitespace anywhere is ignored: YAML block scalars keep line
 * breaks and plain multi-line scalars fold them into spaces. The text is
 * checked here and decoded by OpenSSL's EVP_DecodeBlock, which does not
 * itself reject a '=' in the middle nor say how much padding it decoded.
 * Returns KCS_OK (out->data NULL if the field held only whitespace),
 * KCS_ERR_PARSE on invalid input, or KCS_ERR_NOMEM.
 */
static enum kcs_err b64_decode(const char *in, struct kcs_blob *out)
{
	size_t n = strlen(in), m = 0, pad = 0, i;
	unsigned char *clean = NULL, *dec = NULL;
	enum kcs_err rc = KCS_OK;
	int r;

	out->data = NULL;
	out->len = 0;
	if (n > KCS_KUBECONFIG_MAX)
		return KCS_ERR_PARSE;
	clean = kcs_malloc(n + 1);
	if (!clean)
		return KCS_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (is_space(c))
			continue;
		if (!is_b64(c) && c != '=') {
			rc = KCS_ERR_PARSE;
			goto out;
		}
		clean[m++] = c;
	}
	if (m == 0)
		goto out;
	if (m % 4 != 0) {
		rc = KCS_ERR_PARSE;
		goto out;
	}
	if (clean[m - 1] == '=')
		pad = clean[m - 2] == '=' ? 2 : 1;
	for (i = 0; i < m - pad; i++) {
		if (clean[i] == '=') {
			rc = KCS_ERR_PARSE;
			goto out;
		}
	}
	dec = kcs_malloc(m / 4 * 3 + 1);
	if (!dec) {
		rc = KCS_ERR_NOMEM;
		goto out;
	}
	r = EVP_DecodeBlock(dec, clean, (int)m);
	if (r < 0 || (size_t)r != m / 4 * 3) {
		rc = KCS_ERR_PARSE;
		goto out;
	}
	out->len = (size_t)r - pad;
	dec[out->len] = '\0';
	out->data = dec;
	dec = NULL;
out:
	kcs_free_secret(clean, n + 1);
	if (dec)
		kcs_free_secret(dec, m / 4 * 3 + 1);
	return rc;
}

/* ---- YAML schema ------------------------------------------------------- */

/* What a field's value must be. A YAML null always means "not set". */
enum ftype {
	F_STR,  /* scalar; stored as a borrowed const char * */
	F_BOOL, /* plain true/false (YAML 1.1 spellings); stored as int */
	F_MAP,  /* mapping; stored as yaml_node_t * */
	F_SEQ,  /* sequence; stored as yaml_node_t * */
};

/* One known key of a mapping and where its value goes. */
struct field {
	const char *key;  /* YAML key */
	enum ftype type;  /* required type of the value */
	size_t off;       /* offset of the destination in the raw struct */
};

/* The top level of a kubeconfig. */
struct raw_top {
	yaml_node_t *clusters;       /* list of {name, cluster} */
	yaml_node_t *users;          /* list of {name, user} */
	yaml_node_t *contexts;       /* list of {name, context} */
	const char *current_context; /* may be NULL */
};

/* One element of clusters/users/contexts. */
struct raw_named {
	const char *name;  /* the map key it merges under */
	yaml_node_t *body; /* the cluster/user/context mapping, may be NULL */
};

struct raw_cluster {
	const char *server;          /* https://host:port */
	const char *ca;              /* certificate-authority (file) */
	const char *ca_data;         /* certificate-authority-data (base64) */
	const char *tls_server_name; /* tls-server-name */
	const char *proxy_url;       /* proxy-url */
	int insecure;                /* insecure-skip-tls-verify */
	int disable_compression;     /* disable-compression */
};

struct raw_context {
	const char *cluster;   /* cluster name */
	const char *user;      /* user name; may be NULL (anonymous) */
	const char *namespace; /* default namespace; may be NULL */
};

struct raw_exec {
	const char *api_version;      /* apiVersion */
	const char *command;          /* command */
	const char *install_hint;     /* installHint */
	const char *interactive_mode; /* interactiveMode */
	yaml_node_t *args;            /* args: list of strings */
	yaml_node_t *env;             /* env: list of {name, value} */
	int provide_cluster_info;     /* provideClusterInfo */
};

struct raw_env {
	const char *name;  /* variable name */
	const char *value; /* its value; may be NULL (empty) */
};

struct raw_auth_provider {
	const char *name;    /* gcp, oidc, azure, ... */
	yaml_node_t *config; /* provider settings (not used) */
};

struct raw_user {
	const char *token;           /* token (secret) */
	const char *token_file;      /* tokenFile */
	const char *cert;            /* client-certificate (file) */
	const char *cert_data;       /* client-certificate-data (base64) */
	const char *key;             /* client-key (file) */
	const char *key_data;        /* client-key-data (base64, secret) */
	const char *username;        /* basic auth: refused */
	const char *password;        /* basic auth: refused */
	const char *as;              /* impersonation: refused */
	const char *as_uid;          /* impersonation: refused */
	yaml_node_t *as_groups;      /* impersonation: refused */
	yaml_node_t *as_user_extra;  /* impersonation: refused */
	yaml_node_t *auth_provider;  /* legacy auth-provider: refused */
	yaml_node_t *exec;           /* exec credential plugin */
	struct raw_auth_provider ap; /* auth-provider contents */
	struct raw_exec ex;          /* exec contents */
};

#define FLD(k, t, s, m) { k, t, offsetof(struct s, m) }

static const struct field top_fields[] = {
	FLD("clusters", F_SEQ, raw_top, clusters),
	FLD("users", F_SEQ, raw_top, users),
	FLD("contexts", F_SEQ, raw_top, contexts),
	FLD("current-context", F_STR, raw_top, current_context),
};

static const struct field named_cluster_fields[] = {
	FLD("name", F_STR, raw_named, name),
	FLD("cluster", F_MAP, raw_named, body),
};

static const struct field named_user_fields[] = {
	FLD("name", F_STR, raw_named, name),
	FLD("user", F_MAP, raw_named, body),
};

static const struct field named_context_fields[] = {
	FLD("name", F_STR, raw_named, name),
	FLD("context", F_MAP, raw_named, body),
};

static const struct field cluster_fields[] = {
	FLD("server", F_STR, raw_cluster, server),
	FLD("certificate-authority", F_STR, raw_cluster, ca),
	FLD("certificate-authority-data", F_STR, raw_cluster, ca_data),
	FLD("tls-server-name", F_STR, raw_cluster, tls_server_name),
	FLD("proxy-url", F_STR, raw_cluster, proxy_url),
	FLD("insecure-skip-tls-verify", F_BOOL, raw_cluster, insecure),
	FLD("disable-compression", F_BOOL, raw_cluster, disable_compression),
};

static const struct field context_fields[] = {
	FLD("cluster", F_STR, raw_context, cluster),
	FLD("user", F_STR, raw_context, user),
	FLD("namespace", F_STR, raw_context, namespace),
};

static const struct field user_fields[] = {
	FLD("token", F_STR, raw_user, token),
	FLD("tokenFile", F_STR, raw_user, token_file),
	FLD("client-certificate", F_STR, raw_user, cert),
	FLD("client-certificate-data", F_STR, raw_user, cert_data),
	FLD("client-key", F_STR, raw_user, key),
	FLD("client-key-data", F_STR, raw_user, key_data),
	FLD("username", F_STR, raw_user, username),
	FLD("password", F_STR, raw_user, password),
	FLD("as", F_STR, raw_user, as),
	FLD("as-uid", F_STR, raw_user, as_uid),
	FLD("as-groups", F_SEQ, raw_user, as_groups),
	FLD("as-user-extra", F_MAP, raw_user, as_user_extra),
	FLD("auth-provider", F_MAP, raw_user, auth_provider),
	FLD("exec", F_MAP, raw_user, exec),
};

static const struct field auth_provider_fields[] = {
	FLD("name", F_STR, raw_auth_provider, name),
	FLD("config", F_MAP, raw_auth_provider, config),
};

static const struct field exec_fields[] = {
	FLD("apiVersion", F_STR, raw_exec, api_version),
	FLD("command", F_STR, raw_exec, command),
	FLD("args", F_SEQ, raw_exec, args),
	FLD("env", F_SEQ, raw_exec, env),
	FLD("installHint", F_STR, raw_exec, install_hint),
	FLD("provideClusterInfo", F_BOOL, raw_exec, provide_cluster_info),
	FLD("interactiveMode", F_STR, raw_exec, interactive_mode),
};

static const struct field env_fields[] = {
	FLD("name", F_STR, raw_env, name),
	FLD("value", F_STR, raw_env, value),
};

/* ---- loaded files and merged entries ---------------------------------- */

/* One kubeconfig file in the precedence list. */
struct kc_file {
	char *path;          /* as listed (--kubeconfig, KUBECONFIG, HOME) */
	char *dir;           /* absolute directory; set once loaded */
	yaml_document_t doc; /* parsed document; entries borrow its nodes */
	int loaded;          /* the file existed and doc must be deleted */
};

/* What every merged entry starts with. */
struct kc_entry {
	const char *name; /* borrowed from the defining file's document */
	size_t file;      /* index of the defining file in loader.files */
	size_t index;     /* position in that file's list, for messages */
};

struct kc_cluster {
	struct kc_entry e;      /* must be first */
	struct raw_cluster raw; /* borrowed strings */
};

struct kc_user {
	struct kc_entry e;   /* must be first */
	struct raw_user raw; /* borrowed strings and nodes */
};

struct kc_context {
	struct kc_entry e;      /* must be first */
	struct raw_context raw; /* borrowed strings */
};

/* A growable array of kc_cluster/kc_user/kc_context. */
struct kc_list {
	unsigned char *items; /* n elements of elsize bytes */
	size_t n;             /* elements in use */
	size_t cap;           /* elements allocated */
	size_t elsize;        /* sizeof the element type */
};

enum kind { K_CLUSTER, K_USER, K_CONTEXT, K_COUNT };

/* Everything loading one precedence step produces. */
struct loader {
	struct kc_file *files;       /* the files, in precedence order */
	size_t n_files;              /* entries in files */
	size_t n_loaded;             /* of them, files that existed */
	int explicit;                /* --kubeconfig: missing is an error */
	struct kc_list lists[K_COUNT]; /* merged clusters, users, contexts */
	const char *current_context; /* first one set, borrowed; or NULL */
};

static const char *const list_key[K_COUNT] = { "clusters", "users",
					       "contexts" };
static const char *const body_key[K_COUNT] = { "cluster", "user", "context" };

static struct kc_entry *list_at(const struct kc_list *l, size_t i)
{
	return (struct kc_entry *)(void *)(l->items + i * l->elsize);
}

static struct kc_entry *list_find(const struct kc_list *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(list_at(l, i)->name, name) == 0)
			return list_at(l, i);
	return NULL;
}

/* Append a zeroed element; NULL when out of memory. */
static struct kc_entry *list_push(struct kc_list *l)
{
	unsigned char *p;
	size_t cap;

	if (l->n == l->cap) {
		cap = l->cap ? l->cap * 2 : 8;
		p = kcs_realloc(l->items, cap * l->elsize);
		if (!p)
			return NULL;
		l->items = p;
		l->cap = cap;
	}
	memset(l->items + l->n * l->elsize, 0, l->elsize);
	return list_at(l, l->n++);
}

/* Wipe every scalar (keys and tokens are in there), then free. */
static void doc_wipe_delete(yaml_document_t *d)
{
	yaml_node_t *n;

	for (n = d->nodes.start; n && n < d->nodes.top; n++)
		if (n->type == YAML_SCALAR_NODE && n->data.scalar.value)
			OPENSSL_cleanse(n->data.scalar.value,
					n->data.scalar.length);
	yaml_document_delete(d);
}

static void loader_release(struct loader *ld)
{
	size_t i;

	for (i = 0; i < ld->n_files; i++) {
		if (ld->files[i].loaded)
			doc_wipe_delete(&ld->files[i].doc);
		kcs_free(ld->files[i].path);
		kcs_free(ld->files[i].dir);
	}
	kcs_free(ld->files);
	for (i = 0; i < K_COUNT; i++)
		kcs_free(ld->lists[i].items);
	memset(ld, 0, sizeof(*ld));
}

static int loader_is_empty(const struct loader *ld)
{
	return !ld->lists[K_CLUSTER].n && !ld->lists[K_USER].n &&
	       !ld->lists[K_CONTEXT].n && !ld->current_context;
}

/* The loaded files joined with ':' (cut at FILE_LIST_MAX), for messages. */
static const char *loaded_files(const struct loader *ld, char *buf, size_t n)
{
	size_t i, used = 0;
	int w;

	buf[0] = '\0';
	for (i = 0; i < ld->n_files && used < n; i++) {
		if (!ld->files[i].loaded)
			continue;
		w = snprintf(buf + used, n - used, "%s%s", used ? ":" : "",
			     ld->files[i].path);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	return buf;
}

/* Name the first loaded file as the error's source (messages list all). */
static void source_first(const struct loader *ld, struct kcs_error *err)
{
	size_t i;

	if (!err || err->code != KCS_OK)
		return;
	for (i = 0; i < ld->n_files; i++) {
		if (ld->files[i].loaded) {
			kcs_error_source(err, ld->files[i].path);
			return;
		}
	}
}

/* ---- walking the document ---------------------------------------------- */

static yaml_node_t *node_get(struct kc_file *f, int id)
{
	return yaml_document_get_node(&f->doc, id);
}

static const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

static int scalar_is(const yaml_node_t *n, const char *s)
{
	size_t len = strlen(s);

	return n->data.scalar.length == len &&
	       memcmp(n->data.scalar.value, s, len) == 0;
}

/* A YAML null: a plain empty, "~" or "null" scalar. */
static int is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return n->data.scalar.length == 0 || scalar_is(n, "~") ||
	       scalar_is(n, "null") || scalar_is(n, "Null") ||
	       scalar_is(n, "NULL");
}

/* YAML 1.1 booleans, as go-yaml v2 (behind sigs.k8s.io/yaml) reads them. */
static int parse_bool(const yaml_node_t *n, int *out)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes",
					   "Yes", "YES", "on", "On", "ON" };
	static const char *const no[] = { "false", "False", "FALSE", "no",
					  "No", "NO", "off", "Off", "OFF" };
	size_t i;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return -1;
	for (i = 0; i < KCS_ARRAY_SIZE(yes); i++) {
		if (scalar_is(n, yes[i])) {
			*out = 1;
			return 0;
		}
		if (scalar_is(n, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* Format a field path into `buf` (FIELD_PATH_MAX bytes, cut if longer). */
static const char *pathf(char *buf, const char *fmt, ...) KCS_PRINTF(2, 3);

static const char *pathf(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, FIELD_PATH_MAX, fmt, ap);
	va_end(ap);
	return buf;
}

/* "a.b" into buf, or just "b" when `a` is empty. */
static const char *subpath(char *buf, const char *a, const char *b)
{
	return pathf(buf, "%s%s%s", a, *a ? "." : "", b);
}

/* Store the value `v` of field `fd` into `dst`, checking its type. */
static enum kcs_err set_field(struct kc_file *f, const struct field *fd,
			      yaml_node_t *v, void *dst, const char *path,
			      struct kcs_error *err)
{
	char sub[FIELD_PATH_MAX];
	const char *want;

	if (is_null(v)) {
		/* null clears, as Go's decoder does */
		if (fd->type == F_BOOL)
			*(int *)dst = 0;
		else if (fd->type == F_STR)
			*(const char **)dst = NULL;
		else
			*(yaml_node_t **)dst = NULL;
		return KCS_OK;
	}
	switch (fd->type) {
	case F_STR:
		want = "a string";
		if (v->type != YAML_SCALAR_NODE)
			break;
		if (strlen((const char *)v->data.scalar.value) !=
		    v->data.scalar.length)
			return ferr(err, KCS_ERR_CONFIG, f->path,
				    subpath(sub, path, fd->key),
				    "contains a NUL byte");
		*(const char **)dst = (const char *)v->data.scalar.value;
		return KCS_OK;
	case F_BOOL:
		want = "true or false";
		if (parse_bool(v, (int *)dst) == 0)
			return KCS_OK;
		if (v->type == YAML_SCALAR_NODE)
			return ferr(err, KCS_ERR_CONFIG, f->path,
				    subpath(sub, path, fd->key),
				    "expected true or false");
		break;
	case F_MAP:
		want = "a mapping";
		if (v->type != YAML_MAPPING_NODE)
			break;
		*(yaml_node_t **)dst = v;
		return KCS_OK;
	case F_SEQ:
	default:
		want = "a list";
		if (v->type != YAML_SEQUENCE_NODE)
			break;
		*(yaml_node_t **)dst = v;
		return KCS_OK;
	}
	return ferr(err, KCS_ERR_CONFIG, f->path,
		    subpath(sub, path, fd->key),
		    "expected %s, got %s", want, node_kind(v));
}

/*
 * Fill `dst` from the mapping `map` by the table `fields`. Unknown keys
 * are ignored, as kubectl ignores them; a repeated key: the last one wins.
 */
static enum kcs_err walk_map(struct kc_file *f, yaml_node_t *map,
			     const struct field *fields, size_t n_fields,
			     void *dst, const char *path,
			     struct kcs_error *err)
{
	yaml_node_pair_t *pair;
	enum kcs_err rc;
	size_t i;

	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = node_get(f, pair->key);
		yaml_node_t *v = node_get(f, pair->value);

		if (!k || !v || k->type != YAML_SCALAR_NODE)
			continue;
		for (i = 0; i < n_fields; i++) {
			if (!scalar_is(k, fields[i].key))
				continue;
			rc = set_field(f, &fields[i], v,
				       (char *)dst + fields[i].off, path, err);
			if (rc)
				return rc;
			break;
		}
	}
	return KCS_OK;
}

/* Every element of the list `seq` at `path` must be a string (or null). */
static enum kcs_err check_strings(struct kc_file *f, yaml_node_t *seq,
				  const char *path, struct kcs_error *err)
{
	yaml_node_item_t *it;
	char sub[FIELD_PATH_MAX];
	yaml_node_t *v;

	if (!seq)
		return KCS_OK;
	for (it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++) {
		v = node_get(f, *it);
		if (!v || v->type == YAML_SCALAR_NODE)
			continue;
		pathf(sub, "%s[%td]", path,
			 it - seq->data.sequence.items.start);
		return ferr(err, KCS_ERR_CONFIG, f->path, sub,
			    "expected a string, got %s", node_kind(v));
	}
	return KCS_OK;
}

/* Element `i` of exec.env[] at `path` into `out`. */
static enum kcs_err walk_env(struct kc_file *f, yaml_node_t *v,
			     const char *path, struct raw_env *out,
			     struct kcs_error *err)
{
	memset(out, 0, sizeof(*out));
	if (!v || is_null(v))
		return KCS_OK;
	if (v->type != YAML_MAPPING_NODE)
		return ferr(err, KCS_ERR_CONFIG, f->path, path,
			    "expected a mapping, got %s", node_kind(v));
	return walk_map(f, v, env_fields, KCS_ARRAY_SIZE(env_fields), out, path,
			err);
}

static enum kcs_err walk_exec(struct kc_file *f, yaml_node_t *map,
			      const char *path, struct raw_exec *x,
			      struct kcs_error *err)
{
	char sub[FIELD_PATH_MAX];
	yaml_node_item_t *it;
	struct raw_env env;
	enum kcs_err rc;

	rc = walk_map(f, map, exec_fields, KCS_ARRAY_SIZE(exec_fields), x,
		      path, err);
	if (rc)
		return rc;
	rc = check_strings(f, x->args, subpath(sub, path, "args"),
			   err);
	if (rc || !x->env)
		return rc;
	for (it = x->env->data.sequence.items.start;
	     it < x->env->data.sequence.items.top; it++) {
		pathf(sub, "%s.env[%td]", path,
			 it - x->env->data.sequence.items.start);
		rc = walk_env(f, node_get(f, *it), sub, &env, err);
		if (rc)
			return rc;
	}
	return KCS_OK;
}

static enum kcs_err walk_user(struct kc_file *f, yaml_node_t *map,
			      const char *path, struct raw_user *u,
			      struct kcs_error *err)
{
	char sub[FIELD_PATH_MAX];
	enum kcs_err rc;

	rc = walk_map(f, map, user_fields, KCS_ARRAY_SIZE(user_fields), u,
		      path, err);
	if (rc)
		return rc;
	rc = check_strings(f, u->as_groups,
			   subpath(sub, path, "as-groups"), err);
	if (rc)
		return rc;
	if (u->auth_provider) {
		rc = walk_map(f, u->auth_provider, auth_provider_fields,
			      KCS_ARRAY_SIZE(auth_provider_fields), &u->ap,
			      subpath(sub, path, "auth-provider"),
			      err);
		if (rc)
			return rc;
	}
	if (u->exec)
		return walk_exec(f, u->exec,
				 subpath(sub, path, "exec"),
				 &u->ex, err);
	return KCS_OK;
}

/* Parse the body of an entry of kind `k` into the raw struct `dst`. */
static enum kcs_err walk_body(struct kc_file *f, enum kind k,
			      yaml_node_t *body, const char *path, void *dst,
			      struct kcs_error *err)
{
	if (!body)
		return KCS_OK;
	switch (k) {
	case K_CLUSTER:
		return walk_map(f, body, cluster_fields,
				KCS_ARRAY_SIZE(cluster_fields), dst, path, err);
	case K_CONTEXT:
		return walk_map(f, body, context_fields,
				KCS_ARRAY_SIZE(context_fields), dst, path, err);
	case K_USER:
	default:
		return walk_user(f, body, path, dst, err);
	}
}

/*
 * Merge the list `seq` (clusters, users or contexts) of file `fi`: a name
 * seen in an earlier file keeps that file's entry (client-go: "the first
 * file to set a particular map key wins"); a name twice in one file is an
 * error, as in client-go's conversion.
 */
static enum kcs_err merge_list(struct loader *ld, size_t fi, enum kind k,
			       yaml_node_t *seq, struct kcs_error *err)
{
	static const struct field *const named[K_COUNT] = {
		named_cluster_fields, named_user_fields, named_context_fields,
	};
	struct kc_file *f = &ld->files[fi];
	struct kc_list *l = &ld->lists[k];
	char path[FIELD_PATH_MAX], sub[FIELD_PATH_MAX];
	union {
		struct raw_cluster c;
		struct raw_user u;
		struct raw_context x;
	} raw;
	struct raw_named nm;
	struct kc_entry *e;
	yaml_node_item_t *it;
	yaml_node_t *v;
	enum kcs_err rc;
	size_t idx;

	for (it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++) {
		idx = (size_t)(it - seq->data.sequence.items.start);
		pathf(path, "%s[%zu]", list_key[k], idx);
		v = node_get(f, *it);
		if (!v || v->type != YAML_MAPPING_NODE)
			return ferr(err, KCS_ERR_CONFIG, f->path, path,
				    "expected a mapping, got %s",
				    v ? node_kind(v) : "nothing");
		memset(&nm, 0, sizeof(nm));
		rc = walk_map(f, v, named[k], 2, &nm, path, err);
		if (rc)
			return rc;
		if (!nonempty(nm.name))
			return ferr(err, KCS_ERR_CONFIG, f->path,
				    subpath(sub, path, "name"),
				    "missing");
		memset(&raw, 0, sizeof(raw));
		rc = walk_body(f, k, nm.body,
			       subpath(sub, path, body_key[k]),
			       &raw, err);
		if (rc)
			return rc;
		e = list_find(l, nm.name);
		if (e && e->file == fi)
			return ferr(err, KCS_ERR_CONFIG, f->path,
				    subpath(sub, path, "name"),
				    "duplicate %s name '%s'", body_key[k],
				    nm.name);
		if (e)
			continue; /* an earlier file defined it: it wins */
		e = list_push(l);
		if (!e)
			return nomem(err);
		e->name = nm.name;
		e->file = fi;
		e->index = idx;
		if (k == K_CLUSTER)
			((struct kc_cluster *)(void *)e)->raw = raw.c;
		else if (k == K_USER)
			((struct kc_user *)(void *)e)->raw = raw.u;
		else
			((struct kc_context *)(void *)e)->raw = raw.x;
	}
	return KCS_OK;
}

/* Merge one parsed file into the loader. */
static enum kcs_err merge_file(struct loader *ld, size_t fi,
			       struct kcs_error *err)
{
	struct kc_file *f = &ld->files[fi];
	yaml_node_t *root = yaml_document_get_root_node(&f->doc);
	struct raw_top top;
	enum kcs_err rc;
	int k;

	if (!root || is_null(root))
		return KCS_OK; /* an empty file defines nothing */
	if (root->type != YAML_MAPPING_NODE)
		return ferr(err, KCS_ERR_CONFIG, f->path, NULL,
			    "expected a mapping at the top level, got %s",
			    node_kind(root));
	memset(&top, 0, sizeof(top));
	rc = walk_map(f, root, top_fields, KCS_ARRAY_SIZE(top_fields), &top,
		      "", err);
	if (rc)
		return rc;
	for (k = 0; k < K_COUNT; k++) {
		yaml_node_t *seq = k == K_CLUSTER ? top.clusters
				   : k == K_USER  ? top.users
						  : top.contexts;

		if (seq) {
			rc = merge_list(ld, fi, (enum kind)k, seq, err);
			if (rc)
				return rc;
		}
	}
	if (!ld->current_context && nonempty(top.current_context))
		ld->current_context = top.current_context;
	return KCS_OK;
}

/* Wipe what libyaml's reader buffered of the input (it may hold keys). */
static void parser_wipe_delete(yaml_parser_t *p)
{
	size_t n;

	if (p->raw_buffer.start) {
		n = (size_t)(p->raw_buffer.end - p->raw_buffer.start);
		OPENSSL_cleanse(p->raw_buffer.start, n);
	}
	if (p->buffer.start)
		OPENSSL_cleanse(p->buffer.start,
				(size_t)(p->buffer.end - p->buffer.start));
	yaml_parser_delete(p);
}

/* Parse `data` (JSON is YAML too) into f->doc. */
static enum kcs_err parse_yaml(struct kc_file *f, const unsigned char *data,
			       size_t len, struct kcs_error *err)
{
	yaml_parser_t p;
	enum kcs_err rc = KCS_OK;

	if (!yaml_parser_initialize(&p))
		return nomem(err);
	yaml_parser_set_input_string(&p, data, len);
	if (yaml_parser_load(&p, &f->doc)) {
		f->loaded = 1;
		goto out;
	}
	if (p.error == YAML_MEMORY_ERROR) {
		rc = nomem(err);
	} else if (p.error == YAML_READER_ERROR) {
		rc = ferr(err, KCS_ERR_CONFIG, f->path, NULL,
			  "invalid yaml at byte %zu: %s", p.problem_offset,
			  p.problem ? p.problem : "unreadable input");
		if (err && err->code == KCS_ERR_CONFIG)
			err->offset = (long long)p.problem_offset;
	} else {
		rc = ferr(err, KCS_ERR_CONFIG, f->path, NULL,
			  "invalid yaml at line %zu, column %zu: %s%s%s",
			  p.problem_mark.line + 1, p.problem_mark.column + 1,
			  p.problem ? p.problem : "syntax error",
			  p.context ? " " : "", p.context ? p.context : "");
		if (err && err->code == KCS_ERR_CONFIG)
			err->offset = (long long)p.problem_mark.index;
	}
out:
	parser_wipe_delete(&p);
	return rc;
}

/* Read, parse and merge file `fi`; skip it if missing, unless explicit. */
static enum kcs_err load_file(struct loader *ld, size_t fi,
			      struct kcs_error *err)
{
	struct kc_file *f = &ld->files[fi];
	struct kcs_blob data = { NULL, 0 };
	enum kcs_err rc;
	int eno;

	rc = read_file(f->path, KCS_KUBECONFIG_MAX, &data, &eno);
	if (rc == KCS_ERR_IO && eno == ENOENT && !ld->explicit)
		return KCS_OK;
	if (rc == KCS_ERR_IO) {
		kcs_error_source(err, f->path);
		return kcs_error_set(err, KCS_ERR_IO,
				     "cannot read kubeconfig '%s': %s",
				     f->path, strerror(eno));
	}
	if (rc == KCS_ERR_LIMIT) {
		kcs_error_source(err, f->path);
		return kcs_error_set(err, KCS_ERR_LIMIT,
				     "kubeconfig '%s' is larger than %d bytes",
				     f->path, KCS_KUBECONFIG_MAX);
	}
	if (rc)
		return nomem(err);
	f->dir = file_dir(f->path);
	if (!f->dir)
		rc = nomem(err);
	else
		rc = parse_yaml(f, data.data, data.len, err);
	kcs_blob_release(&data);
	if (rc)
		return rc;
	ld->n_loaded++;
	return merge_file(ld, fi, err);
}

/* Append `path` (n bytes) to the file list unless already there. */
static enum kcs_err add_file(struct loader *ld, const char *path, size_t n,
			     size_t cap)
{
	size_t i;

	for (i = 0; i < ld->n_files; i++)
		if (strlen(ld->files[i].path) == n &&
		    memcmp(ld->files[i].path, path, n) == 0)
			return KCS_OK; /* client-go deduplicates the list */
	if (ld->n_files == cap)
		return KCS_ERR_INTERNAL;
	ld->files[ld->n_files].path = kcs_strndup(path, n);
	if (!ld->files[ld->n_files].path)
		return KCS_ERR_NOMEM;
	ld->n_files++;
	return KCS_OK;
}

/* Step 1: the files of the first precedence step that applies. */
static enum kcs_err list_files(const struct kcs_config_request *req,
			       struct loader *ld, struct kcs_error *err)
{
	const char *list = NULL, *p, *colon;
	char home[FILE_PATH_MAX];
	size_t cap = 1;
	enum kcs_err rc = KCS_OK;

	if (nonempty(req->kubeconfig)) {
		ld->explicit = 1;
		list = req->kubeconfig;
	} else if (nonempty(req->env_kubeconfig)) {
		list = req->env_kubeconfig;
		for (p = list; *p; p++)
			cap += *p == ':';
	} else if (nonempty(req->env_home)) {
		snprintf(home, sizeof(home), "%s/.kube/config", req->env_home);
		list = home;
	} else {
		return KCS_OK;
	}
	ld->files = kcs_calloc(cap, sizeof(*ld->files));
	if (!ld->files)
		return nomem(err);
	if (ld->explicit || list == home) {
		rc = add_file(ld, list, strlen(list), cap);
	} else {
		for (p = list; !rc; p = colon + 1) {
			colon = strchr(p, ':');
			if (!colon)
				colon = p + strlen(p);
			if (colon > p) /* empty elements are ignored */
				rc = add_file(ld, p, (size_t)(colon - p), cap);
			if (!*colon)
				break;
		}
	}
	if (rc == KCS_ERR_NOMEM)
		return nomem(err);
	if (rc)
		return kcs_error_set(err, rc, "kubeconfig list overflow");
	return KCS_OK;
}

/* ---- resolving the chosen context ------------------------------------- */

static enum kcs_err dup_to(char **dst, const char *s, struct kcs_error *err)
{
	*dst = kcs_strdup(s);
	return *dst ? KCS_OK : nomem(err);
}

/* Read the file named by field `fpath` of file `f` into `out`. */
static enum kcs_err load_cred_file(const struct kc_file *f, const char *fpath,
				   const char *name, struct kcs_blob *out,
				   char **resolved, struct kcs_error *err)
{
	char prefix[KCS_ERROR_MSG_MAX];
	enum kcs_err rc;
	char *path;
	int eno;

	path = path_join(f->dir, name);
	if (!path)
		return nomem(err);
	rc = read_file(path, KCS_CREDFILE_MAX, out, &eno);
	if (rc == KCS_OK && out->len == 0) {
		kcs_blob_release(out);
		rc = KCS_ERR_IO;
		eno = 0;
	}
	if (rc) {
		snprintf(prefix, sizeof(prefix), "'%s': %s: ", f->path, fpath);
		rc = file_error(err, rc, eno, prefix, path, KCS_CREDFILE_MAX,
				f->path, KCS_ERR_IO);
		kcs_free(path);
		return rc;
	}
	if (resolved)
		*resolved = path;
	else
		kcs_free(path);
	return KCS_OK;
}

/* Decode the base64 field `fpath` of file `f` into `out`. */
static enum kcs_err load_data_field(const struct kc_file *f,
				    const char *fpath, const char *text,
				    struct kcs_blob *out,
				    struct kcs_error *err)
{
	enum kcs_err rc = b64_decode(text, out);

	if (rc == KCS_ERR_NOMEM)
		return nomem(err);
	if (rc)
		return ferr(err, KCS_ERR_CONFIG, f->path, fpath,
			    "invalid base64");
	return KCS_OK;
}

/*
 * A *-data field wins over its file field (client-go: "certificate-
 * authority-data will override"). Either may be absent; *loaded tells
 * whether anything was read.
 */
static enum kcs_err load_pem(const struct kc_file *f, const char *base,
			     const char *field, const char *file_name,
			     const char *data_text, struct kcs_blob *out,
			     char **source, struct kcs_error *err)
{
	char fpath[FIELD_PATH_MAX];
	enum kcs_err rc;

	if (nonempty(data_text)) {
		pathf(fpath, "%s.%s-data", base, field);
		rc = load_data_field(f, fpath, data_text, out, err);
		if (rc)
			return rc;
		if (out->data) {
			pathf(fpath, "%s-data", field);
			return source ? dup_to(source, fpath, err) : KCS_OK;
		}
		/* only whitespace: as if it were not there */
	}
	if (!nonempty(file_name))
		return KCS_OK;
	pathf(fpath, "%s.%s", base, field);
	return load_cred_file(f, fpath, file_name, out, source, err);
}

static int has_scheme(const char *url, const char *scheme)
{
	size_t n = strlen(scheme);

	return strncasecmp(url, scheme, n) == 0;
}

static enum kcs_err resolve_cluster(const struct loader *ld,
				    const struct kc_cluster *cl,
				    struct kcs_restconfig *out,
				    struct kcs_error *err)
{
	const struct raw_cluster *c = &cl->raw;
	const struct kc_file *f = &ld->files[cl->e.file];
	char base[FIELD_PATH_MAX], fpath[FIELD_PATH_MAX];
	const char *host;
	size_t n;

	pathf(base, "clusters[%zu].cluster", cl->e.index);
	pathf(fpath, "%s.server", base);
	if (!nonempty(c->server))
		return ferr(err, KCS_ERR_CONFIG, f->path, fpath,
			    "cluster '%s' has no server", cl->e.name);
	if (has_scheme(c->server, "https://"))
		host = c->server + 8;
	else if (has_scheme(c->server, "http://"))
		host = c->server + 7;
	else
		return ferr(err, KCS_ERR_CONFIG, f->path, fpath,
			    "server of cluster '%s' is not an https:// or "
			    "http:// URL", cl->e.name);
	if (!*host || *host == '/')
		return ferr(err, KCS_ERR_CONFIG, f->path, fpath,
			    "server of cluster '%s' has no host", cl->e.name);
	n = strlen(c->server);
	if (c->server[n - 1] == '/')
		n--; /* one trailing slash: we append "/api/..." ourselves */
	out->server = kcs_strndup(c->server, n);
	if (!out->server)
		return nomem(err);
	if (c->insecure && (nonempty(c->ca) || nonempty(c->ca_data)))
		return ferr(err, KCS_ERR_CONFIG, f->path, base,
			    "specifying a root certificates file with the "
			    "insecure flag is not allowed");
	out->insecure = c->insecure;
	out->disable_compression = c->disable_compression;
	if (nonempty(c->proxy_url)) {
		/* client-go's parseProxyURL; the URL may hold a password */
		if (!has_scheme(c->proxy_url, "http://") &&
		    !has_scheme(c->proxy_url, "https://") &&
		    !has_scheme(c->proxy_url, "socks5://"))
			return ferr(err, KCS_ERR_CONFIG, f->path,
				    subpath(fpath, base,
					    "proxy-url"),
				    "unsupported proxy scheme, must be http, "
				    "https or socks5");
		out->proxy_url = kcs_strdup(c->proxy_url);
		if (!out->proxy_url)
			return nomem(err);
	}
	if (nonempty(c->tls_server_name)) {
		out->tls_server_name = kcs_strdup(c->tls_server_name);
		if (!out->tls_server_name)
			return nomem(err);
	}
	return load_pem(f, base, "certificate-authority", c->ca, c->ca_data,
			&out->ca, &out->ca_source, err);
}

static int valid_mode(const char *m)
{
	return strcmp(m, "Never") == 0 || strcmp(m, "IfAvailable") == 0 ||
	       strcmp(m, "Always") == 0;
}

/* "NAME=value" for the exec plugin's environment; NULL when out of memory. */
static char *env_entry(const char *name, const char *value)
{
	size_t nl = strlen(name), vl = value ? strlen(value) : 0;
	char *s = kcs_malloc(nl + vl + 2);

	if (!s)
		return NULL;
	memcpy(s, name, nl);
	s[nl] = '=';
	if (vl)
		memcpy(s + nl + 1, value, vl);
	s[nl + 1 + vl] = '\0';
	return s;
}

static void exec_free(struct kcs_exec_config *x)
{
	size_t i;

	if (!x)
		return;
	kcs_free(x->api_version);
	kcs_free(x->command);
	for (i = 0; x->args && x->args[i]; i++)
		kcs_free(x->args[i]);
	kcs_free(x->args);
	/* env values may be secrets (client IDs, profiles): wipe them */
	for (i = 0; x->env && x->env[i]; i++)
		kcs_free_secret_str(x->env[i]);
	kcs_free(x->env);
	kcs_free(x->install_hint);
	kcs_free(x->interactive_mode);
	kcs_free(x);
}

static enum kcs_err exec_args(struct kc_file *f, const struct raw_exec *r,
			      const char *base, struct kcs_exec_config *x,
			      struct kcs_error *err)
{
	size_t n = 0, i = 0;
	yaml_node_item_t *it;
	const char *s;
	yaml_node_t *v;

	if (r->args)
		n = (size_t)(r->args->data.sequence.items.top -
			     r->args->data.sequence.items.start);
	if (n > KCS_EXEC_MAX_ARGS)
		return ferr(err, KCS_ERR_LIMIT, f->path, base,
			    "more than %d args", KCS_EXEC_MAX_ARGS);
	x->args = kcs_calloc(n + 1, sizeof(*x->args));
	if (!x->args)
		return nomem(err);
	for (it = n ? r->args->data.sequence.items.start : NULL;
	     i < n; it++, i++) {
		v = node_get(f, *it);
		/* check_strings made these scalars; null means "" */
		s = v && !is_null(v) ? (const char *)v->data.scalar.value : "";
		x->args[i] = kcs_strdup(s);
		if (!x->args[i])
			return nomem(err);
		x->n_args++;
	}
	return KCS_OK;
}

static enum kcs_err exec_env(struct kc_file *f, const struct raw_exec *r,
			     const char *base, struct kcs_exec_config *x,
			     struct kcs_error *err)
{
	char path[FIELD_PATH_MAX], sub[FIELD_PATH_MAX];
	size_t n = 0, i = 0;
	yaml_node_item_t *it;
	struct raw_env ev;
	enum kcs_err rc;

	if (r->env)
		n = (size_t)(r->env->data.sequence.items.top -
			     r->env->data.sequence.items.start);
	if (n > KCS_EXEC_MAX_ARGS)
		return ferr(err, KCS_ERR_LIMIT, f->path,
			    subpath(path, base, "env"),
			    "more than %d entries", KCS_EXEC_MAX_ARGS);
	x->env = kcs_calloc(n + 1, sizeof(*x->env));
	if (!x->env)
		return nomem(err);
	for (it = n ? r->env->data.sequence.items.start : NULL; i < n;
	     it++, i++) {
		pathf(path, "%s.env[%zu]", base, i);
		rc = walk_env(f, node_get(f, *it), path, &ev, err);
		if (rc)
			return rc;
		if (!nonempty(ev.name))
			return ferr(err, KCS_ERR_CONFIG, f->path,
				    subpath(sub, path, "name"),
				    "missing");
		if (strchr(ev.name, '='))
			return ferr(err, KCS_ERR_CONFIG, f->path,
				    subpath(sub, path, "name"),
				    "'%s' contains '='", ev.name);
		x->env[i] = env_entry(ev.name, ev.value);
		if (!x->env[i])
			return nomem(err);
		x->n_env++;
	}
	return KCS_OK;
}

/* Turn users[i].user.exec into a kcs_exec_config, checking it as client-go. */
static enum kcs_err build_exec(struct kc_file *f, const struct raw_exec *r,
			       const char *base,
			       struct kcs_exec_config **outp,
			       struct kcs_error *err)
{
	static const char v1[] = "client.authentication.k8s.io/v1";
	static const char v1beta1[] = "client.authentication.k8s.io/v1beta1";
	char fpath[FIELD_PATH_MAX];
	struct kcs_exec_config *x = NULL;
	enum kcs_err rc = KCS_OK;

	*outp = NULL;
	if (!nonempty(r->api_version))
		return ferr(err, KCS_ERR_CONFIG, f->path,
			    subpath(fpath, base, "apiVersion"),
			    "missing (use %s)", v1);
	if (strcmp(r->api_version, v1) != 0 &&
	    strcmp(r->api_version, v1beta1) != 0)
		return ferr(err, KCS_ERR_CONFIG, f->path,
			    subpath(fpath, base, "apiVersion"),
			    "'%s' is not supported (use %s or %s)",
			    r->api_version, v1, v1beta1);
	if (!nonempty(r->command))
		return ferr(err, KCS_ERR_CONFIG, f->path,
			    subpath(fpath, base, "command"),
			    "missing");
	subpath(fpath, base, "interactiveMode");
	if (nonempty(r->interactive_mode) && !valid_mode(r->interactive_mode))
		return ferr(err, KCS_ERR_CONFIG, f->path, fpath,
			    "'%s' is not one of Never, IfAvailable, Always",
			    r->interactive_mode);
	if (!nonempty(r->interactive_mode) && strcmp(r->api_version, v1) == 0)
		return ferr(err, KCS_ERR_CONFIG, f->path, fpath,
			    "missing (required for %s: Never, IfAvailable or "
			    "Always)", v1);
	x = kcs_calloc(1, sizeof(*x));
	if (!x)
		return nomem(err);
	x->api_version = kcs_strdup(r->api_version);
	/* a relative command with a '/' is relative to the kubeconfig; a bare
	 * name is looked up on PATH (client-go loader.go) */
	x->command = strchr(r->command, '/') ? path_join(f->dir, r->command)
					     : kcs_strdup(r->command);
	if (nonempty(r->install_hint))
		x->install_hint = kcs_strdup(r->install_hint);
	if (nonempty(r->interactive_mode))
		x->interactive_mode = kcs_strdup(r->interactive_mode);
	x->provide_cluster_info = r->provide_cluster_info;
	if (!x->api_version || !x->command ||
	    (nonempty(r->install_hint) && !x->install_hint) ||
	    (nonempty(r->interactive_mode) && !x->interactive_mode)) {
		rc = nomem(err);
		goto out;
	}
	rc = exec_args(f, r, subpath(fpath, base, "args"), x,
		       err);
	if (!rc)
		rc = exec_env(f, r, base, x, err);
out:
	if (rc) {
		exec_free(x);
		return rc;
	}
	*outp = x;
	return KCS_OK;
}

/* Refuse what we do not implement, naming the field. */
static enum kcs_err refuse_unsupported(const struct kc_file *f,
				       const struct raw_user *u,
				       const char *base, struct kcs_error *err)
{
	char fpath[FIELD_PATH_MAX];

	if (u->auth_provider)
		return ferr(err, KCS_ERR_CONFIG, f->path,
			    subpath(fpath, base,
				    "auth-provider"),
			    "auth-provider '%s' is not supported; use an exec "
			    "credential plugin",
			    u->ap.name ? u->ap.name : "");
	if (nonempty(u->username) || nonempty(u->password))
		return ferr(err, KCS_ERR_CONFIG, f->path,
			    subpath(fpath, base,
				    nonempty(u->username) ? "username"
							  : "password"),
			    "basic authentication (username/password) is not "
			    "supported");
	if (nonempty(u->as) || nonempty(u->as_uid) ||
	    (u->as_groups && u->as_groups->data.sequence.items.top !=
				     u->as_groups->data.sequence.items.start) ||
	    (u->as_user_extra &&
	     u->as_user_extra->data.mapping.pairs.top !=
		     u->as_user_extra->data.mapping.pairs.start))
		return ferr(err, KCS_ERR_CONFIG, f->path, base,
			    "impersonation (as, as-uid, as-groups, "
			    "as-user-extra) is not supported");
	return KCS_OK;
}

static enum kcs_err resolve_user(struct loader *ld, const struct kc_user *ku,
				 struct kcs_restconfig *out,
				 struct kcs_error *err)
{
	const struct raw_user *u = &ku->raw;
	struct kc_file *f = &ld->files[ku->e.file];
	char base[FIELD_PATH_MAX], fpath[FIELD_PATH_MAX];
	char prefix[KCS_ERROR_MSG_MAX];
	int has_cert, has_key, eno;
	struct kcs_exec_config *x = NULL;
	enum kcs_err rc;

	pathf(base, "users[%zu].user", ku->e.index);
	rc = refuse_unsupported(f, u, base, err);
	if (rc)
		return rc;
	has_cert = nonempty(u->cert) || nonempty(u->cert_data);
	has_key = nonempty(u->key) || nonempty(u->key_data);
	if (has_cert && !has_key)
		return ferr(err, KCS_ERR_CONFIG, f->path, base,
			    "client-certificate given without client-key");
	if (has_key && !has_cert)
		return ferr(err, KCS_ERR_CONFIG, f->path, base,
			    "client-key given without client-certificate");
	rc = load_pem(f, base, "client-certificate", u->cert, u->cert_data,
		      &out->client_cert, NULL, err);
	if (!rc)
		rc = load_pem(f, base, "client-key", u->key, u->key_data,
			      &out->client_key, NULL, err);
	if (rc)
		return rc;
	if (!out->client_cert.data != !out->client_key.data)
		return ferr(err, KCS_ERR_CONFIG, f->path, base,
			    "client-certificate and client-key must both be "
			    "given");
	if (u->exec) {
		rc = build_exec(f, &u->ex, subpath(fpath, base,
						   "exec"),
				&x, err);
		if (rc)
			return rc;
	}
	if (nonempty(u->token)) {
		out->token = kcs_strdup(u->token);
		if (!out->token)
			goto oom;
	}
	if (nonempty(u->token_file)) {
		out->token_file = path_join(f->dir, u->token_file);
		if (!out->token_file)
			goto oom;
		/* client-go: an inline token is used as it is and the file
		 * only re-read later; otherwise the file is read now */
		if (!out->token) {
			rc = read_token(out->token_file, &out->token, &eno);
			if (rc) {
				snprintf(prefix, sizeof(prefix), "'%s': %s: ",
					 f->path,
					 subpath(fpath, base,
						 "tokenFile"));
				exec_free(x);
				return file_error(err, rc, eno, prefix,
						  out->token_file,
						  KCS_CREDFILE_MAX, f->path,
						  KCS_ERR_IO);
			}
		}
	}
	if (out->token)
		exec_free(x); /* a token wins over exec, as in client-go */
	else
		out->exec = x;
	return KCS_OK;
oom:
	exec_free(x);
	return nomem(err);
}

/* Step 3: the chosen context, its cluster and its user. */
static enum kcs_err resolve(const struct kcs_config_request *req,
			    struct loader *ld, struct kcs_restconfig *out,
			    struct kcs_error *err)
{
	char files[FILE_LIST_MAX];
	const struct kc_context *cx;
	const struct kc_cluster *cl;
	const struct kc_user *us = NULL;
	const struct kc_file *cf;
	const char *name, *ns;
	char fpath[FIELD_PATH_MAX];
	enum kcs_err rc;

	loaded_files(ld, files, sizeof(files));
	source_first(ld, err);
	name = nonempty(req->context) ? req->context : ld->current_context;
	if (!nonempty(name))
		return kcs_error_set(err, KCS_ERR_CONFIG,
				     "no current-context in '%s'; use "
				     "--context to choose one", files);
	cx = (const struct kc_context *)list_find(&ld->lists[K_CONTEXT], name);
	if (!cx)
		return kcs_error_set(err, KCS_ERR_CONFIG,
				     "context '%s' not found in '%s'", name,
				     files);
	cf = &ld->files[cx->e.file];
	pathf(fpath, "contexts[%zu].context.cluster",
		 cx->e.index);
	if (!nonempty(cx->raw.cluster))
		return ferr(err, KCS_ERR_CONFIG, cf->path, fpath,
			    "context '%s' names no cluster", name);
	cl = (const struct kc_cluster *)list_find(&ld->lists[K_CLUSTER],
						  cx->raw.cluster);
	if (!cl)
		return ferr(err, KCS_ERR_CONFIG, cf->path, fpath,
			    "cluster '%s' of context '%s' not found in '%s'",
			    cx->raw.cluster, name, files);
	if (nonempty(cx->raw.user)) {
		us = (const struct kc_user *)list_find(&ld->lists[K_USER],
						       cx->raw.user);
		pathf(fpath, "contexts[%zu].context.user",
			 cx->e.index);
		if (!us)
			return ferr(err, KCS_ERR_CONFIG, cf->path, fpath,
				    "user '%s' of context '%s' not found in "
				    "'%s'",
				    cx->raw.user, name, files);
	}
	if (nonempty(req->namespace))
		ns = req->namespace;
	else if (nonempty(cx->raw.namespace))
		ns = cx->raw.namespace;
	else
		ns = "default";
	rc = dup_to(&out->context, name, err);
	if (!rc)
		rc = dup_to(&out->cluster_name, cl->e.name, err);
	if (!rc && us)
		rc = dup_to(&out->user_name, us->e.name, err);
	if (!rc)
		rc = dup_to(&out->namespace, ns, err);
	if (!rc)
		rc = dup_to(&out->config_path,
			    ld->files[us ? us->e.file : cx->e.file].path, err);
	if (!rc)
		rc = resolve_cluster(ld, cl, out, err);
	if (!rc && us)
		rc = resolve_user(ld, us, out, err);
	return rc;
}

/* ---- in-cluster ---------------------------------------------------------- */

static const char *sa_dir(const struct kcs_config_request *req)
{
	return nonempty(req->sa_dir) ? req->sa_dir : KCS_SA_DIR;
}

/*
 * Whether the in-cluster configuration can be used: client-go's Possible()
 * wants both variables and a token file that is not a directory. Returns
 * KCS_OK if it can, KCS_ERR_CONFIG with the reason in `why` if not, or
 * KCS_ERR_NOMEM.
 */
static enum kcs_err in_cluster_possible(const struct kcs_config_request *req,
					char *why, size_t n)
{
	enum kcs_err rc = KCS_ERR_CONFIG;
	struct stat st;
	char *path;

	if (!nonempty(req->env_service_host) ||
	    !nonempty(req->env_service_port)) {
		snprintf(why, n, "KUBERNETES_SERVICE_HOST and "
			 "KUBERNETES_SERVICE_PORT are not set");
		return rc;
	}
	path = path_join(sa_dir(req), "token");
	if (!path)
		return KCS_ERR_NOMEM;
	if (stat(path, &st) != 0)
		snprintf(why, n, "cannot read '%s': %s", path, strerror(errno));
	else if (S_ISDIR(st.st_mode))
		snprintf(why, n, "'%s' is a directory", path);
	else
		rc = KCS_OK;
	kcs_free(path);
	return rc;
}

/* "https://host:port", with an IPv6 host in brackets (Go's JoinHostPort). */
static enum kcs_err in_cluster_url(const char *host, const char *port,
				   char **out, struct kcs_error *err)
{
	struct kcs_buf b = KCS_BUF_INIT(FILE_PATH_MAX);
	unsigned long v = 0;
	const char *p;

	for (p = port; *p; p++) {
		if (*p < '0' || *p > '9' || v > 65535)
			break;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (*p || v == 0 || v > 65535)
		return kcs_error_set(err, KCS_ERR_CONFIG,
				     "KUBERNETES_SERVICE_PORT '%s' is not a "
				     "port number", port);
	if (strpbrk(host, "/?#@ \t\r\n"))
		return kcs_error_set(err, KCS_ERR_CONFIG,
				     "KUBERNETES_SERVICE_HOST '%s' is not a "
				     "host name or address", host);
	if (strchr(host, ':') && host[0] != '[')
		kcs_buf_addf(&b, "https://[%s]:%s", host, port);
	else
		kcs_buf_addf(&b, "https://%s:%s", host, port);
	*out = kcs_buf_detach(&b, NULL);
	kcs_buf_release(&b);
	return *out ? KCS_OK : nomem(err);
}

/* The namespace file's content, trimmed; "default" if unreadable or empty. */
static enum kcs_err in_cluster_namespace(const char *dir, char **out,
					 struct kcs_error *err)
{
	char *path = path_join(dir, "namespace");
	char *ns = NULL;
	enum kcs_err rc;
	int eno;

	if (!path)
		return nomem(err);
	/* a namespace is no secret, but read_token trims just as needed */
	rc = read_token(path, &ns, &eno);
	kcs_free(path);
	if (rc == KCS_ERR_NOMEM)
		return nomem(err);
	if (rc) /* client-go ignores the file when it cannot read it */
		return dup_to(out, "default", err);
	*out = ns;
	return KCS_OK;
}

/* The service-account configuration of a pod (client-go InClusterConfig). */
static enum kcs_err load_in_cluster(const struct kcs_config_request *req,
				    struct kcs_restconfig *out,
				    struct kcs_error *err)
{
	const char *dir = sa_dir(req);
	char *path = NULL;
	enum kcs_err rc;
	int eno;

	out->in_cluster = 1;
	rc = in_cluster_url(req->env_service_host, req->env_service_port,
			    &out->server, err);
	if (rc)
		return rc;
	out->token_file = path_join(dir, "token");
	if (!out->token_file)
		return nomem(err);
	rc = read_token(out->token_file, &out->token, &eno);
	if (rc)
		return file_error(err, rc, eno, "service account token: ",
				  out->token_file, KCS_CREDFILE_MAX,
				  out->token_file, KCS_ERR_CONFIG);
	path = path_join(dir, "ca.crt");
	if (!path)
		return nomem(err);
	rc = read_file(path, KCS_CREDFILE_MAX, &out->ca, &eno);
	if (rc == KCS_ERR_IO && eno == ENOENT) {
		/* as client-go: without ca.crt, the system trust store */
		kcs_free(path);
		rc = KCS_OK;
	} else if (rc) {
		rc = file_error(err, rc, eno, "service account CA: ", path,
				KCS_CREDFILE_MAX, path, KCS_ERR_IO);
		kcs_free(path);
		return rc;
	} else {
		out->ca_source = path;
	}
	if (nonempty(req->namespace))
		return dup_to(&out->namespace, req->namespace, err);
	return in_cluster_namespace(dir, &out->namespace, err);
}

/* Nothing in the kubeconfig files: in-cluster, or say what is missing. */
static enum kcs_err fall_back(const struct kcs_config_request *req,
			      const struct loader *ld,
			      struct kcs_restconfig *out,
			      struct kcs_error *err)
{
	char files[FILE_LIST_MAX], why[KCS_ERROR_MSG_MAX];
	const char *hint;
	enum kcs_err rc;

	loaded_files(ld, files, sizeof(files));
	source_first(ld, err);
	if (nonempty(req->context)) {
		if (ld->n_loaded)
			return kcs_error_set(err, KCS_ERR_CONFIG,
					     "context '%s' not found in '%s'",
					     req->context, files);
		return kcs_error_set(err, KCS_ERR_CONFIG,
				     "context '%s' not found: no kubeconfig "
				     "found", req->context);
	}
	rc = in_cluster_possible(req, why, sizeof(why));
	if (rc == KCS_OK)
		return load_in_cluster(req, out, err);
	if (rc == KCS_ERR_NOMEM)
		return nomem(err);
	if (ld->n_loaded)
		return kcs_error_set(err, KCS_ERR_CONFIG,
				     "kubeconfig '%s' is empty and not running "
				     "in a cluster (%s)", files, why);
	if (nonempty(req->env_kubeconfig))
		hint = "no file named in KUBECONFIG exists";
	else if (ld->n_files)
		hint = "~/.kube/config does not exist";
	else
		hint = "HOME is not set";
	return kcs_error_set(err, KCS_ERR_CONFIG,
			     "no kubeconfig found and not running in a cluster "
			     "(%s; %s): use --kubeconfig, set KUBECONFIG or "
			     "create ~/.kube/config",
			     hint, why);
}

/* ---- public API ------------------------------------------------------- */

void kcs_config_request_from_env(struct kcs_config_request *req)
{
	const char *sa = getenv("KUBECAPSCAN_SERVICEACCOUNT_DIR");

	req->env_kubeconfig = getenv("KUBECONFIG");
	req->env_home = getenv("HOME");
	req->env_service_host = getenv("KUBERNETES_SERVICE_HOST");
	req->env_service_port = getenv("KUBERNETES_SERVICE_PORT");
	req->sa_dir = nonempty(sa) ? sa : KCS_SA_DIR;
}

enum kcs_err kcs_config_load(const struct kcs_config_request *req,
			     struct kcs_restconfig *out,
			     struct kcs_error *err)
{
	struct loader ld;
	enum kcs_err rc;
	size_t i;

	memset(out, 0, sizeof(*out));
	memset(&ld, 0, sizeof(ld));
	ld.lists[K_CLUSTER].elsize = sizeof(struct kc_cluster);
	ld.lists[K_USER].elsize = sizeof(struct kc_user);
	ld.lists[K_CONTEXT].elsize = sizeof(struct kc_context);
	rc = list_files(req, &ld, err);
	for (i = 0; !rc && i < ld.n_files; i++)
		rc = load_file(&ld, i, err);
	if (rc)
		goto out;
	if (loader_is_empty(&ld))
		rc = fall_back(req, &ld, out, err);
	else
		rc = resolve(req, &ld, out, err);
out:
	if (rc)
		kcs_restconfig_release(out);
	loader_release(&ld);
	return rc;
}

void kcs_blob_release(struct kcs_blob *b)
{
	if (!b)
		return;
	if (b->data)
		kcs_free_secret(b->data, b->len);
	b->data = NULL;
	b->len = 0;
}

void kcs_restconfig_release(struct kcs_restconfig *c)
{
	if (!c)
		return;
	kcs_free(c->server);
	kcs_free(c->context);
	kcs_free(c->cluster_name);
	kcs_free(c->user_name);
	kcs_free(c->namespace);
	kcs_free(c->config_path);
	kcs_blob_release(&c->ca);
	kcs_free(c->ca_source);
	kcs_free(c->tls_server_name);
	kcs_free_secret_str(c->proxy_url); /* may hold a proxy password */
	kcs_blob_release(&c->client_cert);
	kcs_blob_release(&c->client_key);
	kcs_free_secret_str(c->token);
	kcs_free(c->token_file);
	exec_free(c->exec);
	memset(c, 0, sizeof(*c));
}

enum kcs_err kcs_config_reload_token(struct kcs_restconfig *c,
				     struct kcs_error *err)
{
	char *tok = NULL;
	enum kcs_err rc;
	int eno;

	if (!c->token_file) {
		if (c->token)
			return KCS_OK;
		return kcs_error_set(err, KCS_ERR_AUTH,
				     "no bearer token configured");
	}
	rc = read_token(c->token_file, &tok, &eno);
	if (rc == KCS_OK) {
		kcs_free_secret_str(c->token);
		c->token = tok;
		return KCS_OK;
	}
	if (c->token)
		return KCS_OK; /* keep the old token, as client-go does */
	return file_error(err, rc, eno, "token file: ", c->token_file,
			  KCS_CREDFILE_MAX, c->token_file, KCS_ERR_AUTH);
}
