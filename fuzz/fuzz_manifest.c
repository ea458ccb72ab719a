/*
 * fuzz_manifest.c - YAML manifests: manifest.c's conversion and the reader
 * and the rules behind it.
 *
 * The input is a YAML stream (no header). It goes through:
 *   A  kcs_manifest_to_json(): every object's JSON must be valid JSON
 *      (checked with a validating yajl parser, no callbacks), start with
 *      `{`, come with a line number within the input, and converting again
 *      must give the same bytes and the same error (no hidden state);
 *   B  kcs_input_data() into a real reader and scan: for input that starts
 *      like YAML, its pods must each carry the source name and a line that
 *      A also reported, and every container verdict must follow
 *      docs/rules.md (a PASS container is never privileged and never adds
 *      NET_RAW/ALL/CAP_NET_RAW). If B succeeds, A must have succeeded with
 *      exactly as many objects as B's reader saw documents.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "kcs/alloc.h"
#include "kcs/audit.h"
#include "kcs/buf.h"
#include "kcs/input.h"
#include "kcs/manifest.h"
#include "kcs/reader.h"
#include "kcs/scan.h"
#include "fuzz.h"
#include "kcs/banned.h"

/* Display name given to the input; pods must carry this very pointer. */
static const char NAME[] = "fuzz.yaml";
/* Objects (lines) remembered from pass A to check B's lines against. */
#define MAX_LINES 4096

struct seen {
	unsigned long lines[MAX_LINES]; /* A's object lines, in order */
	size_t n_lines;                 /* how many A gave (may exceed) */
	size_t n_docs;                  /* B: documents through the reader */
	size_t n_pods;
	struct kcs_scan *scan;
};

static void check_json(const unsigned char *s, size_t len)
{
	yajl_handle h = yajl_alloc(NULL, NULL, NULL);

	FUZZ_CHECK(h != NULL);
	FUZZ_CHECK(len > 0 && s[0] == '{');
	FUZZ_CHECK(yajl_parse(h, s, len) == yajl_status_ok);
	FUZZ_CHECK(yajl_complete_parse(h) == yajl_status_ok);
	yajl_free(h);
}

/* Pass A: parse "<line> <json>\n" records. */
static void check_output(const char *out, size_t len, size_t input_lines,
			 struct seen *sn)
{
	const char *p = out, *end = out + len;

	sn->n_lines = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char *sp;
		unsigned long line;

		FUZZ_CHECK(nl != NULL);
		line = strtoul(p, &sp, 10);
		FUZZ_CHECK(sp > p && *sp == ' ');
		FUZZ_CHECK(line >= 1 && line <= input_lines);
		check_json((const unsigned char *)sp + 1,
			   (size_t)(nl - sp - 1));
		if (sn->n_lines < MAX_LINES)
			sn->lines[sn->n_lines] = line;
		sn->n_lines++;
		p = nl + 1;
	}
}

static int container_should_pass(const struct kcs_container *c)
{
	return !c->malformed && !c->privileged &&
	       !(c->add & (KCS_CAP_NET_RAW | KCS_CAP_PREFIXED | KCS_CAP_ALL)) &&
	       (c->drop & (KCS_CAP_ALL | KCS_CAP_NET_RAW));
}

static enum kcs_err on_pod(struct kcs_pod *pod, void *user,
			   struct kcs_error *err)
{
	struct seen *sn = user;
	size_t i, j;
	int found = 0;

	FUZZ_CHECK(pod->source.file == NAME);
	for (j = 0; j < sn->n_lines && j < MAX_LINES; j++)
		found |= sn->lines[j] == pod->source.line;
	FUZZ_CHECK(found || sn->n_lines > MAX_LINES);
	FUZZ_CHECK(pod->ns.len <= KCS_NAME_MAX && pod->ns.s[pod->ns.len] == 0);
	for (i = 0; i < pod->n; i++) {
		const struct kcs_container *c = &pod->containers[i];

		if (pod->windows)
			FUZZ_CHECK(c->verdict == KCS_VERDICT_NOT_APPLICABLE);
		else if (container_should_pass(c))
			FUZZ_CHECK(c->verdict == KCS_VERDICT_PASS);
		else
			FUZZ_CHECK(c->verdict == KCS_VERDICT_FAIL);
	}
	sn->n_pods++;
	return kcs_scan_pod(pod, sn->scan, err);
}

