/*
 * manifest.h - YAML manifests (`kubectl apply -f` input, `helm template`
 * output) turned into the JSON the streaming reader understands.
 *
 * A YAML stream is read one document at a time with libyaml's event
 * parser. Each document is loaded into a compact node tree (aliases stay
 * references) and written out as JSON with yajl_gen, typed exactly as
 * kubectl reads YAML (sigs.k8s.io/yaml over go-yaml v2, YAML 1.1):
 *
 *  - plain y Y yes Yes YES true True TRUE on On ON are true, n N no No NO
 *    false False FALSE off Off OFF are false; empty, ~, null, Null, NULL
 *    are null; ints (decimal, 0x, 0o, 0b, leading-0 octal, `_` ignored) and
 *    floats are numbers, written in decimal; everything else is a string;
 *  - quoted and block scalars, and `!!str`, are strings; `!!bool`, `!!int`,
 *    `!!float`, `!!null` are honoured (a value they do not fit is an error);
 *    `!!binary` is refused; other tags leave the text a string;
 *  - `.inf` and `.nan` values are refused (kubectl cannot convert them to
 *    JSON either);
 *  - int, float and bool keys become strings as kubectl makes them
 *    ("80", "true"); null keys and mapping or sequence keys are errors;
 *  - merge keys (`<<: *base`, `<<: [*a, *b]`) insert the merged mappings'
 *    keys; a key given twice in one mapping, by a merge too, is an error,
 *    as in kubectl's strict decoding (so a later duplicate can never hide
 *    an earlier value), and so are two keys equal once made strings;
 *  - object keys are written sorted, as Go's encoding/json writes them.
 *
 * Each document that is a mapping becomes one object for the reader; a
 * document with an `items` sequence (a `kind: List`, a `PodList`) is split,
 * each item becoming an object of its own with its own line number (an
 * item without a kind gets the list's kind minus "List"). Documents that
 * are empty or null (comments, bare `---`) are skipped; any other document
 * or list item that is not a mapping is an error.
 *
 * Namespace defaulting, as `kubectl apply -f` does: an object other than a
 * Namespace whose metadata.namespace is missing, null or "" gets the
 * default namespace (metadata is created when missing).
 *
 * Errors name the line (1-based) and never quote input bytes, except a
 * short printable key name.
 */
#ifndef KCS_MANIFEST_H
#define KCS_MANIFEST_H

#include <stddef.h>
#include "kcs/buf.h"
#include "kcs/compat.h"
#include "kcs/err.h"
#include "kcs/reader.h"

/*
 * Largest document, in input bytes (a whole `kind: List` is one document).
 * A document is held in memory while it is converted: about three times
 * its size at most. A stream of many documents is read one at a time.
 */
#define KCS_MANIFEST_MAX_DOC (64u * 1024 * 1024)
/* Most nodes (scalars, mappings, sequences, aliases) in one document. */
#define KCS_MANIFEST_MAX_NODES (8u * 1024 * 1024)
/*
 * Alias expansion budget per document (billion laughs): nodes and scalar
 * bytes written because an alias or a merge key repeated them.
 */
#define KCS_MANIFEST_MAX_EXPANDED_NODES (1024u * 1024)
#define KCS_MANIFEST_MAX_EXPANDED_BYTES (64u * 1024 * 1024)
/* Aliases nested inside what other aliases repeat. */
#define KCS_MANIFEST_MAX_ALIAS_DEPTH 32
/*
 * Nesting and scalar length follow the JSON reader's limits
 * (KCS_JSON_MAX_DEPTH levels, counted in the YAML as written and again
 * after alias expansion; KCS_JSON_MAX_STRING bytes per scalar).
 */

/* Called after each object has gone through the reader. */
typedef enum kcs_err (*kcs_manifest_doc_fn)(struct kcs_reader *r, void *user,
					    struct kcs_error *err);

struct kcs_manifest_opts {
	/*
	 * Display name: errors, and pods' source.file through
	 * kcs_reader_set_source(). Borrowed: it must outlive the scan (an
	 * argv string or a literal such as "(standard input)").
	 */
	const char *name;
	/* Namespace for objects without one; NULL: "default". Borrowed. */
	const char *default_namespace;
	/* May be NULL. An error it returns stops the stream. */
	kcs_manifest_doc_fn on_doc;
	void *user;
};

/*
 * Input callback, libyaml's shape: fill `buf` with up to `size` bytes, set
 * `*got` (0 at the end) and return 1, or return 0 on a read error.
 */
typedef int (*kcs_manifest_read_fn)(void *ctx, unsigned char *buf,
				    size_t size, size_t *got);

/*
 * Read a YAML stream through `rd` and run every object through `r`: for
 * each, kcs_reader_set_source(r, o->name, line), restart, feed, finish,
 * then o->on_doc. Errors fill `err` with "line N: ..." (source set to
 * o->name); a stream without any object is an error too, so an empty
 * `helm template` output does not pass.
 */
enum kcs_err kcs_manifest_read(struct kcs_reader *r, kcs_manifest_read_fn rd,
			       void *ctx, const struct kcs_manifest_opts *o,
			       struct kcs_error *err) KCS_WUR;

/* kcs_manifest_read() over `len` bytes in memory (tests, fuzzing). */
enum kcs_err kcs_manifest_mem(struct kcs_reader *r, const void *data,
			      size_t len, const struct kcs_manifest_opts *o,
			      struct kcs_error *err) KCS_WUR;

/*
 * The conversion alone, for tests: append each object's JSON to `out` as
 * one line "<line> <json>\n". Same rules and errors as kcs_manifest_read
 * (an empty stream is not an error here).
 */
enum kcs_err kcs_manifest_to_json(const void *data, size_t len,
				  const char *default_namespace,
				  struct kcs_buf *out,
				  struct kcs_error *err) KCS_WUR;

#endif /* KCS_MANIFEST_H */
