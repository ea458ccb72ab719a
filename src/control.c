/*
 * control.c - the CIS Kubernetes Benchmark versions and the ID each gives
 * the NET_RAW control, as their published texts (and kube-bench's
 * cfg/cis-* policies.yaml) number it.
 */
#include <stdio.h>
#include <string.h>

#include "kcs/compat.h"
#include "kcs/control.h"
#include "kcs/banned.h"

#define TITLE "Minimize the admission of containers with the NET_RAW capability"
#define CIS "CIS Kubernetes Benchmark"

/* Oldest first. The last row with ID 5.2.8 is the default. */
static const struct kcs_control controls[] = {
	{ "cis-1.5", CIS, "v1.5.1", "5.2.7", TITLE },
	{ "cis-1.6", CIS, "v1.6.0", "5.2.7", TITLE },
	{ "cis-1.20", CIS, "v1.20", "5.2.7", TITLE },
	{ "cis-1.23", CIS, "v1.23", "5.2.8", TITLE },
	{ "cis-1.24", CIS, "v1.24", "5.2.8", TITLE },
	{ "cis-1.7", CIS, "v1.7.0", "5.2.8", TITLE },
	{ "cis-1.8", CIS, "v1.8.0", "5.2.8", TITLE },
};

/* Index of the default row (see control.h). */
#define KCS_CONTROL_DEFAULT 6

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
	return &controls[KCS_CONTROL_DEFAULT];
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
