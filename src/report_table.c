/*
 * report_table.c - the report for people, laid out for a 100-column
 * terminal.
 *
 * Sections, in order:
 *
 *   FAILING CONTAINERS  workloads with failing (or exempt) containers,
 *                       sorted by namespace, kind and name: a line per
 *                       workload (pods failing of total), then a line per
 *                       distinct failing container, the pods of one
 *                       template collapsed into one line with their count;
 *                       with --runtime-aware the effective exposure under
 *                       it, per runtime;
 *   NAMESPACES          one line per namespace, and with --probe-admission
 *                       what admission did next to the label reading;
 *   REASONS             the words of every reason the report names;
 *   FIX                 per failing workload its `kubectl patch` (or the
 *                       notes when a person must decide), per failing
 *                       namespace its `kubectl label` and the dry run;
 *   DRIFT               with --baseline: new failures, fixed and gone
 *                       items, unknown ones, still failing, namespaces;
 *   SUMMARY             the counts and the result.
 *
 * Pods are not held: they go to a struct kcs_rows spool and come back
 * grouped by workload at the end (report.c). The Fix lines are written to
 * a second temporary file while the groups are read, and copied after the
 * namespaces, so they too come in workload order without being held.
 *
 * Names are printed with control bytes, backslashes and non-ASCII bytes
 * escaped, so a hostile name can neither fake rows nor send escape
 * sequences. A command is printed as is when it is printable ASCII (a
 * backslash there is shell quoting and must stay one), and escaped, with a
 * warning not to paste it, otherwise.
 */
#include <errno.h>
#include <string.h>

#include "kcs/alloc.h"
#include "kcs/drift.h"
#include "kcs/exempt.h"
#include "kcs/probe.h"
#include "kcs/remediate.h"
#include "kcs/report.h"
#include "kcs/runtime.h"
#include "kcs/banned.h"

/* Reasons named so far, for the REASONS section: one bit each. */
enum { RS_CONTAINER, RS_POD, RS_NS, RS_EXPOSURE, RS_ADMISSION, RS_KINDS };

