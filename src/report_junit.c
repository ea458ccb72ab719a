/*
 * report_junit.c - JUnit XML, as the test reporters of Jenkins, GitLab and
 * GitHub read it (the element and attribute set of Jenkins' junit-10.xsd).
 *
 * <testsuites> holds one <testsuite> for the scan itself ("scan complete",
 * an <error> when the scan is incomplete) and one per namespace, in name
 * order; a namespace's suite holds a <testcase> per pod (classname the
 * namespace, name the pod) and, when the namespace's own Pod Security
 * admission policy FAILs, a testcase "namespace admission (Pod Security)".
 * A failing pod's <failure> names every failing container's reason in
 * words; a NOT_APPLICABLE or EXEMPT pod is <skipped/>. Every suite's
 * <properties> carry the tool version, the control and benchmark, the scan
 * time and the cluster identity.
 *
 * Grouping by namespace must not hold the pods in memory (a scan of 150,000
 * pods runs in a few MiB), so each pod becomes a compact record in an
 * unlinked tmpfile(): its name, verdict and its failing or exempt
 * containers. The records of one namespace form a forward-linked list
 * through the file: the writer keeps only each namespace's first and last
 * record offsets and counts (memory grows with namespaces, never with
 * pods), and when a pod arrives it patches the `next` field of its
 * namespace's last record, in the write buffer when it is still there (the
 * usual case: live scans list pods in namespace order) or with pwrite().
 * At the end each namespace's list is read back through a read buffer.
 *
 * XML 1.0 cannot carry NUL or most control characters at all, not even as
 * character references, so those bytes, bytes that are not UTF-8 and the
 * noncharacters U+FFFE/U+FFFF are written as \xHH, and a backslash as \\,
 * which keeps the escape unambiguous. &, <, >, " are entities; tab, newline
 * and carriage return in attributes are character references, so attribute
 * normalisation cannot eat them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kcs/alloc.h"
#include "kcs/exempt.h"
#include "kcs/report.h"
#include "kcs/version.h"
#include "kcs/banned.h"

/* Write and read-back buffer sizes of the spool. */
#define SPOOL_BUF (64 * 1024)

/*
 * One pod in the spool: this header, the pod name, then n_items items
 * (struct jitem, then the container name). Copied with memcpy, so the
 * spool needs no alignment.
 */
struct jrec {
	unsigned long long next; /* next record of the namespace; 0: none */
	unsigned int n_items;    /* failing and exempt containers below */
	unsigned int n_fail;     /* of which failing */
	unsigned int n_ctrs;     /* containers in the pod */
	unsigned short name_len; /* pod name bytes (<= KCS_NAME_MAX) */
	unsigned char verdict;   /* enum kcs_verdict of the pod */
	unsigned char reason;    /* enum kcs_pod_reason */
	unsigned char na_reason; /* container reason of a NOT_APPLICABLE pod */
};

struct jitem {
	/* enum kcs_ctype, kcs_verdict, kcs_reason; KCS_F_* bits */
	unsigned char type, verdict, reason, flags;
	unsigned char exempt_source;     /* enum kcs_exempt_source */
	unsigned short name_len;         /* container name bytes that follow */
	unsigned short exempt_reason_len; /* then the exemption's reason */
	char exempt_expires[11];         /* "YYYY-MM-DD" or "" */
	unsigned long exempt_line;       /* exemptions file line, or 0 */
};

/* What the writer keeps per namespace. */
struct junit_ns {
	unsigned long long head, tail; /* first and last record offsets */
	unsigned long long pods;       /* records in the list */
	unsigned long long failures;   /* failing pods */
	unsigned long long skipped;    /* NOT_APPLICABLE and EXEMPT pods */
};

/* The unlinked temporary file, with a write and a read buffer. */
struct spool {
	FILE *f;                  /* tmpfile(), or NULL until the first pod */
	int fd;                   /* fileno(f): used with pwrite/pread only */
	int err;                  /* errno of the first failure; sticky */
	unsigned long long base;  /* file offset of wbuf[0] */
	size_t len;               /* bytes waiting in wbuf */
	unsigned long long rbase; /* file offset of rbuf[0] */
	size_t rlen;              /* valid bytes in rbuf */
	unsigned char wbuf[SPOOL_BUF];
	unsigned char rbuf[SPOOL_BUF];
};

