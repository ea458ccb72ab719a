/*
 * fuzz_podlist.c - the streaming reader and the whole scan engine behind it.
 *
 * Input layout (4-byte header, then the JSON document):
 *   byte 0     largest chunk, 1..256 (byte + 1)
 *   byte 1     bit 0: pass B spools its pods in a listing transaction
 *              (kcs_scan_listing_begin/commit), as a live scan does
 *   bytes 2-3  split seed: 0 feeds fixed chunks through kcs_input_mem();
 *              anything else drives random chunk sizes 1..max
 *
 * The document is scanned twice, each time with a JSON and a table report
 * on memory streams:
 *   A  in one piece;
 *   B  in the chunks the header asks for.
 * Both must end with the same error code, offset and message, hand over
 * the same pods and namespaces in the same order (compared as a digest of
 * every field the rules read and every result they wrote) and write the
 * same reports byte for byte, so the spool's write/read round trip is
 * checked too. Every pod handed over must obey the rules of docs/rules.md:
 * a PASS container is never privileged, never adds NET_RAW or ALL, and
 * drops ALL or NET_RAW; re-auditing a container gives the same result.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcs/audit.h"
#include "kcs/input.h"
#include "kcs/reader.h"
#include "kcs/report.h"
#include "kcs/scan.h"
#include "fuzz.h"
#include "kcs/banned.h"

/* Header bytes before the document. */
#define HDR 4
/* Fixed report times, so the two passes' reports can be compared. */
#define T_START 1750000000
#define T_END 1750000060

/* One scan of the document and what its callbacks saw. */
struct pass {
	struct kcs_scan *scan;
	struct kcs_reader *reader;
	FILE *json, *table;         /* memory streams the reports write to */
	char *json_buf, *table_buf; /* their buffers (open_memstream's) */
	size_t json_len, table_len;
	struct fuzz_digest d;       /* every pod and namespace, in order */
	size_t n_pods, n_ns;        /* handed over by the reader */
	struct kcs_error err;       /* the input's error, if any */
	enum kcs_err rc;
};

/* The rule of docs/rules.md, written independently of audit.c. */
static int container_should_pass(const struct kcs_container *c)
{
	return !c->malformed && !c->privileged &&
	       !(c->add & (KCS_CAP_NET_RAW | KCS_CAP_PREFIXED | KCS_CAP_ALL)) &&
	       (c->drop & (KCS_CAP_ALL | KCS_CAP_NET_RAW));
}

static void check_name(const struct kcs_name *n)
{
	FUZZ_CHECK(n->len <= KCS_NAME_MAX);
	FUZZ_CHECK(n->s[n->len] == '\0');
}

static void check_pod(const struct kcs_pod *pod)
{
	size_t i, n_fail = 0, n_na = 0;

	check_name(&pod->ns);
	check_name(&pod->name);
	FUZZ_CHECK(pod->n <= pod->cap && pod->n <= KCS_POD_MAX_CONTAINERS);
	for (i = 0; i < pod->n; i++) {
		const struct kcs_container *c = &pod->containers[i];
		struct kcs_container again = *c;

		check_name(&c->name);
		if (pod->windows)
			FUZZ_CHECK(c->verdict == KCS_VERDICT_NOT_APPLICABLE);
		else if (container_should_pass(c))
			FUZZ_CHECK(c->verdict == KCS_VERDICT_PASS);
		else
			FUZZ_CHECK(c->verdict == KCS_VERDICT_FAIL);
		if (c->verdict == KCS_VERDICT_PASS) {
			FUZZ_CHECK(!c->privileged && !c->malformed);
			FUZZ_CHECK(!(c->add & (KCS_CAP_NET_RAW | KCS_CAP_ALL |
					       KCS_CAP_PREFIXED)));
		}
		kcs_audit_container(pod, &again);
		FUZZ_CHECK(again.verdict == c->verdict &&
			   again.reason == c->reason &&
			   again.flags == c->flags);
		n_fail += c->verdict == KCS_VERDICT_FAIL;
		n_na += c->verdict == KCS_VERDICT_NOT_APPLICABLE;
	}
	if (pod->verdict == KCS_VERDICT_PASS)
		FUZZ_CHECK(!n_fail && pod->reason == KCS_PR_NONE &&
			   !pod->malformed && n_na < pod->n);
	if (n_fail || pod->malformed || (!pod->n && !pod->windows))
		FUZZ_CHECK(pod->verdict == KCS_VERDICT_FAIL);
}

