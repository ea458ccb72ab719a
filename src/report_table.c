/*
 * report_table.c - the report for people.
 *
 * Failing containers are printed as they are found (the scan never holds
 * the pod list, so columns have fixed minimum widths and a long name just
 * pushes its row), then one line per namespace, then the summary. Names are
 * printed with control bytes, backslashes and non-ASCII bytes escaped, so
 * a hostile name can neither fake rows nor send escape sequences.
 */
#include <string.h>

#include "kcs/alloc.h"
#include "kcs/exempt.h"
#include "kcs/report.h"
#include "kcs/banned.h"

struct table_report {
	struct kcs_report base; /* must be first */
	FILE *out;
	unsigned long long rows; /* failing containers printed */
};

/* Print `len` bytes escaped; returns the number of columns used. */
static size_t put_safe(FILE *f, const char *s, size_t len)
{
	size_t i, cols = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '\\' || c >= 0x80) {
			if (c == '\\')
				fputs("\\\\", f);
			else
				fprintf(f, "\\x%02x", c);
			cols += c == '\\' ? 2 : 4;
		} else {
			fputc(c, f);
			cols++;
		}
	}
	return cols;
}

static void pad(FILE *f, size_t used, size_t width)
{
	do {
		fputc(' ', f);
	} while (++used < width);
}

static void cell(FILE *f, const char *s, size_t len, size_t width)
{
	pad(f, put_safe(f, s, len), width);
}

static void cellz(FILE *f, const char *s, size_t width)
{
	cell(f, s, strlen(s), width);
}

/* Column widths: minimums; longer values push the rest of the row. */
enum { W_NS = 20, W_POD = 36, W_CTR = 20, W_TYPE = 19, W_VERDICT = 8 };

static enum kcs_err check_io(struct table_report *t, struct kcs_error *err)
{
	if (ferror(t->out))
		return kcs_error_set(err, KCS_ERR_IO, "cannot write the table report");
	return KCS_OK;
}

static enum kcs_err table_begin(struct kcs_report *rep,
				const struct kcs_scan_meta *meta,
				struct kcs_error *err)
{
	(void)rep;
	(void)meta;
	(void)err;
	return KCS_OK;
}

static void print_flags(FILE *f, unsigned flags, const char *(*name)(unsigned),
			unsigned n)
{
	unsigned i;
	int first = 1;

	if (!flags)
		return;
	fputs(" [", f);
	for (i = 0; i < n; i++) {
		if (!(flags & (1u << i)))
			continue;
		fprintf(f, "%s%s", first ? "" : ", ", name(1u << i));
		first = 0;
	}
	fputc(']', f);
}

static void row_header(struct table_report *t)
{
	FILE *f = t->out;

	fputs("FAILING CONTAINERS\n", f);
	cellz(f, "NAMESPACE", W_NS);
	cellz(f, "POD", W_POD);
	cellz(f, "CONTAINER", W_CTR);
	cellz(f, "TYPE", W_TYPE);
	cellz(f, "VERDICT", W_VERDICT);
	fputs("REASON\n", f);
}

static void row(struct table_report *t, const struct kcs_pod *pod,
		const char *ctr, size_t ctr_len, const char *type,
		const char *reason, const char *text, unsigned flags,
		const struct kcs_container *exempt)
{
	FILE *f = t->out;

	if (t->rows++ == 0)
		row_header(t);
	cell(f, pod->ns.s, pod->ns.len, W_NS);
	cell(f, pod->name.s, pod->name.len, W_POD);
	cell(f, ctr, ctr_len, W_CTR);
	cellz(f, type, W_TYPE);
	cellz(f, exempt ? "EXEMPT" : "FAIL", W_VERDICT);
	fprintf(f, "%s: %s", reason, text);
	print_flags(f, flags, kcs_flag_name, KCS_F_COUNT);
	if (exempt) {
		if (exempt->exempt_source == KCS_EXEMPT_FILE)
			fprintf(f, "; exempted by the exemptions file, line %lu: ",
				exempt->exempt_line);
		else
			fputs("; exempted by its pod's annotation: ", f);
		put_safe(f, exempt->exempt_reason, strlen(exempt->exempt_reason));
		if (exempt->exempt_expires[0])
			fprintf(f, " (until %s)", exempt->exempt_expires);
	}
	fputc('\n', f);
}