struct junit_report {
	struct kcs_report base; /* must be first */
	FILE *out;              /* borrowed */
	struct kcs_nsmap *ns;   /* namespace name -> struct junit_ns */
	struct spool sp;
};

/* ---- the spool ------------------------------------------------------ */

static int pwrite_all(int fd, const void *p, size_t n, unsigned long long off)
{
	const unsigned char *b = p;

	while (n) {
		ssize_t w = pwrite(fd, b, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		b += w;
		n -= (size_t)w;
		off += (unsigned long long)w;
	}
	return 0;
}

static void spool_flush(struct spool *sp)
{
	if (sp->len && !sp->err)
		sp->err = pwrite_all(sp->fd, sp->wbuf, sp->len, sp->base);
	sp->base += sp->len;
	sp->len = 0;
}

static void spool_put(struct spool *sp, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n) {
		size_t room = SPOOL_BUF - sp->len, k = n < room ? n : room;

		memcpy(sp->wbuf + sp->len, b, k);
		sp->len += k;
		b += k;
		n -= k;
		if (sp->len == SPOOL_BUF)
			spool_flush(sp);
	}
}

/* Offset the next spool_put lands at, with `n` bytes kept in one buffer. */
static unsigned long long spool_reserve(struct spool *sp, size_t n)
{
	if (SPOOL_BUF - sp->len < n)
		spool_flush(sp);
	return sp->base + sp->len;
}

/* Point the record at `off` to the record at `next`. */
static void spool_link(struct spool *sp, unsigned long long off,
		       unsigned long long next)
{
	if (off >= sp->base) /* the whole header is still in the buffer */
		memcpy(sp->wbuf + (off - sp->base), &next, sizeof(next));
	else if (!sp->err)
		sp->err = pwrite_all(sp->fd, &next, sizeof(next), off);
}

/* Read `n` bytes at `off` through the read buffer; 0 or an errno. */
static int spool_read(struct spool *sp, unsigned long long off, void *p,
		      size_t n)
{
	unsigned char *b = p;

	while (n) {
		size_t k;

		if (off < sp->rbase || off >= sp->rbase + sp->rlen) {
			ssize_t r;

			do
				r = pread(sp->fd, sp->rbuf, SPOOL_BUF, (off_t)off);
			while (r < 0 && errno == EINTR);
			if (r <= 0)
				return r < 0 ? errno : EIO;
			sp->rbase = off;
			sp->rlen = (size_t)r;
		}
		k = (size_t)(sp->rbase + sp->rlen - off);
		if (k > n)
			k = n;
		memcpy(b, sp->rbuf + (off - sp->rbase), k);
		b += k;
		n -= k;
		off += k;
	}
	return 0;
}

static enum kcs_err spool_error(const struct spool *sp, struct kcs_error *err)
{
	return kcs_error_set(err, KCS_ERR_IO,
			     "cannot use the JUnit report's temporary spool: %s",
			     strerror(sp->err));
}

/* ---- XML text --------------------------------------------------------- */

/* Length of the valid UTF-8 XML Char at p[0..len), or 0 if there is none. */
static size_t xml_char_len(const unsigned char *p, size_t len)
{
	unsigned long cp;
	size_t n = kcs_utf8_char((const char *)p, len, &cp);

	if (!n || cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

/* Write `len` bytes as XML character data; `attr`: inside an attribute. */
static void xml_put(FILE *f, const char *s, size_t len, int attr)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		unsigned char c = p[i];

		switch (c) {
		case '&': fputs("&amp;", f); i++; continue;
		case '<': fputs("&lt;", f); i++; continue;
		case '>': fputs("&gt;", f); i++; continue;
		case '"': fputs("&quot;", f); i++; continue;
		case '\\': fputs("\\\\", f); i++; continue;
		case '\r': fputs("&#13;", f); i++; continue;
		case '\t':
		case '\n':
			if (attr)
				fprintf(f, "&#%d;", c);
			else
				fputc(c, f);
			i++;
			continue;
		default:
			break;
		}
		if (c < 0x20 || c == 0x7f || !(n = xml_char_len(p + i, len - i))) {
			fprintf(f, "\\x%02x", c);
			i++;
			continue;
		}
		fwrite(p + i, 1, n, f);
		i += n;
	}
}

