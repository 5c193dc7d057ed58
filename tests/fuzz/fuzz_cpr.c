/*
 * libFuzzer target for the CPR parser: whatever the bytes, it must not
 * crash, a success must be a real date with ten digits, and a rejection
 * must carry no digit in its message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fremdrift/cpr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct cpr_date today = {2026, 11, 22};
	struct fr_err err;
	struct cpr c;

	fr_err_clear(&err);
	if (cpr_parse((const char *)data, size, &today, &c, &err) == 0) {
		if (strlen(c.canonical) != 10 ||
		    strspn(c.canonical, "0123456789") != 10 ||
		    !cpr_date_valid(c.birth.year, c.birth.month, c.birth.day) ||
		    c.birth.year < 1858 || c.birth.year > today.year ||
		    (c.sex != 'M' && c.sex != 'F'))
			abort();
	} else {
		if (err.code != FR_ECPR || err.reason <= CPR_R_NONE ||
		    err.reason > CPR_R_FUTURE ||
		    strpbrk(err.msg, "0123456789") != NULL || c.canonical[0])
			abort();
	}
	cpr_wipe(&c);
	return 0;
}