static enum kcs_err table_pod(struct kcs_report *rep, const struct kcs_pod *pod,
			      struct kcs_error *err)
{
	struct table_report *t = (struct table_report *)rep;
	size_t i;

	if (pod->reason != KCS_PR_NONE)
		row(t, pod, "-", 1, "pod", kcs_pod_reason_name(pod->reason),
		    kcs_pod_reason_text(pod->reason), 0, NULL);
	for (i = 0; i < pod->n; i++) {
		const struct kcs_container *c = &pod->containers[i];

		if (c->verdict != KCS_VERDICT_FAIL && c->verdict != KCS_VERDICT_EXEMPT)
			continue;
		row(t, pod, c->name.s, c->name.len, kcs_ctype_name(c->type),
		    kcs_reason_name(c->reason), kcs_reason_text(c->reason),
		    c->flags, c->verdict == KCS_VERDICT_EXEMPT ? c : NULL);
	}
	(void)err; /* write errors are sticky in the FILE: checked at the end */
	return KCS_OK;
}

static void print_namespaces(struct table_report *t,
			     const struct kcs_scan_result *res)
{
	FILE *f = t->out;
	char policy[64], ver[32];
	size_t i;

	fputs("\nNAMESPACES\n", f);
	cellz(f, "NAMESPACE", W_NS);
	cellz(f, "VERDICT", W_VERDICT);
	cellz(f, "PODS", 6);
	cellz(f, "FAILING", 8);
	cellz(f, "ENFORCE", 20);
	fputs("REASON\n", f);
	for (i = 0; i < res->n_ns; i++) {
		const struct kcs_ns_entry *e = res->ns_sorted[i];

		cell(f, e->name.s, e->name.len, W_NS);
		cellz(f, kcs_verdict_name(e->result.verdict), W_VERDICT);
		fprintf(f, "%-6llu%-8llu", e->pods_total, e->pods_fail);
		if (e->result.verdict == KCS_VERDICT_UNKNOWN) {
			cellz(f, "-", 20);
		} else {
			kcs_psa_version_format(&e->result.version, ver,
					       sizeof(ver));
			snprintf(policy, sizeof(policy), "%s:%s",
				 kcs_psa_level_name(e->result.level), ver);
			cellz(f, policy, 20);
		}
		fprintf(f, "%s: %s", kcs_ns_reason_name(e->result.reason),
			kcs_ns_reason_text(e->result.reason));
		print_flags(f, e->result.flags, kcs_ns_flag_name, KCS_NF_COUNT);
		fputc('\n', f);
	}
	if (!res->n_ns)
		fputs("(none)\n", f);
}