static void xml_putz(FILE *f, const char *s, int attr)
{
	xml_put(f, s, strlen(s), attr);
}

/* ` key="value"` */
static void attr(FILE *f, const char *key, const char *val, size_t len)
{
	fprintf(f, " %s=\"", key);
	xml_put(f, val, len, 1);
	fputc('"', f);
}

static void attrz(FILE *f, const char *key, const char *val)
{
	attr(f, key, val, strlen(val));
}

static void attr_num(FILE *f, const char *key, unsigned long long v)
{
	fprintf(f, " %s=\"%llu\"", key, v);
}

/* ---- pods --------------------------------------------------------------- */

static enum kcs_err junit_begin(struct kcs_report *rep,
				const struct kcs_scan_meta *meta,
				struct kcs_error *err)
{
	(void)rep;
	(void)meta;
	(void)err;
	return KCS_OK; /* nothing can be written before the namespaces are known */
}

static int is_item(const struct kcs_container *c)
{
	return c->verdict == KCS_VERDICT_FAIL || c->verdict == KCS_VERDICT_EXEMPT;
}

static enum kcs_err junit_pod(struct kcs_report *rep, const struct kcs_pod *pod,
			      struct kcs_error *err)
{
	struct junit_report *j = (struct junit_report *)rep;
	struct spool *sp = &j->sp;
	struct junit_ns *n;
	struct jrec h;
	unsigned long long off;
	size_t i;

	if (!sp->f) {
		sp->f = tmpfile();
		if (!sp->f)
			return kcs_error_set(err, KCS_ERR_IO,
					     "cannot create a temporary spool "
					     "file for the JUnit report: %s",
					     strerror(errno));
		sp->fd = fileno(sp->f);
	}
	n = kcs_nsmap_get(j->ns, pod->ns.s, pod->ns.len, err);
	if (!n)
		return err ? err->code : KCS_ERR_NOMEM;
	memset(&h, 0, sizeof(h));
	h.n_ctrs = (unsigned int)pod->n;
	h.name_len = (unsigned short)pod->name.len;
	h.verdict = (unsigned char)pod->verdict;
	h.reason = (unsigned char)pod->reason;
	h.na_reason = pod->n ? (unsigned char)pod->containers[0].reason
			     : (unsigned char)KCS_R_WINDOWS_POD;
	for (i = 0; i < pod->n; i++) {
		h.n_items += is_item(&pod->containers[i]);
		h.n_fail += pod->containers[i].verdict == KCS_VERDICT_FAIL;
	}
	off = spool_reserve(sp, sizeof(h));
	spool_put(sp, &h, sizeof(h));
	spool_put(sp, pod->name.s, pod->name.len);
	for (i = 0; i < pod->n; i++) {
		const struct kcs_container *c = &pod->containers[i];
		struct jitem it;

		if (!is_item(c))
			continue;
		memset(&it, 0, sizeof(it));
		it.type = (unsigned char)c->type;
		it.verdict = (unsigned char)c->verdict;
		it.reason = (unsigned char)c->reason;
		it.flags = (unsigned char)c->flags;
		it.name_len = (unsigned short)c->name.len;
		if (c->verdict == KCS_VERDICT_EXEMPT) {
			it.exempt_source = (unsigned char)c->exempt_source;
			it.exempt_reason_len = (unsigned short)strnlen(
				c->exempt_reason, KCS_EXEMPT_REASON_MAX);
			memcpy(it.exempt_expires, c->exempt_expires,
			       sizeof(it.exempt_expires));
			it.exempt_expires[10] = '\0';
			it.exempt_line = c->exempt_line;
		}
		spool_put(sp, &it, sizeof(it));
		spool_put(sp, c->name.s, c->name.len);
		spool_put(sp, c->exempt_reason, it.exempt_reason_len);
	}
	if (n->pods)
		spool_link(sp, n->tail, off);
	else
		n->head = off;
	n->tail = off;
	n->pods++;
	if (pod->verdict == KCS_VERDICT_FAIL)
		n->failures++;
	else if (pod->verdict != KCS_VERDICT_PASS)
		n->skipped++;
	return sp->err ? spool_error(sp, err) : KCS_OK;
}

/* ---- the report ----------------------------------------------------------- */

