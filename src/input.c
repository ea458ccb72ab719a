/*
 * input.c - read loops feeding the streaming reader.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kcs/input.h"
#include "kcs/banned.h"

/* After a whole document: a Status body is an error, not an empty scan. */
static enum kcs_err check_doc(struct kcs_reader *r, struct kcs_error *err)
{
	const struct kcs_doc_info *in = kcs_reader_info(r);

	if (in->status.present)
		return kcs_error_set(err, KCS_ERR_PARSE,
				     "holds an API error (Status %lld %s), not objects: %s",
				     in->status.code, in->status.reason,
				     in->status.message);
	return KCS_OK;
}

enum kcs_err kcs_input_mem(struct kcs_reader *r, const void *data, size_t len,
			   size_t chunk, struct kcs_error *err)
{
	const unsigned char *p = data;
	enum kcs_err rc;
	size_t off = 0;

	rc = kcs_reader_restart(r, err);
	if (rc)
		return rc;
	if (!chunk)
		chunk = len ? len : 1;
	while (off < len) {
		size_t n = len - off < chunk ? len - off : chunk;

		rc = kcs_reader_feed(r, p + off, n, err);
		if (rc)
			return rc;
		off += n;
	}
	rc = kcs_reader_finish(r, err);
	if (rc)
		return rc;
	return check_doc(r, err);
}

enum kcs_err kcs_input_file(struct kcs_reader *r, const char *path,
			    struct kcs_error *err)
{
	static unsigned char chunk[KCS_INPUT_CHUNK];
	int is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	enum kcs_err rc;
	size_t n;

	kcs_error_source(err, is_stdin ? "(standard input)" : path);
	if (!f)
		return kcs_error_set(err, KCS_ERR_IO, "cannot open: %s",
				     strerror(errno));
	rc = kcs_reader_restart(r, err);
	while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = kcs_reader_feed(r, chunk, n, err);
	if (!rc && ferror(f))
		rc = kcs_error_set(err, KCS_ERR_IO, "cannot read: %s",
				   strerror(errno));
	if (!is_stdin)
		fclose(f);
	if (!rc)
		rc = kcs_reader_finish(r, err);
	if (!rc)
		rc = check_doc(r, err);
	return rc;
}
