/*
 * replay_main.c - run a fuzz target over saved inputs, without libFuzzer.
 *
 * Usage: replay_<target> DIR|FILE...
 *
 * Every regular file of every directory named (not recursive, names sorted,
 * dot files skipped so a .gitkeep can hold an empty directory in git) is
 * read into a buffer of exactly its size and handed to
 * LLVMFuzzerTestOneInput once. This is how the corpus and every crash ever
 * found (fuzz/regressions/) run as ordinary ctest tests under gcc, with or
 * without sanitizers (curl-fuzzer's mainline.sh does the same).
 *
 * A missing directory is an error, not an empty pass, so a typo in
 * fuzz/CMakeLists.txt cannot turn the test into one that runs nothing; so
 * is a run that found no input at all. The input's name is printed before
 * it runs, so a crash names its input.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "kcs/banned.h"

/* Largest input replayed; libFuzzer's own inputs are far smaller. */
#define REPLAY_MAX_INPUT (64u * 1024 * 1024)

/* Read all of `path` into a fresh buffer of exactly its size. */
static int read_input(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	struct stat st;
	int rc = -1;

	*out = NULL;
	*len = 0;
	if (!f) {
		fprintf(stderr, "replay: cannot open '%s': %s\n", path,
			strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) != 0 || st.st_size < 0 ||
	    (unsigned long long)st.st_size > REPLAY_MAX_INPUT) {
		fprintf(stderr, "replay: cannot size '%s' (or over %u bytes)\n",
			path, REPLAY_MAX_INPUT);
		goto out;
	}
	/* malloc(0) may return NULL; an empty input is still an input. */
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		fprintf(stderr, "replay: out of memory reading '%s'\n", path);
		goto out;
	}
	if (st.st_size &&
	    fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		fprintf(stderr, "replay: cannot read '%s'\n", path);
		goto out;
	}
	*out = buf;
	*len = (size_t)st.st_size;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	fclose(f);
	return rc;
}

static int run_file(const char *path)
{
	uint8_t *data;
	size_t len;

	if (read_input(path, &data, &len))
		return -1;
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

static int skip_entry(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* Run every regular file of `dir`; returns how many, or -1 on error. */
static long run_dir(const char *dir)
{
	struct dirent **names = NULL;
	long ran = 0;
	int i, n;

	n = scandir(dir, &names, skip_entry, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: cannot list '%s': %s\n", dir,
			strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		if (ran >= 0 &&
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     names[i]->d_name) < sizeof(path) &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode))
			ran = run_file(path) ? -1 : ran + 1;
		free(names[i]);
	}
	free(names);
	return ran;
}

int main(int argc, char **argv)
{
	long total = 0, ran;
	struct stat st;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: cannot find '%s': %s\n",
				argv[i], strerror(errno));
			return 1;
		}
		ran = S_ISDIR(st.st_mode) ? run_dir(argv[i])
					  : (run_file(argv[i]) ? -1 : 1);
		if (ran < 0)
			return 1;
		total += ran;
	}
	if (total == 0) {
		fprintf(stderr, "replay: no input found in the paths given\n");
		return 1;
	}
	fprintf(stderr, "replay: %ld inputs ran cleanly\n", total);
	return 0;
}