/* Properties every suite carries: tool, control, scan time, cluster. */
static void property(FILE *f, const char *name, const char *val)
{
	if (!val)
		return;
	fputs("      <property", f);
	attrz(f, "name", name);
	attrz(f, "value", val);
	fputs("/>\n", f);
}

static void common_properties(FILE *f, const struct kcs_scan_result *res)
{
	const struct kcs_control *c = res->meta->control;
	struct kcs_identity id;
	char ts[32];

	kcs_report_identity(res, &id);
	kcs_format_time(res->started, ts);
	property(f, "kubecapscan.version", KCS_VERSION);
	property(f, "control.id", c->id);
	property(f, "control.title", c->title);
	property(f, "benchmark", c->benchmark);
	property(f, "benchmark.name", c->name);
	property(f, "benchmark.version", c->version);
	property(f, "scan.time", ts);
	property(f, "scan.complete", res->complete ? "true" : "false");
	property(f, "cluster.source", id.source);
	property(f, "cluster.name", id.cluster_name);
	property(f, "cluster.server", id.server);
	property(f, "cluster.context", id.context);
	property(f, "cluster.serverVersion", id.server_version);
	property(f, "cluster.id", id.cluster_id);
}

static const char *hostname(const struct kcs_scan_result *res)
{
	struct kcs_identity id;

	kcs_report_identity(res, &id);
	if (id.cluster_name)
		return id.cluster_name;
	return id.server ? id.server : "unknown";
}

static void suite_open(FILE *f, const struct kcs_scan_result *res,
		       const char *name, size_t name_len, size_t idx,
		       unsigned long long tests, unsigned long long failures,
		       unsigned long long errors, unsigned long long skipped)
{
	char ts[32];

	kcs_format_time(res->started, ts);
	fputs("  <testsuite", f);
	attr(f, "name", name, name_len);
	attr_num(f, "tests", tests);
	attr_num(f, "failures", failures);
	attr_num(f, "errors", errors);
	attr_num(f, "skipped", skipped);
	fputs(" time=\"0\"", f);
	attrz(f, "timestamp", ts);
	attrz(f, "hostname", hostname(res));
	attr_num(f, "id", idx);
	fputs(">\n    <properties>\n", f);
	common_properties(f, res);
}

static void testcase_open(FILE *f, const char *cls, size_t cls_len,
			  const char *name, size_t name_len)
{
	fputs("    <testcase", f);
	attr(f, "classname", cls, cls_len);
	attr(f, "name", name, name_len);
	fputs(" time=\"0\"", f);
}

/*
 * Exemptions file entries that expired or matched nothing, one line each;
 * with f NULL only counts them.
 */
static size_t exemption_notes(const struct kcs_scan_result *res, FILE *f)
{
	const struct kcs_exemptions *ex = res->exemptions;
	size_t i, n = 0;

	for (i = 0; ex && i < ex->n; i++) {
		const struct kcs_exemption *e = &ex->entries[i];

		if (!e->expired && e->matches)
			continue;
		n++;
		if (!f)
			continue;
		fprintf(f, "exemption: line %lu of ", e->line);
		xml_putz(f, ex->path ? ex->path : "the exemptions file", 0);
		if (e->expired)
			fprintf(f, " expired on %s and no longer applies: ", e->expires);
		else
			fputs(" matched nothing: ", f);
		xml_putz(f, e->reason ? e->reason : "", 0);
		fputc('\n', f);
	}
	return n;
}

/* The scan's own suite: one testcase, an <error> when incomplete. */
static void scan_suite(FILE *f, const struct kcs_scan_result *res)
{
	size_t i;

	suite_open(f, res, "kubecapscan", 11, 0, 1, 0, !res->complete, 0);
	fputs("    </properties>\n", f);
	testcase_open(f, "kubecapscan", 11, "scan complete", 13);
	if (res->complete) {
		fputs("/>\n", f);
	} else {
		fputs(">\n      <error type=\"INCOMPLETE\" message=\"", f);
		if (res->n_errors)
			xml_putz(f, res->errors[0].message, 1);
		else
			fputs("the scan could not see everything", f);
		fputs("\">the scan could not see everything; do not read it "
		      "as a pass", f);
		for (i = 0; i < res->n_errors; i++) {
			fputs("\nerror: ", f);
			xml_putz(f, res->errors[i].message, 0);
		}
		fputs("</error>\n    </testcase>\n", f);
	}
	if (res->n_warnings || exemption_notes(res, NULL)) {
		fputs("    <system-out>", f);
		for (i = 0; i < res->n_warnings; i++) {
			fputs("warning: ", f);
			xml_putz(f, res->warnings[i], 0);
			fputc('\n', f);
		}
		exemption_notes(res, f);
		fputs("</system-out>\n", f);
	}
	fputs("  </testsuite>\n", f);
}