static void digest_pod(struct fuzz_digest *d, const struct kcs_pod *pod)
{
	size_t i;

	fuzz_digest_bytes(d, "pod", 3);
	fuzz_digest_bytes(d, pod->ns.s, pod->ns.len);
	fuzz_digest_bytes(d, pod->name.s, pod->name.len);
	fuzz_digest_bytes(d, pod->uid.s, pod->has_uid ? pod->uid.len : 0);
	fuzz_digest_u64(d, pod->has_uid | pod->windows << 1 |
			   pod->host_network << 2 | pod->malformed << 3);
	fuzz_digest_u64(d, (uint64_t)pod->verdict << 8 | pod->reason);
	for (i = 0; i < pod->n; i++) {
		const struct kcs_container *c = &pod->containers[i];

		fuzz_digest_bytes(d, c->name.s, c->name.len);
		fuzz_digest_u64(d, (uint64_t)c->type | (uint64_t)c->add << 8 |
				   (uint64_t)c->drop << 16 |
				   (uint64_t)c->has_sc << 24 |
				   (uint64_t)c->has_caps << 25 |
				   (uint64_t)c->privileged << 26 |
				   (uint64_t)c->malformed << 27);
		fuzz_digest_u64(d, (uint64_t)c->verdict |
				   (uint64_t)c->reason << 8 |
				   (uint64_t)c->flags << 16);
	}
}

static void digest_label(struct fuzz_digest *d, const struct kcs_label *l)
{
	FUZZ_CHECK(l->len <= KCS_LABEL_MAX && l->s[l->len] == '\0');
	fuzz_digest_u64(d, l->present);
	fuzz_digest_bytes(d, l->s, l->present ? l->len : 0);
}

static enum kcs_err on_pod(struct kcs_pod *pod, void *user,
			   struct kcs_error *err)
{
	struct pass *p = user;

	check_pod(pod);
	digest_pod(&p->d, pod);
	p->n_pods++;
	return kcs_scan_pod(pod, p->scan, err);
}

static enum kcs_err on_ns(const struct kcs_nsobj *ns, void *user,
			  struct kcs_error *err)
{
	struct pass *p = user;

	check_name(&ns->name);
	fuzz_digest_bytes(&p->d, "ns", 2);
	fuzz_digest_bytes(&p->d, ns->name.s, ns->name.len);
	fuzz_digest_bytes(&p->d, ns->uid.s, ns->has_uid ? ns->uid.len : 0);
	digest_label(&p->d, &ns->labels.enforce);
	digest_label(&p->d, &ns->labels.enforce_version);
	digest_label(&p->d, &ns->labels.audit);
	digest_label(&p->d, &ns->labels.audit_version);
	digest_label(&p->d, &ns->labels.warn);
	digest_label(&p->d, &ns->labels.warn_version);
	p->n_ns++;
	return kcs_scan_namespace(ns, p->scan, err);
}

/* A small xorshift generator for split points; never 0 once seeded. */
static uint32_t next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/*
 * Feed the document at random chunk sizes 1..max, then apply input.c's
 * rule that a Status body is an error (both passes of a random-split run
 * use this, so their messages agree).
 */
static enum kcs_err feed_random(struct kcs_reader *r, const uint8_t *doc,
				size_t len, size_t max, uint32_t seed,
				struct kcs_error *err)
{
	enum kcs_err rc = kcs_reader_restart(r, err);
	size_t off = 0, n;

	while (!rc && off < len) {
		n = seed ? 1 + next_rand(&seed) % max : len;
		if (n > len - off)
			n = len - off;
		rc = kcs_reader_feed(r, doc + off, n, err);
		off += n;
	}
	if (!rc)
		rc = kcs_reader_finish(r, err);
	if (!rc && kcs_reader_info(r)->status.present)
		rc = kcs_error_set(err, KCS_ERR_PARSE,
				   "holds an API error, not objects");
	return rc;
}

