/*
 * testutil.c - helpers shared by the unit tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <criterion/criterion.h>

#include "testutil.h"

const char *tu_path(const char *relpath)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s/%s", KCS_SOURCE_DIR, relpath);
	return buf;
}

char *tu_read_file(const char *relpath, size_t *len)
{
	FILE *f = fopen(tu_path(relpath), "rb");
	char *data;
	long n;

	cr_assert(f != NULL, "cannot open %s", relpath);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc((size_t)n + 1);
	cr_assert(data != NULL);
	cr_assert(fread(data, 1, (size_t)n, f) == (size_t)n);
	data[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return data;
}