static void namespace_testcase(FILE *f, const struct kcs_ns_entry *e)
{
	char ver[32];
	unsigned i;

	testcase_open(f, e->name.s, e->name.len,
		      "namespace admission (Pod Security)", 34);
	fputs(">\n      <failure", f);
	attrz(f, "type", kcs_ns_reason_name(e->result.reason));
	fputs(" message=\"", f);
	fprintf(f, "%s: ", kcs_ns_reason_name(e->result.reason));
	xml_putz(f, kcs_ns_reason_text(e->result.reason), 1);
	kcs_psa_version_format(&e->result.version, ver, sizeof(ver));
	fprintf(f, "\">Pod Security enforce policy in effect: %s:%s",
		kcs_psa_level_name(e->result.level), ver);
	for (i = 0; i < KCS_NF_COUNT; i++)
		if (e->result.flags & (1u << i))
			fprintf(f, " [%s]", kcs_ns_flag_name(1u << i));
	fputs("</failure>\n    </testcase>\n", f);
}

/* A record's pod name and items, read back; names are bounded. */
struct rd_item {
	struct jitem it;
	char name[KCS_NAME_MAX + 1];
	char exempt_reason[KCS_EXEMPT_REASON_MAX + 1];
};

static int read_item(struct spool *sp, unsigned long long *pos,
		     struct rd_item *ri)
{
	int e = spool_read(sp, *pos, &ri->it, sizeof(ri->it));

	if (e)
		return e;
	if (ri->it.name_len > KCS_NAME_MAX ||
	    ri->it.exempt_reason_len > KCS_EXEMPT_REASON_MAX)
		return EIO;
	*pos += sizeof(ri->it);
	if ((e = spool_read(sp, *pos, ri->name, ri->it.name_len)))
		return e;
	*pos += ri->it.name_len;
	e = spool_read(sp, *pos, ri->exempt_reason, ri->it.exempt_reason_len);
	*pos += ri->it.exempt_reason_len;
	return e;
}

/*
 * "container 'a' (initContainer): PRIVILEGED: <text>", and for an exempt
 * one "; EXEMPT by the exemptions file, line 3, until 2027-01-31: <why>".
 */
static void item_words(FILE *f, const struct rd_item *ri, int attr_ctx)
{
	fputs("container '", f);
	xml_put(f, ri->name, ri->it.name_len, attr_ctx);
	fprintf(f, "' (%s): %s: ", kcs_ctype_name(ri->it.type),
		kcs_reason_name(ri->it.reason));
	xml_putz(f, kcs_reason_text(ri->it.reason), attr_ctx);
	if (ri->it.verdict != KCS_VERDICT_EXEMPT)
		return;
	if (ri->it.exempt_source == KCS_EXEMPT_FILE)
		fprintf(f, "; EXEMPT by the exemptions file, line %lu",
			ri->it.exempt_line);
	else
		fputs("; EXEMPT by its pod's annotation", f);
	if (ri->it.exempt_expires[0])
		fprintf(f, ", until %.10s", ri->it.exempt_expires);
	fputs(": ", f);
	xml_put(f, ri->exempt_reason, ri->it.exempt_reason_len, attr_ctx);
}