struct table_report {
	struct kcs_report base;   /* must be first */
	FILE *out;                /* borrowed */
	struct kcs_rows *rows;    /* the pods' rows, sorted at the end */
	FILE *fix;                /* the FIX lines, or NULL until the first */
	unsigned long long fixes; /* workloads and namespaces in it */
	unsigned long long used[RS_KINDS];
	struct kcs_wgroup g;      /* the workload being printed */
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

static size_t put_safez(FILE *f, const char *s)
{
	return put_safe(f, s, strlen(s));
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

/* A shell command: verbatim if printable ASCII, else escaped and marked. */
static void put_command(FILE *f, const char *indent, const char *label,
			const char *cmd)
{
	const unsigned char *p = (const unsigned char *)cmd;

	for (; *p; p++)
		if (*p < 0x20 || *p >= 0x7f)
			break;
	fprintf(f, "%s%s", indent, label);
	if (!*p) {
		fputs(cmd, f);
		fputc('\n', f);
		return;
	}
	put_safez(f, cmd);
	fputs("\n", f);
	fprintf(f, "%s  (a name holds control or non-ASCII bytes, shown "
		"escaped: take the command from the JSON report)\n", indent);
}

static void wrap_text(FILE *f, const char *prefix, size_t indent,
		      const char *text);

/* Column widths: minimums; longer values push the rest of the line. */
enum {
	W_NS = 20, W_WORKLOAD = 41, W_VERDICT = 8,           /* workloads */
	W_TYPE = 19, W_CTR = 20, W_CVERDICT = 8, W_REASON = 31, /* rows */
	W_ENFORCE = 20,                                      /* namespaces */
	W_NS_ROW = W_NS + W_VERDICT + 6 + 8 + W_ENFORCE,     /* REASON column */
	WRAP = 100,
	MSG_SHOWN = 240, /* bytes of an admission probe's message shown */
};

static enum kcs_err table_begin(struct kcs_report *rep,
				const struct kcs_scan_meta *meta,
				struct kcs_error *err)
{
	(void)rep;
	(void)meta;
	(void)err;
	return KCS_OK;
}

static enum kcs_err table_pod(struct kcs_report *rep, const struct kcs_pod *pod,
			      struct kcs_error *err)
{
	struct table_report *t = (struct table_report *)rep;

	return kcs_rows_add_pod(t->rows, pod, err);
}

static void use(struct table_report *t, int kind, unsigned r)
{
	if (r < 64)
		t->used[kind] |= 1ull << r;
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

/* "[HOST_NETWORK]" and the like, into buf. */
static void flags_text(unsigned flags, char *buf, size_t size)
{
	char names[128];

	kcs_report_flags(flags, ", ", names, sizeof(names));
	if (names[0])
		snprintf(buf, size, " [%s]", names);
	else
		buf[0] = '\0';
}

/* " [DEFAULTED, INVALID_VERSION]" of namespace flags, into buf. */
static void ns_flags_text(unsigned flags, char *buf, size_t size)
{
	size_t used = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < KCS_NF_COUNT && used < size; i++)
		if (flags & (1u << i))
			used += (size_t)snprintf(buf + used, size - used, "%s%s",
						 used ? ", " : " [",
						 kcs_ns_flag_name(1u << i));
	if (used && used < size)
		snprintf(buf + used, size - used, "]");
}

static const char *pods_word(unsigned long long n)
{
	return n == 1 ? "pod" : "pods";
}

/* ---- FAILING CONTAINERS ---------------------------------------------- */

static void workload_header(struct table_report *t, const struct kcs_wgroup *g)
{
	FILE *f = t->out;
	size_t used;

	cell(f, g->ns, g->ns_len, W_NS);
	used = put_safez(f, g->kind);
	fputc('/', f);
	used += 1 + put_safe(f, g->name, g->name_len);
	if (!g->resolved) {
		fputc('*', f); /* see the footnote */
		used++;
	}
	pad(f, used, W_WORKLOAD);
	cellz(f, kcs_verdict_name(g->verdict), W_VERDICT);
	fprintf(f, "%llu of %llu\n", g->pods_fail, g->pods_total);
}

/* The pods of row i and of the rows after it for the same container. */
static unsigned long long container_pods(const struct kcs_wgroup *g, size_t i,
					 size_t *n_variants)
{
	unsigned long long n = g->rows[i].pods;
	size_t k = i + 1;

	while (k < g->n_rows && g->rows[k].same_container)
		n += g->rows[k++].pods;
	*n_variants = k - i;
	return n;
}

static void exposure_line(struct table_report *t, const struct kcs_wg_row *w,
			  int count)
{
	FILE *f = t->out;

	use(t, RS_EXPOSURE, w->exposure_reason);
	fprintf(f, "      exposure: %s %s",
		kcs_exposure_name((enum kcs_exposure)w->exposure),
		kcs_exposure_reason_name(
			(enum kcs_exposure_reason)w->exposure_reason));
	if (w->node_known)
		fprintf(f, " on %s",
			kcs_runtime_name((enum kcs_runtime)w->runtime));
	if (count)
		fprintf(f, " (%llu %s)", w->pods, pods_word(w->pods));
	fputc('\n', f);
}

static void exemption_line(FILE *f, const struct kcs_wg_row *w)
{
	if (w->exempt_source == KCS_EXEMPT_FILE)
		fprintf(f, "      exempted by the exemptions file, line %lu: ",
			w->exempt_line);
	else
		fputs("      exempted by its pod's annotation: ", f);
	put_safez(f, w->exempt_reason);
	if (w->exempt_expires[0])
		fprintf(f, " (until %s)", w->exempt_expires);
	fputc('\n', f);
}

static void container_lines(struct table_report *t, const struct kcs_wgroup *g)
{
	FILE *f = t->out;
	char flags[160];
	size_t i, k, variants;

	for (i = 0; i < g->n_rows; i += variants) {
		const struct kcs_wg_row *w = &g->rows[i];
		unsigned long long pods = container_pods(g, i, &variants);
		size_t used;

		fputs("  ", f);
		if (w->pod_level) {
			use(t, RS_POD, w->reason);
			cellz(f, "pod", W_TYPE);
			cell(f, w->name, w->name_len, W_CTR);
			cellz(f, "FAIL", W_CVERDICT);
			cellz(f, kcs_pod_reason_name(
					 (enum kcs_pod_reason)w->reason),
			      W_REASON);
			fprintf(f, "%llu %s\n", pods, pods_word(pods));
			continue;
		}
		use(t, RS_CONTAINER, w->reason);
		cellz(f, kcs_ctype_name(w->ctype), W_TYPE);
		cell(f, w->name, w->name_len, W_CTR);
		cellz(f, kcs_verdict_name(w->verdict), W_CVERDICT);
		flags_text(w->flags, flags, sizeof(flags));
		used = (size_t)fprintf(f, "%s%s",
				       kcs_reason_name((enum kcs_reason)w->reason),
				       flags);
		pad(f, used, W_REASON);
		fprintf(f, "%llu %s\n", pods, pods_word(pods));
		if (w->verdict == KCS_VERDICT_EXEMPT)
			exemption_line(f, w);
		for (k = i; k < i + variants; k++)
			if (g->rows[k].has_exposure)
				exposure_line(t, &g->rows[k], variants > 1);
	}
	if (g->rows_cut)
		fprintf(f, "  ... and %llu more distinct rows (see the JSON "
			"report)\n", g->rows_cut);
}

/* The FIX lines of a failing workload, into the fix spool. */
static void fix_lines(struct table_report *t, const struct kcs_wgroup *g)
{
	FILE *f = t->fix;
	const char *n;
	size_t i;

	t->fixes++;
	put_safez(f, g->kind);
	fputc('/', f);
	put_safe(f, g->name, g->name_len);
	fputs(" in ", f);
	put_safe(f, g->ns, g->ns_len);
	if (g->source_file) {
		fputs(" (", f);
		put_safez(f, g->source_file);
		if (g->source_line)
			fprintf(f, ":%lu", g->source_line);
		fputc(')', f);
	}
	fputs(g->automatic ? "\n" : ": needs a person\n", f);
	if (g->kubectl)
		put_command(f, "  ", "", g->kubectl);
	else if (g->json_patch)
		put_command(f, "  ", "JSON patch for its manifest: ",
			    g->json_patch);
	for (i = 0, n = g->notes; n && i < g->n_notes; i++, n += strlen(n) + 1)
		wrap_text(f, "  note:", 8, n);
}

static enum kcs_err open_fix(struct table_report *t, struct kcs_error *err)
{
	if (t->fix)
		return KCS_OK;
	t->fix = tmpfile();
	if (!t->fix)
		return kcs_error_set(err, KCS_ERR_IO,
				     "cannot create a temporary file for the "
				     "table report: %s", strerror(errno));
	return KCS_OK;
}

static enum kcs_err print_workloads(struct table_report *t,
				    struct kcs_error *err)
{
	FILE *f = t->out;
	unsigned long long shown = 0;
	enum kcs_err rc;
	int more, unresolved = 0;

	fputs("FAILING CONTAINERS\n", f);
	for (;;) {
		if ((rc = kcs_wgroup_next(t->rows, &t->g, &more, err)))
			return rc;
		if (!more)
			break;
		if (t->g.has_fix) {
			if ((rc = open_fix(t, err)))
				return rc;
			fix_lines(t, &t->g);
		}
		if (!t->g.n_rows && !t->g.rows_cut)
			continue;
		if (!shown++) {
			cellz(f, "NAMESPACE", W_NS);
			cellz(f, "WORKLOAD", W_WORKLOAD);
			cellz(f, "VERDICT", W_VERDICT);
			fputs("PODS FAILING\n", f);
		}
		unresolved |= !t->g.resolved;
		workload_header(t, &t->g);
		container_lines(t, &t->g);
	}
	if (!shown)
		fputs("(none)\n", f);
	if (unresolved)
		fputs("* its controller's own owner could not be read: it may "
		      "belong to a higher one\n", f);
	return KCS_OK;
}

/* ---- NAMESPACES ------------------------------------------------------- */

static void admission_lines(struct table_report *t,
			    const struct kcs_ns_entry *e)
{
	const struct kcs_probe_result *a = e->admission;
	FILE *f = t->out;
	char msg[MSG_SHOWN + 4];
	size_t len;

	use(t, RS_ADMISSION, a->reason);
	use(t, RS_NS, e->labels_result.reason);
	pad(f, 0, W_NS);
	fprintf(f, "admission probe: %s %s; labels: %s %s",
		kcs_verdict_name(a->verdict), kcs_probe_reason_name(a->reason),
		kcs_verdict_name(e->labels_result.verdict),
		kcs_ns_reason_name(e->labels_result.reason));
	print_flags(f, e->labels_result.flags, kcs_ns_flag_name, KCS_NF_COUNT);
	fputc('\n', f);
	if (a->verdict != KCS_VERDICT_UNKNOWN || !a->message[0])
		return;
	/* why the probe could not tell, cut to a few lines */
	len = strlen(a->message);
	if (len > MSG_SHOWN) {
		memcpy(msg, a->message, MSG_SHOWN);
		memcpy(msg + MSG_SHOWN, "...", 4);
	} else {
		memcpy(msg, a->message, len + 1);
	}
	pad(f, 0, W_NS);
	wrap_text(f, "", W_NS, msg);
}

static void print_namespaces(struct table_report *t,
			     const struct kcs_scan_result *res)
{
	FILE *f = t->out;
	char policy[64], ver[32], flags[160];
	size_t i, used;

	fputs("\nNAMESPACES\n", f);
	cellz(f, "NAMESPACE", W_NS);
	cellz(f, "VERDICT", W_VERDICT);
	cellz(f, "PODS", 6);
	cellz(f, "FAILING", 8);
	cellz(f, "ENFORCE", W_ENFORCE);
	fputs("REASON\n", f);
	for (i = 0; i < res->n_ns; i++) {
		const struct kcs_ns_entry *e = res->ns_sorted[i];

		cell(f, e->name.s, e->name.len, W_NS);
		cellz(f, kcs_verdict_name(e->result.verdict), W_VERDICT);
		fprintf(f, "%-6llu%-8llu", e->pods_total, e->pods_fail);
		if (e->result.verdict == KCS_VERDICT_UNKNOWN) {
			cellz(f, "-", W_ENFORCE);
		} else {
			kcs_psa_version_format(&e->result.version, ver,
					       sizeof(ver));
			snprintf(policy, sizeof(policy), "%s:%s",
				 kcs_psa_level_name(e->result.level), ver);
			cellz(f, policy, W_ENFORCE);
		}
		use(t, RS_NS, e->result.reason);
		used = (size_t)fprintf(f, "%s",
				       kcs_ns_reason_name(e->result.reason));
		ns_flags_text(e->result.flags, flags, sizeof(flags));
		if (W_NS_ROW + used + strlen(flags) > WRAP) {
			/* the flags under the reason, to stay in the columns */
			fputc('\n', f);
			pad(f, 0, W_NS_ROW);
			fputs(flags + 1, f);
		} else {
			fputs(flags, f);
		}
		fputc('\n', f);
		if (e->admission)
			admission_lines(t, e);
	}
	if (!res->n_ns)
		fputs("(none)\n", f);
}

/* ---- REASONS ---------------------------------------------------------- */

/*
 * `prefix` then `text` word by word, wrapped at WRAP columns with lines
 * after the first indented by `indent` columns; words are escaped.
 */
static void wrap_text(FILE *f, const char *prefix, size_t indent,
		      const char *text)
{
	size_t col = put_safez(f, prefix), i;

	if (!prefix[0])
		col = indent; /* the caller padded the first line */
	const char *p = text;

	while (*p) {
		const char *sp = strchr(p, ' ');
		size_t w = sp ? (size_t)(sp - p) : strlen(p);

		if (col + 1 + w > WRAP && col > indent) {
			fputc('\n', f);
			for (i = 0; i < indent; i++)
				fputc(' ', f);
			col = indent;
		} else if (col && (col != indent || prefix[0])) {
			fputc(' ', f);
			col++;
		}
		col += put_safe(f, p, w);
		p += w;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

static void legend_line(FILE *f, const char *name, const char *text)
{
	char prefix[96]; /* reason names are short; 96 fits any with room */

	snprintf(prefix, sizeof(prefix), "  %s:", name);
	wrap_text(f, prefix, 6, text);
}

/* A legend entry, unless an entry of that name came before. */
static void legend_once(FILE *f, const char **shown, size_t *n,
			const char *name, const char *text)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp(shown[i], name))
			return;
	shown[(*n)++] = name;
	legend_line(f, name, text);
}

static void print_reasons(struct table_report *t)
{
	/* the names of every kind, printed once each */
	const char *shown[KCS_R_COUNT + 3 + 64 + KCS_ADMISSION_REASONS];
	char name[80];
	size_t n = 0;
	FILE *f = t->out;
	unsigned i;

	if (!t->used[RS_CONTAINER] && !t->used[RS_POD] && !t->used[RS_NS] &&
	    !t->used[RS_EXPOSURE] && !t->used[RS_ADMISSION])
		return;
	fputs("\nREASONS\n", f);
	for (i = 0; i < KCS_R_COUNT; i++)
		if (t->used[RS_CONTAINER] & (1ull << i))
			legend_once(f, shown, &n,
				    kcs_reason_name((enum kcs_reason)i),
				    kcs_reason_text((enum kcs_reason)i));
	for (i = 1; i < 3; i++)
		if (t->used[RS_POD] & (1ull << i))
			legend_once(f, shown, &n,
				    kcs_pod_reason_name((enum kcs_pod_reason)i),
				    kcs_pod_reason_text((enum kcs_pod_reason)i));
	for (i = 0; i < 64; i++)
		if (t->used[RS_NS] & (1ull << i))
			legend_once(f, shown, &n,
				    kcs_ns_reason_name((enum kcs_ns_reason)i),
				    kcs_ns_reason_text((enum kcs_ns_reason)i));
	for (i = 0; i < KCS_ADMISSION_REASONS; i++)
		if (t->used[RS_ADMISSION] & (1ull << i))
			legend_once(f, shown, &n,
				    kcs_probe_reason_name(
					    (enum kcs_admission_reason)i),
				    kcs_probe_reason_text(
					    (enum kcs_admission_reason)i));
	/* exposure reasons share some names with the rules': marked */
	for (i = 0; i < KCS_XR_COUNT; i++) {
		if (!(t->used[RS_EXPOSURE] & (1ull << i)))
			continue;
		snprintf(name, sizeof(name), "exposure %s",
			 kcs_exposure_reason_name((enum kcs_exposure_reason)i));
		legend_line(f, name,
			    kcs_exposure_reason_text((enum kcs_exposure_reason)i));
	}
}

/* ---- FIX ------------------------------------------------------------------ */

static enum kcs_err print_fixes(struct table_report *t,
				const struct kcs_scan_result *res,
				struct kcs_error *err)
{
	FILE *f = t->out;
	char buf[4096];
	size_t i, n;
	enum kcs_err rc;
	int any_ns = 0;

	for (i = 0; i < res->n_ns; i++)
		any_ns |= res->ns_sorted[i]->result.verdict == KCS_VERDICT_FAIL &&
			  res->ns_sorted[i]->present;
	if (!t->fixes && !any_ns)
		return KCS_OK;
	fputs("\nFIX\n", f);
	if (t->fix) {
		if (fflush(t->fix) || fseek(t->fix, 0, SEEK_SET))
			return kcs_error_set(err, KCS_ERR_IO,
					     "cannot read back the table's "
					     "temporary file: %s", strerror(errno));
		while ((n = fread(buf, 1, sizeof(buf), t->fix)) > 0)
			fwrite(buf, 1, n, f);
		if (ferror(t->fix))
			return kcs_error_set(err, KCS_ERR_IO,
					     "cannot read back the table's "
					     "temporary file");
	}
	for (i = 0; i < res->n_ns; i++) {
		const struct kcs_ns_entry *e = res->ns_sorted[i];
		struct kcs_remedy_ns fix = KCS_REMEDY_NS_INIT;

		if (e->result.verdict != KCS_VERDICT_FAIL || !e->present)
			continue;
		if ((rc = kcs_remediate_namespace(e->name.s, e->name.len, &fix,
						  err)))
			return rc;
		fputs("namespace ", f);
		put_safe(f, e->name.s, e->name.len);
		fputc('\n', f);
		if (fix.dry_run)
			put_command(f, "  ", "preview: ", fix.dry_run);
		if (fix.kubectl)
			put_command(f, "  ", "enforce: ", fix.kubectl);
		if (fix.note)
			wrap_text(f, "  note:", 8, fix.note);
		kcs_remedy_ns_release(&fix);
	}
	return KCS_OK;
}

/* ---- DRIFT ------------------------------------------------------------- */

static void drift_item(struct table_report *t, const struct kcs_drift_item *it)
{
	FILE *f = t->out;

	if (it->level == KCS_DRIFT_LEVEL_NAMESPACE) {
		fputs("  namespace ", f);
		put_safe(f, it->ns, it->ns_len);
	} else {
		fputs("  ", f);
		put_safe(f, it->ns, it->ns_len);
		fputc(' ', f);
		put_safe(f, it->workload_kind, it->workload_kind_len);
		fputc('/', f);
		put_safe(f, it->workload_name, it->workload_name_len);
		if (it->level == KCS_DRIFT_LEVEL_POD) {
			fputs(" pod", f);
		} else {
			fprintf(f, " %s ", kcs_ctype_name(it->container_type));
			put_safe(f, it->container_name, it->container_name_len);
		}
	}
	if (it->reason[0]) {
		fputs(": ", f);
		put_safez(f, it->reason);
	}
	fprintf(f, " (%s)\n", kcs_drift_state_name(it->state));
}

static void drift_list(struct table_report *t, const struct kcs_drift *d,
		       enum kcs_drift_list l, const char *title)
{
	const struct kcs_drift_item *items;
	size_t n, i;

	items = kcs_drift_items(d, l, &n);
	fprintf(t->out, "%-19s%zu\n", title, n);
	for (i = 0; i < n; i++)
		drift_item(t, &items[i]);
}

static void drift_names(struct table_report *t, const struct kcs_drift *d,
			enum kcs_drift_list l, const char *title)
{
	const struct kcs_drift_item *items;
	size_t n, i;

	items = kcs_drift_items(d, l, &n);
	fprintf(t->out, "%-19s%zu", title, n);
	for (i = 0; i < n; i++) {
		fputs(i ? ", " : "  ", t->out);
		put_safe(t->out, items[i].ns, items[i].ns_len);
	}
	fputc('\n', t->out);
}

static void print_drift(struct table_report *t, const struct kcs_drift *d)
{
	const struct kcs_drift_baseline *b = kcs_drift_baseline(d);
	FILE *f = t->out;

	fputs("\nDRIFT since ", f);
	put_safez(f, b->file);
	if (b->finished_at[0]) {
		fputs(" (finished ", f);
		put_safez(f, b->finished_at);
		fputc(')', f);
	}
	if (!b->complete)
		fputs(" (an incomplete scan)", f);
	fputc('\n', f);
	drift_list(t, d, KCS_DRIFT_NEW_FAILURES, "new failures");
	drift_list(t, d, KCS_DRIFT_FIXED_ITEMS, "fixed");
	drift_list(t, d, KCS_DRIFT_UNKNOWN_ITEMS, "unknown");
	fprintf(f, "%-19s%zu\n", "still failing",
		kcs_drift_count(d, KCS_DRIFT_STILL_FAILING_ITEMS));
	drift_names(t, d, KCS_DRIFT_NEW_NAMESPACES, "new namespaces");
	drift_names(t, d, KCS_DRIFT_REMOVED_NAMESPACES, "removed namespaces");
}

/* ---- SUMMARY ------------------------------------------------------------ */

static enum kcs_err print_runtimes(FILE *f, const struct kcs_scan_result *res,
				   struct kcs_error *err)
{
	struct kcs_runtime_count *rows = NULL;
	size_t n = 0, i;
	enum kcs_err rc;

	fputs("runtimes   ", f);
	if (!res->nodes) {
		fputs(" nodes could not be read\n", f);
		return KCS_OK;
	}
	if ((rc = kcs_nodes_summary(res->nodes, &rows, &n, err)))
		return rc;
	for (i = 0; i < n; i++) {
		fprintf(f, "%s%s ", i ? ", " : " ",
			kcs_runtime_name(rows[i].runtime));
		put_safez(f, rows[i].version);
		fprintf(f, " (%zu node%s)", rows[i].nodes,
			rows[i].nodes == 1 ? "" : "s");
	}
	fputs(n ? "\n" : " no nodes\n", f);
	kcs_free(rows);
	return KCS_OK;
}

static void print_admission(FILE *f, const struct kcs_scan_result *res)
{
	unsigned long long by[5] = { 0 };
	size_t i, n = 0;

	for (i = 0; i < res->n_ns; i++) {
		const struct kcs_probe_result *a = res->ns_sorted[i]->admission;

		if (!a)
			continue;
		n++;
		if ((unsigned)a->verdict < 5)
			by[a->verdict]++;
	}
	fprintf(f, "admission   %zu namespace%s probed: %llu deny NET_RAW, "
		"%llu admit it, %llu unknown\n", n, n == 1 ? "" : "s",
		by[KCS_VERDICT_PASS], by[KCS_VERDICT_FAIL],
		by[KCS_VERDICT_UNKNOWN]);
}

static void print_counts(FILE *f, const struct kcs_scan_result *res)
{
	const struct kcs_count *n = &res->namespaces, *p = &res->pods,
			       *c = &res->containers;
	unsigned long long w, by[5];

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
	w = res->workloads ? kcs_workloads_count(res->workloads) : 0;
	if (!w)
		return;
	kcs_workloads_counts(res->workloads, by);
	fprintf(f, "workloads   %llu total, %llu pass, %llu fail, %llu not applicable",
		w, by[KCS_VERDICT_PASS], by[KCS_VERDICT_FAIL],
		by[KCS_VERDICT_NOT_APPLICABLE]);
	if (by[KCS_VERDICT_UNKNOWN])
		fprintf(f, ", %llu unknown", by[KCS_VERDICT_UNKNOWN]);
	if (by[KCS_VERDICT_EXEMPT])
		fprintf(f, ", %llu exempt", by[KCS_VERDICT_EXEMPT]);
	fputc('\n', f);
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

static enum kcs_err print_summary(struct table_report *t,
				  const struct kcs_scan_result *res,
				  struct kcs_error *err)
{
	FILE *f = t->out;
	enum kcs_err rc;
	size_t i;

	fprintf(f, "\nSUMMARY (%s %s, control %s)", res->meta->control->benchmark,
		res->meta->control->version, res->meta->control->id);
	if (res->meta->cluster_name) {
		fputs(" cluster ", f);
		put_safez(f, res->meta->cluster_name);
	}
	fputc('\n', f);
	print_counts(f, res);
	if (res->runtime_aware && (rc = print_runtimes(f, res, err)))
		return rc;
	if (res->probed)
		print_admission(f, res);
	if (res->drift)
		fprintf(f, "drift       %zu new failure%s, %zu fixed, %zu unknown, "
			"%zu still failing\n",
			kcs_drift_count(res->drift, KCS_DRIFT_NEW_FAILURES),
			kcs_drift_count(res->drift, KCS_DRIFT_NEW_FAILURES) == 1
				? "" : "s",
			kcs_drift_count(res->drift, KCS_DRIFT_FIXED_ITEMS),
			kcs_drift_count(res->drift, KCS_DRIFT_UNKNOWN_ITEMS),
			kcs_drift_count(res->drift,
					KCS_DRIFT_STILL_FAILING_ITEMS));
	print_exemptions(f, res->exemptions);
	for (i = 0; i < res->n_warnings; i++) {
		fputs("warning: ", f);
		fputs(res->warnings[i], f);
		fputc('\n', f);
	}
	if (!res->complete) {
		fputs("result      INCOMPLETE: the scan could not see everything; "
		      "do not read it as a pass\n", f);
		for (i = 0; i < res->n_errors; i++)
			fprintf(f, "error       %s\n", res->errors[i].message);
	} else if (res->namespaces.fail || res->pods.fail) {
		fputs("result      FAIL\n", f);
	} else {
		fputs("result      PASS\n", f);
	}
	return KCS_OK;
}

static enum kcs_err table_end(struct kcs_report *rep,
			      const struct kcs_scan_result *res,
			      struct kcs_error *err)
{
	struct table_report *t = (struct table_report *)rep;
	enum kcs_err rc;

	if ((rc = kcs_rows_add_workloads(t->rows, res->workloads, err)) ||
	    (rc = kcs_rows_sort(t->rows, err)) ||
	    (rc = print_workloads(t, err)))
		return rc;
	print_namespaces(t, res);
	print_reasons(t);
	if ((rc = print_fixes(t, res, err)))
		return rc;
	if (res->drift)
		print_drift(t, res->drift);
	if ((rc = print_summary(t, res, err)))
		return rc;
	if (ferror(t->out) || (t->fix && ferror(t->fix)))
		return kcs_error_set(err, KCS_ERR_IO,
				     "cannot write the table report");
	return KCS_OK;
}

static void table_free(struct kcs_report *rep)
{
	struct table_report *t = (struct table_report *)rep;

	if (!t)
		return;
	kcs_rows_free(t->rows);
	if (t->fix)
		fclose(t->fix);
	kcs_wgroup_release(&t->g);
	kcs_free(t);
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
	kcs_wgroup_init(&t->g);
	t->rows = kcs_rows_new();
	if (!t->rows) {
		kcs_free(t);
		return NULL;
	}
	return &t->base;
}