static enum kcs_err on_ns(const struct kcs_nsobj *ns, void *user,
			  struct kcs_error *err)
{
	struct seen *sn = user;

	return kcs_scan_namespace(ns, sn->scan, err);
}

static void on_doc(const struct kcs_doc_info *in, void *user)
{
	struct seen *sn = user;

	(void)in;
	sn->n_docs++;
}

/* Pass A once: output and error. */
static enum kcs_err convert(const uint8_t *data, size_t size,
			    struct kcs_buf *out, struct kcs_error *err)
{
	kcs_buf_init(out, 256u * 1024 * 1024);
	return kcs_manifest_to_json(data, size, "fuzz-ns", out, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct seen sn;
	struct kcs_buf out1, out2;
	struct kcs_error e1 = KCS_ERROR_INIT, e2 = KCS_ERROR_INIT;
	struct kcs_error eb = KCS_ERROR_INIT;
	struct kcs_input_opts io = { "fuzz-ns", on_doc, &sn };
	struct kcs_reader_cbs cbs = { on_pod, on_ns, &sn };
	struct kcs_reader *r;
	enum kcs_err ra, ra2, rb;
	size_t i, lines = 1, first = 0;

	/* libyaml's line breaks: LF, CR LF, CR, and NEL, LS, PS in UTF-8 */
	for (i = 0; i < size; i++)
		lines += data[i] == '\n' ||
			 (data[i] == '\r' &&
			  (i + 1 == size || data[i + 1] != '\n')) ||
			 (data[i] == 0x85 && i && data[i - 1] == 0xc2) ||
			 ((data[i] == 0xa8 || data[i] == 0xa9) && i > 1 &&
			  data[i - 1] == 0x80 && data[i - 2] == 0xe2);
	while (first < size && (data[first] == ' ' || data[first] == '\t' ||
				data[first] == '\r' || data[first] == '\n'))
		first++;

	/* A, twice: same bytes, same error */
	ra = convert(data, size, &out1, &e1);
	ra2 = convert(data, size, &out2, &e2);
	FUZZ_CHECK(ra == ra2 && !strcmp(e1.msg, e2.msg));
	FUZZ_CHECK(out1.len == out2.len &&
		   !memcmp(out1.buf, out2.buf, out1.len));
	if (ra)
		FUZZ_CHECK(e1.msg[0] && e1.code == ra);
	/* what was converted before an error is valid too (an object cut
	 * short by the error is dropped) */
	if (ra)
		while (out1.len && out1.buf[out1.len - 1] != '\n')
			out1.buf[--out1.len] = '\0';
	memset(&sn, 0, sizeof(sn));
	check_output(out1.buf, out1.len, lines, &sn);
	kcs_buf_release(&out1);
	kcs_buf_release(&out2);

	/* B: the real pipeline (JSON-looking input is the reader's alone) */
	if (first == size || data[first] == '{' || data[first] == '[')
		return 0;
	sn.n_docs = sn.n_pods = 0;
	sn.scan = kcs_scan_new(NULL);
	r = kcs_reader_new(&cbs, KCS_HINT_NONE);
	FUZZ_CHECK(sn.scan && r);
	rb = kcs_input_data(r, NAME, data, size, &io, &eb);
	if (rb == KCS_OK) {
		FUZZ_CHECK(ra == KCS_OK);
		FUZZ_CHECK(sn.n_docs == sn.n_lines);
	} else {
		FUZZ_CHECK(eb.msg[0] && eb.code == rb);
		FUZZ_CHECK(!strcmp(eb.source, NAME));
		/* a conversion error is found by both, with the same words
		 * (B may stop earlier, at the reader) */
		if (ra && sn.n_docs == sn.n_lines && rb != KCS_ERR_NOMEM)
			FUZZ_CHECK(rb == ra || rb == KCS_ERR_PARSE ||
				   rb == KCS_ERR_LIMIT);
	}
	kcs_reader_free(r);
	kcs_scan_free(sn.scan);
	return 0;
}