static int failing_pod(FILE *f, struct spool *sp, const struct jrec *h,
		       unsigned long long items)
{
	struct rd_item ri;
	unsigned long long pos;
	unsigned i, shown;
	int e;
	char flags[128];

	/* type: the first reason; message: every failing reason in words */
	fputs(">\n      <failure type=\"", f);
	if (h->reason != KCS_PR_NONE) {
		fputs(kcs_pod_reason_name(h->reason), f);
	} else {
		for (i = 0, pos = items; i < h->n_items; i++) {
			if ((e = read_item(sp, &pos, &ri)))
				return e;
			if (ri.it.verdict == KCS_VERDICT_FAIL)
				break;
		}
		fputs(i < h->n_items ? kcs_reason_name(ri.it.reason) : "FAIL", f);
	}
	fputs("\" message=\"", f);
	shown = 0;
	if (h->reason != KCS_PR_NONE) {
		fprintf(f, "pod: %s: ", kcs_pod_reason_name(h->reason));
		xml_putz(f, kcs_pod_reason_text(h->reason), 1);
		shown++;
	}
	for (i = 0, pos = items; i < h->n_items; i++) {
		if ((e = read_item(sp, &pos, &ri)))
			return e;
		if (ri.it.verdict != KCS_VERDICT_FAIL)
			continue;
		if (shown++)
			fputs("; ", f);
		item_words(f, &ri, 1);
	}
	fputs("\">", f);
	/* body: the counts, then a line per failing or exempt container */
	fprintf(f, "%u of %u containers keep NET_RAW", h->n_fail, h->n_ctrs);
	if (h->reason != KCS_PR_NONE) {
		fprintf(f, "\npod: %s: ", kcs_pod_reason_name(h->reason));
		xml_putz(f, kcs_pod_reason_text(h->reason), 0);
	}
	for (i = 0, pos = items; i < h->n_items; i++) {
		if ((e = read_item(sp, &pos, &ri)))
			return e;
		fputc('\n', f);
		item_words(f, &ri, 0);
		kcs_report_flags(ri.it.flags, ", ", flags, sizeof(flags));
		if (flags[0])
			fprintf(f, " [%s]", flags);
	}
	fputs("</failure>\n    </testcase>\n", f);
	return 0;
}

/* A passing pod with exempt containers says so in its system-out. */
static int passing_pod(FILE *f, struct spool *sp, const struct jrec *h,
		       unsigned long long items)
{
	struct rd_item ri;
	unsigned long long pos;
	unsigned i;
	int e;

	if (!h->n_items) {
		fputs("/>\n", f);
		return 0;
	}
	fputs(">\n      <system-out>", f);
	for (i = 0, pos = items; i < h->n_items; i++) {
		if ((e = read_item(sp, &pos, &ri)))
			return e;
		item_words(f, &ri, 0);
		fputc('\n', f);
	}
	fputs("</system-out>\n    </testcase>\n", f);
	return 0;
}

/* NOT_APPLICABLE (Windows) or EXEMPT: skipped, saying why. */
static int skipped_pod(FILE *f, struct spool *sp, const struct jrec *h,
		       unsigned long long items)
{
	struct rd_item ri;
	unsigned long long pos;
	unsigned i;
	int e;

	fprintf(f, ">\n      <skipped type=\"%s\" message=\"",
		kcs_verdict_name(h->verdict));
	if (h->verdict != KCS_VERDICT_EXEMPT) {
		fprintf(f, "%s: ", kcs_verdict_name(h->verdict));
		xml_putz(f, kcs_reason_text(h->na_reason), 1);
		fputs("\"/>\n    </testcase>\n", f);
		return 0;
	}
	for (i = 0, pos = items; i < h->n_items; i++) {
		if ((e = read_item(sp, &pos, &ri)))
			return e;
		if (i)
			fputs("; ", f);
		item_words(f, &ri, 1);
	}
	fputs("\"/>\n    </testcase>\n", f);
	return 0;
}

/* Write the testcase of the record at `off`; returns 0 or an errno. */
static int pod_testcase(FILE *f, struct spool *sp, const struct kcs_name *ns,
			unsigned long long off, unsigned long long *next)
{
	struct jrec h;
	char name[KCS_NAME_MAX + 1];
	int e;

	if ((e = spool_read(sp, off, &h, sizeof(h))))
		return e;
	if (h.name_len > KCS_NAME_MAX)
		return EIO;
	if ((e = spool_read(sp, off + sizeof(h), name, h.name_len)))
		return e;
	*next = h.next;
	testcase_open(f, ns->s, ns->len, name, h.name_len);
	off += sizeof(h) + h.name_len;
	if (h.verdict == KCS_VERDICT_FAIL)
		return failing_pod(f, sp, &h, off);
	if (h.verdict == KCS_VERDICT_PASS)
		return passing_pod(f, sp, &h, off);
	return skipped_pod(f, sp, &h, off);
}