/* The exemption audit: entries that expired or matched nothing. */
static void print_exemptions(FILE *f, const struct kcs_exemptions *ex)
{
	size_t i, active = 0, expired = 0, unused = 0;

	if (!ex || (!ex->n && !ex->annotated_applied && !ex->annotated_ignored &&
		    !ex->annotated_expired && !ex->annotated_invalid))
		return;
	for (i = 0; i < ex->n; i++) {
		const struct kcs_exemption *e = &ex->entries[i];

		if (e->expired)
			expired++;
		else if (e->matches)
			active++;
		else
			unused++;
	}
	if (ex->n)
		fprintf(f, "exemptions  %zu active, %zu expired, %zu unused\n",
			active, expired, unused);
	for (i = 0; i < ex->n; i++) {
		const struct kcs_exemption *e = &ex->entries[i];

		if (!e->expired && e->matches)
			continue;
		fprintf(f, "exemption   line %lu (", e->line);
		put_safe(f, e->ns_glob, strlen(e->ns_glob));
		fputc('/', f);
		put_safe(f, e->pod_glob, strlen(e->pod_glob));
		if (e->expired)
			fprintf(f, ") expired on %s and no longer applies\n", e->expires);
		else
			fputs(") matched nothing\n", f);
	}
	if (ex->annotated_applied)
		fprintf(f, "exemptions  %llu container%s exempted by pod annotations\n",
			ex->annotated_applied, ex->annotated_applied == 1 ? "" : "s");
	if (ex->annotated_ignored)
		fprintf(f, "exemptions  %llu pod%s carry a %s annotation, ignored "
			"without --allow-annotation-exemptions\n",
			ex->annotated_ignored, ex->annotated_ignored == 1 ? "" : "s",
			KCS_EXEMPT_ANNOTATION_KEY);
	if (ex->annotated_expired)
		fprintf(f, "exemptions  %llu annotation exemption%s expired\n",
			ex->annotated_expired, ex->annotated_expired == 1 ? "" : "s");
	if (ex->annotated_invalid)
		fprintf(f, "exemptions  %llu annotation exemption%s malformed and ignored\n",
			ex->annotated_invalid, ex->annotated_invalid == 1 ? "" : "s");
}

static enum kcs_err table_end(struct kcs_report *rep,
			      const struct kcs_scan_result *res,
			      struct kcs_error *err)
{
	struct table_report *t = (struct table_report *)rep;
	FILE *f = t->out;
	const struct kcs_count *n = &res->namespaces, *p = &res->pods,
			       *c = &res->containers;
	size_t i;

	if (!t->rows)
		fputs("FAILING CONTAINERS\n(none)\n", f);
	print_namespaces(t, res);
	fprintf(f, "\nSUMMARY (%s %s, control %s)", res->meta->control->benchmark,
		res->meta->control->version, res->meta->control->id);
	if (res->meta->cluster_name) {
		fputs(" cluster ", f);
		put_safe(f, res->meta->cluster_name,
			 strlen(res->meta->cluster_name));
	}
	fputc('\n', f);
	fprintf(f, "namespaces  %llu total, %llu pass, %llu fail, %llu unknown\n",
		n->total, n->pass, n->fail, n->unknown);
	fprintf(f, "pods        %llu total, %llu pass, %llu fail, %llu not applicable",
		p->total, p->pass, p->fail, p->not_applicable);
	if (p->exempt)
		fprintf(f, ", %llu exempt", p->exempt);
	fprintf(f, "\ncontainers  %llu total, %llu pass, %llu fail, %llu not applicable",
		c->total, c->pass, c->fail, c->not_applicable);
	if (c->exempt)
		fprintf(f, ", %llu exempt", c->exempt);
	fputc('\n', f);
	print_exemptions(f, res->exemptions);
	for (i = 0; i < res->n_warnings; i++)
		fprintf(f, "warning: %s\n", res->warnings[i]);
	if (!res->complete) {
		fputs("result      INCOMPLETE: the scan could not see everything; "
		      "do not read it as a pass\n", f);
		for (i = 0; i < res->n_errors; i++)
			fprintf(f, "error       %s\n", res->errors[i].message);
	} else if (n->fail || p->fail) {
		fputs("result      FAIL\n", f);
	} else {
		fputs("result      PASS\n", f);
	}
	return check_io(t, err);
}

static void table_free(struct kcs_report *rep)
{
	kcs_free(rep);
}

static const struct kcs_report_ops table_ops = {
	.name = "table",
	.begin = table_begin,
	.pod = table_pod,
	.end = table_end,
	.free = table_free,
};

struct kcs_report *kcs_report_table_new(FILE *out)
{
	struct table_report *t = kcs_calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->base.ops = &table_ops;
	t->out = out;
	return &t->base;
}
