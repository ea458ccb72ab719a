/*
 * input.h - feed files (or standard input) through the streaming reader.
 */
#ifndef KCS_INPUT_H
#define KCS_INPUT_H

#include "kcs/compat.h"
#include "kcs/err.h"
#include "kcs/reader.h"

/* Read size per chunk; the reader never needs a whole file in memory. */
#define KCS_INPUT_CHUNK (64 * 1024)

/*
 * Restart `r` and feed it the file at `path` ("-" is standard input) to its
 * end. A document that is a Status (an API error saved to a file) is an
 * error too. On error `err` names the file and, for parse errors, the byte
 * offset; input bytes are never quoted.
 */
enum kcs_err kcs_input_file(struct kcs_reader *r, const char *path,
			    struct kcs_error *err) KCS_WUR;

/*
 * Feed `len` bytes from memory in chunks of `chunk` bytes (0: one chunk),
 * restarting `r` first. For tests and fuzzing.
 */
enum kcs_err kcs_input_mem(struct kcs_reader *r, const void *data, size_t len,
			   size_t chunk, struct kcs_error *err) KCS_WUR;

#endif /* KCS_INPUT_H */