static int namespace_suite(struct junit_report *j,
			   const struct kcs_scan_result *res, size_t idx)
{
	const struct kcs_ns_entry *e = res->ns_sorted[idx];
	const struct junit_ns *n = kcs_nsmap_find(j->ns, e->name.s, e->name.len);
	int ns_fail = e->result.verdict == KCS_VERDICT_FAIL;
	unsigned long long off, next, k;
	FILE *f = j->out;
	char ver[32];
	int rc;

	suite_open(f, res, e->name.s, e->name.len, idx + 1,
		   (n ? n->pods : 0) + ns_fail, (n ? n->failures : 0) + ns_fail,
		   0, n ? n->skipped : 0);
	property(f, "namespace.verdict", kcs_verdict_name(e->result.verdict));
	property(f, "namespace.reason", kcs_ns_reason_name(e->result.reason));
	if (e->result.verdict != KCS_VERDICT_UNKNOWN) {
		kcs_psa_version_format(&e->result.version, ver, sizeof(ver));
		property(f, "namespace.enforce", kcs_psa_level_name(e->result.level));
		property(f, "namespace.enforceVersion", ver);
	}
	fputs("    </properties>\n", f);
	if (ns_fail)
		namespace_testcase(f, e);
	for (k = 0, off = n ? n->head : 0; n && k < n->pods; k++, off = next)
		if ((rc = pod_testcase(f, &j->sp, &e->name, off, &next)))
			return rc;
	fputs("  </testsuite>\n", f);
	return 0;
}

static enum kcs_err junit_end(struct kcs_report *rep,
			      const struct kcs_scan_result *res,
			      struct kcs_error *err)
{
	struct junit_report *j = (struct junit_report *)rep;
	FILE *f = j->out;
	unsigned long long tests = 1, failures = 0;
	char dur[32];
	size_t i;
	int rc;

	spool_flush(&j->sp);
	if (j->sp.err)
		return spool_error(&j->sp, err);
	for (i = 0; i < res->n_ns; i++) {
		const struct kcs_ns_entry *e = res->ns_sorted[i];
		const struct junit_ns *n =
			kcs_nsmap_find(j->ns, e->name.s, e->name.len);
		int ns_fail = e->result.verdict == KCS_VERDICT_FAIL;

		tests += (n ? n->pods : 0) + ns_fail;
		failures += (n ? n->failures : 0) + ns_fail;
	}
	snprintf(dur, sizeof(dur), "%lld",
		 res->finished > res->started
			 ? (long long)(res->finished - res->started) : 0LL);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", f);
	fprintf(f, " name=\"kubecapscan %s %s control %s\"",
		res->meta->control->benchmark, res->meta->control->version,
		res->meta->control->id);
	/* junit-10.xsd allows no skipped or timestamp here: the suites
	 * carry them */
	attr_num(f, "tests", tests);
	attr_num(f, "failures", failures);
	attr_num(f, "errors", !res->complete);
	fprintf(f, " time=\"%s\">\n", dur);
	scan_suite(f, res);
	for (i = 0; i < res->n_ns; i++) {
		if ((rc = namespace_suite(j, res, i))) {
			j->sp.err = rc;
			return spool_error(&j->sp, err);
		}
	}
	fputs("</testsuites>\n", f);
	if (ferror(f))
		return kcs_error_set(err, KCS_ERR_IO, "cannot write the JUnit report");
	return KCS_OK;
}

static void junit_free(struct kcs_report *rep)
{
	struct junit_report *j = (struct junit_report *)rep;

	if (!j)
		return;
	if (j->sp.f)
		fclose(j->sp.f);
	kcs_nsmap_free(j->ns);
	kcs_free(j);
}

static const struct kcs_report_ops junit_ops = {
	.name = "junit",
	.begin = junit_begin,
	.pod = junit_pod,
	.end = junit_end,
	.free = junit_free,
};

struct kcs_report *kcs_report_junit_new(FILE *out)
{
	struct junit_report *j = kcs_calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->base.ops = &junit_ops;
	j->out = out;
	j->ns = kcs_nsmap_new(sizeof(struct junit_ns));
	if (!j->ns) {
		kcs_free(j);
		return NULL;
	}
	return &j->base;
}
