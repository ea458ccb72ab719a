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

/* The report's control block: the CIS control this tool audits. */
#define KCS_CONTROL_BENCHMARK "CIS Kubernetes Benchmark"
#define KCS_CONTROL_ID "5.2.8"
#define KCS_CONTROL_TITLE \
	"Minimize the admission of containers with the NET_RAW capability"
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
