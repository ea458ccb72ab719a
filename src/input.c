/*
 * input.c - read loops feeding the streaming reader: JSON straight in,
 * YAML through manifest.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kcs/input.h"
#include "kcs/manifest.h"
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

/*
 * An input: a FILE or memory, with the bytes already peeked at (held in
 * `pre`) served first.
 */
struct src {
	FILE *f;                  /* or NULL: memory */
	const unsigned char *mem;
	size_t mem_len, mem_off;
	const unsigned char *pre; /* peeked bytes not yet served */
	size_t pre_len;
	int read_errno;           /* errno of a failed read */
};

/* Next bytes: 1 with *got set (0 at the end), or 0 on a read error. */
static int src_read(void *ctx, unsigned char *buf, size_t size, size_t *got)
{
	struct src *s = ctx;
	size_t n;

	if (s->pre_len) {
		n = s->pre_len < size ? s->pre_len : size;
		memcpy(buf, s->pre, n);
		s->pre += n;
		s->pre_len -= n;
	} else if (!s->f) {
		n = s->mem_len - s->mem_off < size ? s->mem_len - s->mem_off
						   : size;
		memcpy(buf, s->mem + s->mem_off, n);
		s->mem_off += n;
	} else {
		n = fread(buf, 1, size, s->f);
		if (!n && ferror(s->f)) {
			s->read_errno = errno;
			*got = 0;
			return 0;
		}
	}
	*got = n;
	return 1;
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The whole JSON document, peeked bytes first. */
static enum kcs_err feed_json(struct kcs_reader *r, const char *name,
			      struct src *s, const struct kcs_input_opts *o,
			      struct kcs_error *err)
{
	static unsigned char chunk[KCS_INPUT_CHUNK];
	enum kcs_err rc;
	size_t n;

	/* workload manifests in JSON name their file (no line: streamed) */
	kcs_reader_set_source(r, name, 0);
	rc = kcs_reader_restart(r, err);
	while (!rc) {
		if (!src_read(s, chunk, sizeof(chunk), &n))
			return kcs_error_set(err, KCS_ERR_IO, "cannot read: %s",
					     strerror(s->read_errno));
		if (!n)
			break;
		rc = kcs_reader_feed(r, chunk, n, err);
	}
	if (!rc)
		rc = kcs_reader_finish(r, err);
	if (!rc)
		rc = check_doc(r, err);
	if (!rc && o && o->on_doc)
		o->on_doc(kcs_reader_info(r), o->user);
	return rc;
}

/* After each YAML object: the Status check, then the caller's hook. */
static enum kcs_err yaml_doc_done(struct kcs_reader *r, void *user,
				  struct kcs_error *err)
{
	const struct kcs_input_opts *o = user;
	enum kcs_err rc = check_doc(r, err);

	if (!rc && o && o->on_doc)
		o->on_doc(kcs_reader_info(r), o->user);
	return rc;
}

/* JSON or YAML, by the first byte that is not white space. */
static enum kcs_err dispatch(struct kcs_reader *r, const char *name,
			     struct src *s, const unsigned char *first,
			     const struct kcs_input_opts *o,
			     struct kcs_error *err)
{
	struct kcs_manifest_opts mo = { 0 };

	if (!first || *first == '{' || *first == '[')
		return feed_json(r, name, s, o, err);
	mo.name = name;
	mo.default_namespace = o ? o->default_namespace : NULL;
	mo.on_doc = yaml_doc_done;
	mo.user = (void *)o;
	return kcs_manifest_read(r, src_read, s, &mo, err);
}

enum kcs_err kcs_input_data(struct kcs_reader *r, const char *name,
			    const void *data, size_t len,
			    const struct kcs_input_opts *o,
			    struct kcs_error *err)
{
	struct src s = { 0 };
	const unsigned char *p = data;
	size_t i = 0;

	kcs_error_source(err, name);
	s.mem = p;
	s.mem_len = len;
	while (i < len && is_space(p[i]))
		i++;
	return dispatch(r, name, &s, i < len ? p + i : NULL, o, err);
}

enum kcs_err kcs_input_file_opts(struct kcs_reader *r, const char *path,
				 const struct kcs_input_opts *o,
				 struct kcs_error *err)
{
	static unsigned char peek[KCS_INPUT_CHUNK];
	int is_stdin = strcmp(path, "-") == 0;
	const char *name = is_stdin ? KCS_INPUT_STDIN_NAME : path;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	const unsigned char *first = NULL;
	struct src s = { 0 };
	enum kcs_err rc;
	size_t n = 0, i;

	kcs_error_source(err, name);
	if (!f)
		return kcs_error_set(err, KCS_ERR_IO, "cannot open: %s",
				     strerror(errno));
	s.f = f;
	/*
	 * Peek at the first chunk (fread fills it unless the input ends).
	 * A chunk of nothing but white space goes to the JSON reader, which
	 * skips it, as does an empty input (an error there, as before).
	 */
	n = fread(peek, 1, sizeof(peek), f);
	if (n < sizeof(peek) && ferror(f)) {
		rc = kcs_error_set(err, KCS_ERR_IO, "cannot read: %s",
				   strerror(errno));
		goto out;
	}
	for (i = 0; i < n && is_space(peek[i]); i++)
		;
	if (i < n)
		first = peek + i;
	s.pre = peek;
	s.pre_len = n;
	rc = dispatch(r, name, &s, first, o, err);
out:
	if (!is_stdin)
		fclose(f);
	return rc;
}

enum kcs_err kcs_input_file(struct kcs_reader *r, const char *path,
			    struct kcs_error *err)
{
	return kcs_input_file_opts(r, path, NULL, err);
}
