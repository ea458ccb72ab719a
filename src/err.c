/*
 * err.c - the error record: set once (first error wins), named for reports.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kcs/err.h"
#include "kcs/banned.h"

void kcs_error_clear(struct kcs_error *err)
{
	if (!err)
		return;
	err->code = KCS_OK;
	err->msg[0] = '\0';
	err->source[0] = '\0';
	err->offset = -1;
	err->http_status = 0;
}

enum kcs_err kcs_error_set(struct kcs_error *err, enum kcs_err code,
			   const char *fmt, ...)
{
	va_list ap;

	if (!err || err->code != KCS_OK)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

void kcs_error_source(struct kcs_error *err, const char *source)
{
	if (!err || !source || err->source[0])
		return;
	snprintf(err->source, sizeof(err->source), "%s", source);
}

const char *kcs_err_name(enum kcs_err code)
{
	static const char *const names[] = {
		[KCS_OK] = "OK",
		[KCS_ERR_NOMEM] = "NOMEM",
		[KCS_ERR_IO] = "IO",
		[KCS_ERR_USAGE] = "USAGE",
		[KCS_ERR_CONFIG] = "CONFIG",
		[KCS_ERR_AUTH] = "AUTH",
		[KCS_ERR_HTTP] = "HTTP",
		[KCS_ERR_API] = "API",
		[KCS_ERR_PARSE] = "PARSE",
		[KCS_ERR_LIMIT] = "LIMIT",
		[KCS_ERR_INTERNAL] = "INTERNAL",
	};

	if ((size_t)code >= sizeof(names) / sizeof(names[0]) || !names[code])
		return "INTERNAL";
	return names[code];
}