/* Open the scan, reader and reports of one pass; aborts on NOMEM. */
static void pass_open(struct pass *p)
{
	struct kcs_reader_cbs cbs = { on_pod, on_ns, p };
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_report *rep;

	memset(p, 0, sizeof(*p));
	p->err = (struct kcs_error)KCS_ERROR_INIT;
	fuzz_digest_init(&p->d);
	p->scan = kcs_scan_new(NULL);
	p->reader = kcs_reader_new(&cbs, KCS_HINT_NONE);
	p->json = open_memstream(&p->json_buf, &p->json_len);
	FUZZ_CHECK(p->scan && p->reader && p->json);
	kcs_scan_set_times(p->scan, T_START, T_END);
	rep = kcs_report_json_new(p->json);
	FUZZ_CHECK(rep && !kcs_scan_attach_report(p->scan, rep, &err));
	p->table = open_memstream(&p->table_buf, &p->table_len);
	FUZZ_CHECK(p->table);
	rep = kcs_report_table_new(p->table);
	FUZZ_CHECK(rep && !kcs_scan_attach_report(p->scan, rep, &err));
	FUZZ_CHECK(!kcs_scan_begin(p->scan, &err));
}

/* Record the outcome as main.c does, close the reports and the streams. */
static void pass_close(struct pass *p)
{
	static const char *const files[] = { "fuzz-input" };
	struct kcs_source src = { 0 };
	struct kcs_error err = KCS_ERROR_INIT;
	const char *note;

	if (p->rc) {
		FUZZ_CHECK(p->err.code == p->rc && p->err.msg[0]);
		kcs_scan_add_error(p->scan, &p->err);
	} else {
		kcs_scan_note_skipped(p->scan, kcs_reader_info(p->reader));
	}
	note = kcs_scan_skipped_note(p->scan);
	if (note)
		FUZZ_CHECK(!kcs_scan_add_warning(p->scan, "%s", note));
	src.kind = KCS_SOURCE_FILE;
	src.files = files;
	src.n_files = 1;
	FUZZ_CHECK(!kcs_scan_finish(p->scan, &src, p->rc == KCS_OK, &err));
	FUZZ_CHECK(kcs_scan_pod_counts(p->scan)->total == p->n_pods);
	kcs_reader_free(p->reader);
	kcs_scan_free(p->scan);
	FUZZ_CHECK(!ferror(p->json) && fclose(p->json) == 0);
	FUZZ_CHECK(p->json_len > 0);
	FUZZ_CHECK(!ferror(p->table) && fclose(p->table) == 0);
	FUZZ_CHECK(p->table_len > 0);
}

static void pass_free(struct pass *p)
{
	free(p->json_buf);
	free(p->table_buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pass a, b;
	struct kcs_error lerr = KCS_ERROR_INIT;
	const uint8_t *doc;
	size_t len, max;
	uint32_t seed;
	int spool;

	if (size < HDR)
		return 0;
	max = (size_t)data[0] + 1;
	spool = data[1] & 1;
	seed = (uint32_t)data[2] << 8 | data[3];
	doc = data + HDR;
	len = size - HDR;

	/* A: the whole document at once. */
	pass_open(&a);
	if (seed)
		a.rc = feed_random(a.reader, doc, len, len, 0, &a.err);
	else
		a.rc = kcs_input_mem(a.reader, doc, len, 0, &a.err);
	pass_close(&a);

	/* B: the same document in the chunks the header asks for. */
	pass_open(&b);
	if (spool)
		FUZZ_CHECK(!kcs_scan_listing_begin(b.scan, &lerr));
	if (seed)
		b.rc = feed_random(b.reader, doc, len, max, seed, &b.err);
	else
		b.rc = kcs_input_mem(b.reader, doc, len, max, &b.err);
	if (spool)
		FUZZ_CHECK(!kcs_scan_listing_commit(b.scan, &lerr));
	pass_close(&b);

	/* Chunking must not change anything anybody can see. */
	if (a.rc != b.rc || a.err.offset != b.err.offset ||
	    strcmp(a.err.msg, b.err.msg) != 0)
		fprintf(stderr,
			"whole: %d at %lld '%s'\nchunked: %d at %lld '%s'\n",
			a.rc, a.err.offset, a.err.msg, b.rc, b.err.offset,
			b.err.msg);
	FUZZ_CHECK(a.rc == b.rc);
	FUZZ_CHECK(a.err.offset == b.err.offset);
	FUZZ_CHECK(strcmp(a.err.msg, b.err.msg) == 0);
	FUZZ_CHECK(a.n_pods == b.n_pods && a.n_ns == b.n_ns);
	FUZZ_CHECK(a.d.h == b.d.h && a.d.n == b.d.n);
	FUZZ_CHECK(a.json_len == b.json_len &&
		   memcmp(a.json_buf, b.json_buf, a.json_len) == 0);
	FUZZ_CHECK(a.table_len == b.table_len &&
		   memcmp(a.table_buf, b.table_buf, a.table_len) == 0);
	pass_free(&a);
	pass_free(&b);
	return 0;
}
