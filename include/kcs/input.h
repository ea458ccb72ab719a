/*
 * input.h - feed files (or standard input) through the streaming reader.
 *
 * A file is JSON when its first byte other than white space is `{` or `[`:
 * it then streams through the reader as it always has (a PodList of any
 * size in constant memory). Anything else is read as a YAML stream of
 * manifests (manifest.h): multi-document files, `kind: List`, `helm
 * template` output. Standard input ("-") works for both: the bytes peeked
 * at to decide are handed to the parser chosen.
 */
#ifndef KCS_INPUT_H
#define KCS_INPUT_H

#include <stddef.h>
#include "kcs/compat.h"
#include "kcs/err.h"
#include "kcs/reader.h"

/* Read size per chunk; the reader never needs a whole file in memory. */
#define KCS_INPUT_CHUNK (64 * 1024)
/* The name errors and pods' source.file give standard input. */
#define KCS_INPUT_STDIN_NAME "(standard input)"

/*
 * Called after each document has gone through the reader: once for a JSON
 * file, once per object for YAML. `info` is valid during the call only
 * (main gives it to kcs_scan_note_skipped()).
 */
typedef void (*kcs_input_doc_fn)(const struct kcs_doc_info *info, void *user);

struct kcs_input_opts {
	/*
	 * Namespace of YAML objects without metadata.namespace (as
	 * `kubectl apply -f` would use); NULL: "default". Borrowed.
	 */
	const char *default_namespace;
	kcs_input_doc_fn on_doc; /* may be NULL */
	void *user;
};

/*
 * Feed the file at `path` ("-" is standard input) to its end through `r`,
 * as JSON or YAML (see above). `path` is borrowed and must outlive the
 * scan: YAML pods carry it as source.file. `o` may be NULL (defaults). A
 * document that is a Status (an API error saved to a file) is an error, so
 * is a YAML stream without a single object. On error `err` names the file
 * and the byte offset (JSON) or the line (YAML); input bytes are never
 * quoted.
 */
enum kcs_err kcs_input_file_opts(struct kcs_reader *r, const char *path,
				 const struct kcs_input_opts *o,
				 struct kcs_error *err) KCS_WUR;

/* kcs_input_file_opts() with the defaults. */
enum kcs_err kcs_input_file(struct kcs_reader *r, const char *path,
			    struct kcs_error *err) KCS_WUR;

/*
 * The same choice for `len` bytes in memory called `name` (borrowed, must
 * outlive the scan), for tests and fuzzing.
 */
enum kcs_err kcs_input_data(struct kcs_reader *r, const char *name,
			    const void *data, size_t len,
			    const struct kcs_input_opts *o,
			    struct kcs_error *err) KCS_WUR;

/*
 * Feed `len` bytes of JSON from memory in chunks of `chunk` bytes (0: one
 * chunk), restarting `r` first. For tests and fuzzing.
 */
enum kcs_err kcs_input_mem(struct kcs_reader *r, const void *data, size_t len,
			   size_t chunk, struct kcs_error *err) KCS_WUR;

#endif /* KCS_INPUT_H */
