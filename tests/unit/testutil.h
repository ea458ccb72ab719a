/*
 * testutil.h - helpers shared by the unit tests.
 */
#ifndef KCS_TESTUTIL_H
#define KCS_TESTUTIL_H

#include <stddef.h>

/* Read a whole file under the source tree; abort the test if missing. */
char *tu_read_file(const char *relpath, size_t *len);
/* Absolute path of a file under the source tree (static buffer). */
const char *tu_path(const char *relpath);

/*
 * Compare output with a golden file under the source tree, naming the first
 * differing line; KCS_UPDATE_GOLDEN=1 rewrites the golden file instead.
 */
void tu_check_golden(const char *rel, const char *got, size_t len);

#endif
