/*
 * exempt.h - exemptions: containers that really need NET_RAW (a monitoring
 * probe, a CNI), waived with a reason and, ideally, an end date.
 *
 * Two sources. A central YAML file (--exemptions FILE), a sequence of
 *
 *   - namespace: monitoring          # shell glob, required
 *     pod: blackbox-exporter-*       # shell glob, required
 *     container: blackbox-exporter   # shell glob, optional (all)
 *     reason: "ICMP probes (SEC-123)" # required
 *     expires: 2027-01-31            # optional; valid through that day, UTC
 *
 * and, only with --allow-annotation-exemptions (anyone who can edit a
 * workload can write one), the pod annotation
 *
 *   kubecapscan.io/exempt-net-raw: "<reason>[;expires=YYYY-MM-DD][;containers=a,b]"
 *
 * A matching FAILing container becomes EXEMPT (counted apart from PASS,
 * its FAIL reason kept). Expired entries no longer apply; they, and entries
 * that matched nothing, are reported.
 */
#ifndef KCS_EXEMPT_H
#define KCS_EXEMPT_H

#include <stddef.h>
#include <time.h>
#include "kcs/audit.h"
#include "kcs/compat.h"
#include "kcs/err.h"

/* Largest exemptions file read, and most entries in it. */
#define KCS_EXEMPTIONS_FILE_MAX (1024 * 1024)
#define KCS_EXEMPTIONS_MAX 4096

/* The annotation a pod may carry (honoured only when allowed). */
#define KCS_EXEMPT_ANNOTATION_KEY "kubecapscan.io/exempt-net-raw"

/* One entry of the exemptions file. */
struct kcs_exemption {
	char *ns_glob;          /* namespace pattern */
	char *pod_glob;         /* pod name pattern */
	char *container_glob;   /* container name pattern, NULL: any */
	char *reason;           /* why, shown in every report */
	char expires[11];       /* "YYYY-MM-DD", or "" */
	int expired;            /* expires is before the scan's day */
	unsigned long line;     /* line in the file, for messages */
	unsigned long long matches; /* containers exempted by it */
};

struct kcs_exemptions {
	char *path;                     /* the file, for reports */
	struct kcs_exemption *entries;
	size_t n;
	int allow_annotations;          /* --allow-annotation-exemptions */
	/* annotation bookkeeping, for the report's notes */
	unsigned long long annotated_ignored; /* pods with one, not allowed */
	unsigned long long annotated_expired; /* pods with an expired one */
	unsigned long long annotated_invalid; /* pods with a malformed one */
	unsigned long long annotated_applied; /* containers exempted by one */
};

/*
 * Load and check the file (libyaml). `now` decides which entries have
 * expired. Errors name the file, line and field. Call with path NULL for
 * no file (annotations only).
 */
enum kcs_err kcs_exemptions_load(const char *path, time_t now,
				 struct kcs_exemptions *out,
				 struct kcs_error *err) KCS_WUR;
void kcs_exemptions_release(struct kcs_exemptions *ex);

/*
 * Turn the pod's FAIL containers that an exemption covers into EXEMPT and
 * decide the pod's verdict again. `now` judges annotation expiry.
 */
void kcs_exemptions_apply(struct kcs_exemptions *ex, struct kcs_pod *pod,
			  time_t now);

/* Parse "YYYY-MM-DD" (a real date); returns 0 and the day's end, or -1. */
int kcs_parse_date(const char *s, size_t len, time_t *day_end);

#endif /* KCS_EXEMPT_H */
