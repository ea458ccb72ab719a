/*
 * testutil.c - helpers shared by the unit tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/*
 * Compare `len` bytes of output with the golden file `rel`; with
 * KCS_UPDATE_GOLDEN=1 in the environment, rewrite the golden file instead.
 */
void tu_check_golden(const char *rel, const char *got, size_t len)
{
	const char *update = getenv("KCS_UPDATE_GOLDEN");
	size_t wlen, i, line = 1;
	char *want;

	if (update && !strcmp(update, "1")) {
		FILE *f = fopen(tu_path(rel), "wb");

		cr_assert_not_null(f, "cannot write %s", rel);
		cr_assert_eq(fwrite(got, 1, len, f), len);
		cr_assert_eq(fclose(f), 0);
		cr_log_warn("rewrote %s: review the diff before committing", rel);
		return;
	}
	want = tu_read_file(rel, &wlen);
	for (i = 0; i < len && i < wlen && got[i] == want[i]; i++)
		if (got[i] == '\n')
			line++;
	if (i < len || i < wlen) {
		const char *g0 = got + i, *w0 = want + i;

		while (g0 > got && g0[-1] != '\n')
			g0--;
		while (w0 > want && w0[-1] != '\n')
			w0--;
		cr_assert_fail("%s differs at byte %zu (line %zu); KCS_UPDATE_GOLDEN=1 rewrites it\n"
			       "  golden: %.*s\n  output: %.*s",
			       rel, i, line, (int)strcspn(w0, "\n"), w0,
			       (int)strcspn(g0, "\n"), g0);
	}
	free(want);
}
