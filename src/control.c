/*
 * control.c - the CIS Kubernetes Benchmark versions and the ID each gives
 * the NET_RAW control ("Minimize the admission of containers with the
 * NET_RAW capability").
 *
 * Every row was checked against kube-bench's cfg/<name>/policies.yaml
 * (aquasecurity/kube-bench, the check whose text names NET_RAW): 5.2.7 in
 * cis-1.5, cis-1.6 and cis-1.20 (section 5.2 "Pod Security Policies"),
 * 5.2.8 from cis-1.23 on (section 5.2 "Pod Security Standards", which
 * added 5.2.1 "at least one active policy control mechanism"), still
 * 5.2.8 in cis-1.12 and cis-2.0, where "added capabilities" was dropped
 * and only the checks after 5.2.8 moved up. The version strings are the
 * benchmark releases as kube-bench's docs/platforms.md names them (1.5.1,
 * 1.6.0, 1.20, ...).
 */
#include <stdio.h>
#include <string.h>

#include "kcs/compat.h"
#include "kcs/control.h"
#include "kcs/banned.h"

#define TITLE "Minimize the admission of containers with the NET_RAW capability"
#define CIS "CIS Kubernetes Benchmark"

/* Oldest first. The newest row with ID 5.2.8 is the default. */
static const struct kcs_control controls[] = {
	{ "cis-1.5", CIS, "v1.5.1", "5.2.7", TITLE },   /* Kubernetes 1.15 */
	{ "cis-1.6", CIS, "v1.6.0", "5.2.7", TITLE },   /* 1.16-1.18 */
	{ "cis-1.20", CIS, "v1.20", "5.2.7", TITLE },   /* 1.19-1.21 */
	{ "cis-1.23", CIS, "v1.23", "5.2.8", TITLE },   /* 1.22-1.23 */
	{ "cis-1.24", CIS, "v1.24", "5.2.8", TITLE },   /* 1.24 */
	{ "cis-1.7", CIS, "v1.7.0", "5.2.8", TITLE },   /* 1.25 */
	{ "cis-1.8", CIS, "v1.8.0", "5.2.8", TITLE },   /* 1.26 */
	{ "cis-1.9", CIS, "v1.9", "5.2.8", TITLE },     /* 1.27 */
	{ "cis-1.10", CIS, "v1.10", "5.2.8", TITLE },   /* 1.28 */
	{ "cis-1.11", CIS, "v1.11", "5.2.8", TITLE },   /* 1.29-1.31 */
	{ "cis-1.12", CIS, "v1.12", "5.2.8", TITLE },   /* 1.32-1.33 */
	{ "cis-2.0", CIS, "v2.0", "5.2.8", TITLE },     /* 1.34-1.35 */
};

/* The ID the default must have (see control.h). */
#define KCS_CONTROL_DEFAULT_ID "5.2.8"

const struct kcs_control *kcs_control_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(controls); i++)
		if (!strcmp(controls[i].name, name))
			return &controls[i];
	return NULL;
}

const struct kcs_control *kcs_control_default(void)
{
	size_t i = KCS_ARRAY_SIZE(controls);

	/* Derived, not an index to keep in step: the newest 5.2.8 row. */
	while (i-- > 0)
		if (!strcmp(controls[i].id, KCS_CONTROL_DEFAULT_ID))
			return &controls[i];
	return &controls[KCS_ARRAY_SIZE(controls) - 1];
}

const struct kcs_control *kcs_control_all(size_t *n)
{
	*n = KCS_ARRAY_SIZE(controls);
	return controls;
}

const char *kcs_control_names(void)
{
	static char names[256];
	size_t i, used = 0;

	if (names[0])
		return names;
	for (i = 0; i < KCS_ARRAY_SIZE(controls) && used < sizeof(names); i++)
		used += (size_t)snprintf(names + used, sizeof(names) - used,
					 "%s%s", i ? ", " : "", controls[i].name);
	return names;
}
