/*
 * control.h - which CIS Kubernetes Benchmark version, and so which control
 * ID, a report speaks of. The NET_RAW control has carried different IDs:
 * 5.2.7 in the older benchmarks, 5.2.8 in the newer ones (--benchmark).
 */
#ifndef KCS_CONTROL_H
#define KCS_CONTROL_H

#include <stddef.h>

struct kcs_control {
	const char *name;      /* --benchmark value: "cis-1.8" */
	const char *benchmark; /* "CIS Kubernetes Benchmark" */
	const char *version;   /* "v1.8.0" */
	const char *id;        /* the NET_RAW control's ID there: "5.2.8" */
	const char *title;     /* the control's title */
};

/* The control for --benchmark NAME, or NULL if NAME is unknown. */
const struct kcs_control *kcs_control_lookup(const char *name);
/* The default: the newest benchmark whose NET_RAW control is 5.2.8. */
const struct kcs_control *kcs_control_default(void);
/* The known names, comma-separated, for messages and --help. */
const char *kcs_control_names(void);
/* All known benchmarks, oldest first; *n receives their number. */
const struct kcs_control *kcs_control_all(size_t *n);

#endif /* KCS_CONTROL_H */
