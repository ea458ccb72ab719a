/*
 * reader.h - streaming reader for the JSON the Kubernetes API serves.
 *
 * A yajl callback state machine, fed in chunks of any size (a file read loop
 * or libcurl's write callback). It understands a PodList, NamespaceList,
 * PartialObjectMetadataList, a kubectl "v1 List" mixing kinds, a single Pod
 * or Namespace, and a Status error body. Each Pod is audited and handed to
 * `on_pod` the moment its object closes, then forgotten, so memory does not
 * grow with the number of pods. Only the fields the rules need are kept;
 * everything else is skipped without copying.
 *
 * One reader parses one JSON document. kcs_reader_restart() readies it for
 * the next document (the next page of a list) and keeps its buffers.
 */
#ifndef KCS_READER_H
#define KCS_READER_H

#include <stddef.h>
#include "kcs/audit.h"
#include "kcs/buf.h"
#include "kcs/compat.h"
#include "kcs/err.h"
#include "kcs/psa.h"

/*
 * Deepest JSON nesting accepted, skipped subtrees included. A pod's deepest
 * real path (managedFields fieldsV1 of a probe's httpHeaders) is about 15
 * levels; 64 leaves room and still bounds hostile input (collectd, jq).
 */
#define KCS_JSON_MAX_DEPTH 64
/*
 * Largest buffer yajl may need for one JSON string (key or value, with its
 * quotes and a NUL): strings up to 4 MiB less a few bytes are accepted.
 * The API server refuses
 * objects over 1.5 MiB, so no real pod holds a longer string; this keeps a
 * hostile input from making yajl grow a buffer without bound. It is
 * enforced when yajl has to buffer a string (one that spans chunks, as any
 * this long does when fed 64 KiB or less at a time), and reported at the
 * end of the chunk where the string crossed it.
 */
#define KCS_JSON_MAX_STRING (4u * 1024 * 1024)
/* Longest continue token kept; real ones are a few hundred bytes. */
#define KCS_CONTINUE_MAX (64 * 1024)
/* Longest resourceVersion kept; etcd revisions are decimal int64s. */
#define KCS_RV_MAX 128
/* Longest kind name compared; longer kinds are "other" kinds. */
#define KCS_KIND_MAX 63
/* Longest Status message kept (display only; longer ones are cut). */
#define KCS_STATUS_MSG_MAX 1024
/* Distinct skipped kind names remembered for the note; more are counted. */
#define KCS_SKIPPED_KINDS_MAX 8

/* A namespace as read: name, uid and its Pod Security labels. */
struct kcs_nsobj {
	struct kcs_name name;
	struct kcs_uid uid;
	unsigned char has_uid;
	struct kcs_psa_labels labels;
};

/* A `kind: Status` body (an API error), when the document was one. */
struct kcs_status {
	unsigned char present;       /* the document's kind was Status */
	long long code;              /* .code, 0 if absent */
	char status[32];             /* .status ("Failure") */
	char reason[64];             /* .reason ("Forbidden", "Expired") */
	char message[KCS_STATUS_MSG_MAX + 1]; /* .message, possibly cut */
};

/* What the reader learned about the document besides its items. */
struct kcs_doc_info {
	char kind[KCS_KIND_MAX + 1];  /* top-level kind, "" if absent */
	struct kcs_buf continue_token; /* metadata.continue, "" if absent */
	char resource_version[KCS_RV_MAX + 1]; /* metadata.resourceVersion */
	long long remaining_items;     /* metadata.remainingItemCount, or -1 */
	unsigned char is_list;         /* the document had an items array */
	size_t n_pods;                 /* pods handed to on_pod */
	size_t n_namespaces;           /* namespaces handed to on_namespace */
	size_t n_skipped;              /* items of other kinds skipped */
	size_t n_skipped_kinds;        /* distinct names in skipped_kinds */
	char skipped_kinds[KCS_SKIPPED_KINDS_MAX][KCS_KIND_MAX + 1];
	struct kcs_status status;
};

/* Called for each pod, already audited. Return KCS_OK or fill err. */
typedef enum kcs_err (*kcs_pod_fn)(struct kcs_pod *pod, void *user,
				   struct kcs_error *err);
/* Called for each namespace. Return KCS_OK or fill err. */
typedef enum kcs_err (*kcs_ns_fn)(const struct kcs_nsobj *ns, void *user,
				  struct kcs_error *err);

/*
 * What items without a kind of their own are, when the list's kind does not
 * say (it is read first when present, as the API and kubectl write it).
 */
enum kcs_reader_hint {
	KCS_HINT_NONE,
	KCS_HINT_PODS,
	KCS_HINT_NAMESPACES,
};

struct kcs_reader_cbs {
	kcs_pod_fn on_pod;      /* may be NULL: pods are then counted only */
	kcs_ns_fn on_namespace; /* may be NULL */
	void *user;
};

struct kcs_reader;

/* Returns a new reader, or NULL on allocation failure. Free with _free. */
struct kcs_reader *kcs_reader_new(const struct kcs_reader_cbs *cbs,
				  enum kcs_reader_hint hint) KCS_WUR;
void kcs_reader_free(struct kcs_reader *r);

/*
 * Feed the next `len` bytes of the document. On error returns the code and
 * fills `err` with a message naming the byte offset (never input bytes);
 * the reader must then not be fed again before kcs_reader_restart().
 */
enum kcs_err kcs_reader_feed(struct kcs_reader *r, const void *data,
			     size_t len, struct kcs_error *err) KCS_WUR;
/* Declare the end of the document; a truncated document is an error. */
enum kcs_err kcs_reader_finish(struct kcs_reader *r,
			       struct kcs_error *err) KCS_WUR;
/* Ready the reader for a new document, keeping hint, callbacks, memory. */
enum kcs_err kcs_reader_restart(struct kcs_reader *r,
				struct kcs_error *err) KCS_WUR;
/*
 * Stamp `file` (borrowed; NULL: none) and `line` on the source of every pod
 * emitted from now on (manifests: where the object came from).
 */
void kcs_reader_set_source(struct kcs_reader *r, const char *file,
			   unsigned long line);
/* Bytes fed since the document began. */
unsigned long long kcs_reader_offset(const struct kcs_reader *r);
/* What the document said besides its items; valid until the next restart. */
const struct kcs_doc_info *kcs_reader_info(const struct kcs_reader *r);

#endif /* KCS_READER_H */
