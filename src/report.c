/*
 * report.c - the registry of report formats behind -o.
 */
#include <string.h>

#include "kcs/report.h"
#include "kcs/banned.h"

static const struct {
	const char *name;
	struct kcs_report *(*make)(FILE *out);
} formats[KCS_FORMAT_COUNT] = {
	[KCS_FORMAT_TABLE] = { "table", kcs_report_table_new },
	[KCS_FORMAT_JSON] = { "json", kcs_report_json_new },
};

int kcs_format_parse(const char *name, size_t len, enum kcs_format *out)
{
	size_t i;

	for (i = 0; i < KCS_FORMAT_COUNT; i++)
		if (strlen(formats[i].name) == len &&
		    !memcmp(formats[i].name, name, len)) {
			*out = (enum kcs_format)i;
			return 0;
		}
	return -1;
}

const char *kcs_format_name(enum kcs_format f)
{
	return (unsigned)f < KCS_FORMAT_COUNT ? formats[f].name : "table";
}

const char *kcs_format_names(void)
{
	return "table, json";
}

struct kcs_report *kcs_report_new(enum kcs_format f, FILE *out)
{
	if ((unsigned)f >= KCS_FORMAT_COUNT)
		return NULL;
	return formats[f].make(out);
}
