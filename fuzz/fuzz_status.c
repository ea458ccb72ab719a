/*
 * fuzz_status.c - API error bodies (kind: Status) through the reader.
 *
 * The live scan reads every non-2xx body with the same reader and takes
 * kcs_reader_info(r)->status from it to word its error, so the Status
 * fields must be bounded and NUL-terminated whatever the server sent, and
 * `present` must mean the document's kind really was Status. The body is
 * read once whole and once a byte at a time (bodies are small) and both
 * reads must agree; then it goes through kcs_input_mem(), which turns a
 * Status into an input error whose message must stay within its buffer.
 */
#include <stdint.h>
#include <string.h>

#include "kcs/input.h"
#include "kcs/reader.h"
#include "fuzz.h"
#include "kcs/banned.h"

/* Longest body read a byte at a time; longer ones go in 7-byte chunks. */
#define BYTEWISE_MAX 4096

/* Feed `data` in chunks of `chunk` bytes and finish. */
static enum kcs_err feed(struct kcs_reader *r, const uint8_t *data,
			 size_t size, size_t chunk, struct kcs_error *err)
{
	enum kcs_err rc = kcs_reader_restart(r, err);
	size_t off = 0, n;

	while (!rc && off < size) {
		n = size - off < chunk ? size - off : chunk;
		rc = kcs_reader_feed(r, data + off, n, err);
		off += n;
	}
	return rc ? rc : kcs_reader_finish(r, err);
}

static void check_status(const struct kcs_doc_info *in)
{
	const struct kcs_status *st = &in->status;

	FUZZ_CHECK(memchr(st->status, '\0', sizeof(st->status)) != NULL);
	FUZZ_CHECK(memchr(st->reason, '\0', sizeof(st->reason)) != NULL);
	FUZZ_CHECK(memchr(st->message, '\0', sizeof(st->message)) != NULL);
	FUZZ_CHECK(memchr(in->kind, '\0', sizeof(in->kind)) != NULL);
	FUZZ_CHECK(strlen(in->continue_token.buf) == in->continue_token.len ||
		   memchr(in->continue_token.buf, '\0',
			  in->continue_token.len) != NULL);
	FUZZ_CHECK(in->continue_token.len <= KCS_CONTINUE_MAX);
	if (st->present)
		FUZZ_CHECK(strcmp(in->kind, "Status") == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kcs_error e1 = KCS_ERROR_INIT, e2 = KCS_ERROR_INIT;
	struct kcs_error e3 = KCS_ERROR_INIT;
	struct kcs_reader *r = kcs_reader_new(NULL, KCS_HINT_PODS);
	struct kcs_status whole;
	enum kcs_err rc1, rc2, rc3;

	FUZZ_CHECK(r != NULL);
	rc1 = feed(r, data, size, size ? size : 1, &e1);
	check_status(kcs_reader_info(r));
	whole = kcs_reader_info(r)->status;

	rc2 = feed(r, data, size, size <= BYTEWISE_MAX ? 1 : 7, &e2);
	check_status(kcs_reader_info(r));
	FUZZ_CHECK(rc1 == rc2 && e1.offset == e2.offset);
	FUZZ_CHECK(strcmp(e1.msg, e2.msg) == 0);
	if (!rc1) {
		const struct kcs_status *st = &kcs_reader_info(r)->status;

		FUZZ_CHECK(whole.present == st->present);
		FUZZ_CHECK(whole.code == st->code);
		FUZZ_CHECK(!strcmp(whole.status, st->status) &&
			   !strcmp(whole.reason, st->reason) &&
			   !strcmp(whole.message, st->message));
	}

	/* input.c: a Status document is an error naming code and reason. */
	rc3 = kcs_input_mem(r, data, size, 0, &e3);
	FUZZ_CHECK(rc3 == e3.code);
	FUZZ_CHECK(memchr(e3.msg, '\0', sizeof(e3.msg)) != NULL);
	if (!rc1 && whole.present)
		FUZZ_CHECK(rc3 == KCS_ERR_PARSE);
	else
		FUZZ_CHECK(rc3 == rc1);
	kcs_reader_free(r);
	return 0;
}
