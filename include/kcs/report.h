/*
 * report.h - the report writers behind struct kcs_report_ops (scan.h).
 *
 * Each writer prints to a FILE it borrows; the caller opens, checks
 * (ferror/fclose) and closes it. Writers stream: a pod is written when it is
 * handed over, so no report holds the pod list.
 */
#ifndef KCS_REPORT_H
#define KCS_REPORT_H

#include <stdio.h>
#include "kcs/compat.h"
#include "kcs/scan.h"

/* Report formats (-o). */
enum kcs_format {
	KCS_FORMAT_TABLE,
	KCS_FORMAT_JSON,
	KCS_FORMAT_COUNT
};

/* Parse a format name; returns -1 if unknown. */
int kcs_format_parse(const char *name, size_t len, enum kcs_format *out);
const char *kcs_format_name(enum kcs_format f);
/* The format names, comma-separated, for messages and --help. */
const char *kcs_format_names(void);
/* Make the writer for `f` printing to `out`; NULL on allocation failure. */
struct kcs_report *kcs_report_new(enum kcs_format f, FILE *out) KCS_WUR;

#define KCS_SCHEMA_VERSION "kubecapscan/v1"

/*
 * JSON report, schema kubecapscan/v1 (docs/schema/kubecapscan-v1.schema.json).
 * Returns NULL on allocation failure.
 */
struct kcs_report *kcs_report_json_new(FILE *out) KCS_WUR;

/*
 * Table for people: failing containers as they are found, then one line per
 * namespace, then the summary. Returns NULL on allocation failure.
 */
struct kcs_report *kcs_report_table_new(FILE *out) KCS_WUR;

/* Format `t` as RFC 3339 UTC ("2026-11-23T10:00:00Z") into buf[32]. */
void kcs_format_time(time_t t, char buf[32]);

#endif /* KCS_REPORT_H */
