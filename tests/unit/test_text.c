/*
 * The small text readers every module shares: PostgreSQL's COPY escapes
 * (db/db.c), PostgreSQL array text (common/pg_array.c) and dates
 * (common/civil.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "fremdrift/civil.h"
#include "fremdrift/db.h"
#include "fremdrift/pg_array.h"

static void unescape_is(const char *in, const char *want, size_t want_len)
{
	char buf[64];
	size_t n = strlen(in);

	memcpy(buf, in, n + 1);
	n = db_copy_unescape(buf, n);
	assert_int_equal(n, want_len);
	assert_memory_equal(buf, want, want_len);
}

/* What COPY TO writes for a field, read back to the field's bytes. */
static void test_copy_unescape(void **state)
{
	(void)state;
	unescape_is("plain", "plain", 5);
	unescape_is("K\\\\1", "K\\1", 3);
	unescape_is("a\\tb\\nc\\rd", "a\tb\nc\rd", 7);
	unescape_is("\\b\\f\\v", "\b\f\v", 3);
	unescape_is("\\101\\7x", "A\ax", 3);
	unescape_is("\\x41\\x4", "A\x04", 2);
	unescape_is("\\.", ".", 1);
	unescape_is("æø\\\\å", "æø\\å", strlen("æø\\å"));
	unescape_is("end\\", "end\\", 4);
}

static void test_pg_array(void **state)
{
	double v[4];

	(void)state;
	assert_int_equal(pga_parse_reals("{1,NULL,2.5}", v, 4), 3);
	assert_true(v[0] == 1.0 && isnan(v[1]) && v[2] == 2.5);
	assert_int_equal(pga_parse_reals("{}", v, 4), 0);
	assert_int_equal(pga_parse_reals(NULL, v, 4), 0);
	assert_int_equal(pga_parse_reals("{1,2,3,4,5}", v, 4), -1);
	assert_int_equal(pga_parse_reals("1,2", v, 4), -1);
	assert_int_equal(pga_parse_reals("{1,x}", v, 4), -1);
	assert_int_equal(pga_parse_reals("{1,2", v, 4), -1);
}

static void test_date_parse(void **state)
{
	long d;

	(void)state;
	assert_int_equal(fr_date_parse("1970-01-01", &d), 0);
	assert_int_equal(d, 0);
	assert_int_equal(fr_date_parse("2024-02-29", &d), 0);
	assert_int_equal(fr_date_parse("2025-02-29", &d), -1);
	assert_int_equal(fr_date_parse("2025-13-01", &d), -1);
	assert_int_equal(fr_date_parse("2025-04-31", &d), -1);
	assert_int_equal(fr_date_parse("2025-1-01", &d), -1);
	assert_int_equal(fr_date_parse("2025-01-01x", &d), -1);
	assert_int_equal(fr_date_parse("0000-01-01", &d), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_unescape),
		cmocka_unit_test(test_pg_array),
		cmocka_unit_test(test_date_parse),
	};

	return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
