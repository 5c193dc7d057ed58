#include "fremdrift/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void fr_err_clear(struct fr_err *err)
{
	if (err == NULL)
		return;
	memset(err, 0, sizeof(*err));
}

int fr_err_set(struct fr_err *err, int code, const char *field,
	       const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

const char *fr_strerror(int code)
{
	switch (code) {
	case FR_OK:
		return "success";
	case FR_EINVAL:
		return "invalid value";
	case FR_ETOOBIG:
		return "too big";
	case FR_EPARSE:
		return "parse error";
	case FR_EIO:
		return "input/output error";
	case FR_EDB:
		return "database error";
	case FR_ECONFIG:
		return "configuration error";
	case FR_EKEY:
		return "key file error";
	case FR_ECRYPTO:
		return "cryptography error";
	case FR_ECPR:
		return "invalid CPR number";
	case FR_ESTATE:
		return "not possible in this state";
	case FR_EUNKNOWN:
		return "unknown";
	default:
		if (code < 0 && code > -4096)
			return strerror(-code);
		return "unknown error";
	}
}
