/*
 * CPR parsing, table-driven (the rules: docs/architecture.md). Fixtures are replacement-style
 * numbers (day + 60), dates in the 1800s, or 070761-4285 (the CPR office's
 * own worked example) as a modulus 11 vector: none can belong to a living
 * person by chance. "Today" is fixed so the future rule is deterministic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "fremdrift/cpr.h"

static const struct cpr_date today = {2026, 11, 22};

struct cpr_case {
	const char *input;
	size_t len; /* 0: strlen(input) */
	int reason; /* CPR_R_NONE for valid */
	int year, month, day;
	char sex;
	int replacement;
	int mod11;
};

#define OK(s, y, m, d, sx, repl, m11) {s, 0, CPR_R_NONE, y, m, d, sx, repl, m11}
#define BAD(s, r) {s, 0, r, 0, 0, 0, 0, 0, 0}

static const struct cpr_case cases[] = {
	/* The worked example and its forms. */
	OK("070761-4285", 1961, 7, 7, 'M', 0, 1),
	OK("0707614285", 1961, 7, 7, 'M', 0, 1),
	OK("  070761-4285  ", 1961, 7, 7, 'M', 0, 1),
	OK("\t0707614285\r\n", 1961, 7, 7, 'M', 0, 1),
	/* Modulus 11 failing is never a reason to reject. */
	OK("070761-4286", 1961, 7, 7, 'F', 0, 0),
	OK("670761-4285", 1961, 7, 7, 'M', 1, 0),
	/* Replacement numbers: day + 60. */
	OK("610190-1001", 1990, 1, 1, 'M', 1, 0),
	OK("910190-1002", 1990, 1, 31, 'F', 1, 0),
	OK("880290-1003", 1990, 2, 28, 'M', 1, 0),
	OK("900490-1004", 1990, 4, 30, 'F', 1, 0),
	/* Century table, 7th digit 0-3. */
	OK("610100-0001", 1900, 1, 1, 'M', 1, 0),
	OK("610136-1001", 1936, 1, 1, 'M', 1, 0),
	OK("610137-2001", 1937, 1, 1, 'M', 1, 0),
	OK("610157-3001", 1957, 1, 1, 'M', 1, 0),
	OK("610158-3002", 1958, 1, 1, 'F', 1, 0),
	OK("610199-0002", 1999, 1, 1, 'F', 1, 0),
	/* 7th digit 4 and 9. */
	OK("610100-4001", 2000, 1, 1, 'M', 1, 0),
	OK("610120-4001", 2020, 1, 1, 'M', 1, 0),
	OK("610137-4001", 1937, 1, 1, 'M', 1, 0),
	OK("610157-4001", 1957, 1, 1, 'M', 1, 0),
	OK("610158-4001", 1958, 1, 1, 'M', 1, 1),
	OK("610100-9001", 2000, 1, 1, 'M', 1, 0),
	BAD("610136-9001", CPR_R_FUTURE), /* 2036 */
	OK("610137-9001", 1937, 1, 1, 'M', 1, 0),
	OK("610199-9001", 1999, 1, 1, 'M', 1, 0),
	/* 7th digit 5-8. */
	OK("610100-5001", 2000, 1, 1, 'M', 1, 1),
	OK("610125-8001", 2025, 1, 1, 'M', 1, 0),
	OK("610158-5001", 1858, 1, 1, 'M', 1, 0),
	OK("610158-6002", 1858, 1, 1, 'F', 1, 0),
	OK("610199-7001", 1899, 1, 1, 'M', 1, 0),
	OK("610199-8002", 1899, 1, 1, 'F', 1, 0),
	/* 7th digit 5-8 with YY 37-57 is always in the future. */
	BAD("610137-5001", CPR_R_FUTURE),
	BAD("610145-6001", CPR_R_FUTURE),
	BAD("610157-7001", CPR_R_FUTURE),
	BAD("610150-8001", CPR_R_FUTURE),
	/* Leap years and 29 February. */
	OK("890200-4001", 2000, 2, 29, 'M', 1, 0),
	BAD("890200-0001", CPR_R_DAY), /* 1900 was not a leap year */
	OK("890296-0001", 1996, 2, 29, 'M', 1, 0),
	BAD("890297-0001", CPR_R_DAY),
	OK("890204-4001", 2004, 2, 29, 'M', 1, 1),
	BAD("890258-5001", CPR_R_DAY), /* 1858 */
	OK("290260-5001", 1860, 2, 29, 'M', 0, 0),
	BAD("290259-5001", CPR_R_DAY),
	BAD("300260-5001", CPR_R_DAY),
	/* Days and months that do not exist. */
	BAD("000190-1001", CPR_R_DAY),
	BAD("320190-1001", CPR_R_DAY),
	BAD("600190-1001", CPR_R_DAY),
	BAD("920190-1001", CPR_R_DAY),
	BAD("910490-1001", CPR_R_DAY),
	BAD("310460-5001", CPR_R_DAY),
	BAD("610090-1001", CPR_R_MONTH),
	BAD("611390-1001", CPR_R_MONTH),
	BAD("619990-1001", CPR_R_MONTH),
	/* The future, measured from 2026-11-22. */
	OK("821126-4001", 2026, 11, 22, 'M', 1, 0),
	BAD("831126-4001", CPR_R_FUTURE),
	BAD("610127-4001", CPR_R_FUTURE),
	BAD("610136-4001", CPR_R_FUTURE),
	BAD("611226-4001", CPR_R_FUTURE),
	/* Lengths. */
	BAD("", CPR_R_EMPTY),
	BAD("   \t ", CPR_R_EMPTY),
	BAD("12345", CPR_R_LENGTH),
	BAD("070761428", CPR_R_LENGTH),
	BAD("07076142851", CPR_R_LENGTH),
	BAD("070761-42851", CPR_R_LENGTH),
	BAD("070761-", CPR_R_LENGTH),
	/* Hyphens. */
	BAD("0707-614285", CPR_R_HYPHEN),
	BAD("070761--4285", CPR_R_HYPHEN),
	BAD("-0707614285", CPR_R_HYPHEN),
	BAD("0707614285-", CPR_R_HYPHEN),
	BAD("07-07-61-4285", CPR_R_HYPHEN),
	/* Characters. */
	BAD("07076I-4285", CPR_R_CHARACTER),
	BAD("070761 4285", CPR_R_CHARACTER),
	BAD("070761/4285", CPR_R_CHARACTER),
	BAD("abcdefghij", CPR_R_CHARACTER),
	BAD("+070761-4285", CPR_R_CHARACTER),
	BAD("070761\xe2\x80\x93" "4285", CPR_R_CHARACTER), /* en dash */
	BAD("\xd9\xa0\xd9\xa7\xd9\xa0\xd9\xa7\xd9\xa6\xd9\xa1"
	    "\xd9\xa4\xd9\xa2\xd9\xa8\xd9\xa5", CPR_R_CHARACTER), /* Arabic-Indic */
	BAD("\xef\xbc\x90\xef\xbc\x97\xef\xbc\x90\xef\xbc\x97\xef\xbc\x96"
	    "\xef\xbc\x91-4285", CPR_R_CHARACTER), /* fullwidth */
	BAD("\xc2\xa0" "070761-4285", CPR_R_CHARACTER), /* no-break space */
	BAD("070761-4285\xc2\xa0", CPR_R_CHARACTER),
	/* Embedded NUL (explicit lengths). */
	{"070761\0-4285", 12, CPR_R_NUL, 0, 0, 0, 0, 0, 0},
	{"0707614285\0", 11, CPR_R_NUL, 0, 0, 0, 0, 0, 0},
	{"\0", 1, CPR_R_NUL, 0, 0, 0, 0, 0, 0},
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct cpr_case *c = &cases[i];
		size_t len = c->len ? c->len : strlen(c->input);
		struct fr_err err;
		struct cpr cpr;
		int rc;
		fr_err_clear(&err);
		rc = cpr_parse(c->input, len, &today, &cpr, &err);
		if (c->reason == CPR_R_NONE) {
			if (rc != 0)
				fail_msg("case %zu: expected valid, got %s (%s)",
					 i, cpr_reason_name(err.reason), err.msg);
			assert_int_equal(cpr.birth.year, c->year);
			assert_int_equal(cpr.birth.month, c->month);
			assert_int_equal(cpr.birth.day, c->day);
			assert_int_equal(cpr.sex, c->sex);
			assert_int_equal(cpr.replacement, c->replacement);
			if (cpr.mod11 != c->mod11)
				fail_msg("case %zu: mod11 flag %d", i, cpr.mod11);
			assert_int_equal(strlen(cpr.canonical), 10);
		} else {
			if (rc != FR_ECPR || err.reason != c->reason)
				fail_msg("case %zu: expected %s, got rc=%d %s", i,
					 cpr_reason_name(c->reason), rc,
					 cpr_reason_name(err.reason));
			assert_string_equal(err.field, "cpr");
			/* A rejection never carries a digit of the number. */
			assert_null(strpbrk(err.msg, "0123456789"));
			/* and leaves nothing of it behind in out. */
			for (size_t k = 0; k < sizeof(cpr.canonical); k++)
				assert_int_equal(cpr.canonical[k], 0);
		}
	}
}

static void test_case_count(void **state)
{
	(void)state;
	assert_true(sizeof(cases) / sizeof(cases[0]) >= 60);
}

static void test_ninth_and_36_is_future(void **state)
{
	struct fr_err err;
	struct cpr cpr;

	(void)state;
	assert_int_equal(cpr_parse("610136-9001", 11, &today, &cpr, &err),
			 FR_ECPR);
	assert_int_equal(err.reason, CPR_R_FUTURE);
}

static void test_canonical_drops_hyphen(void **state)
{
	struct cpr cpr;

	(void)state;
	assert_int_equal(cpr_parse(" 670761-4285 ", 13, &today, &cpr, NULL), 0);
	assert_string_equal(cpr.canonical, "6707614285");
	cpr_wipe(&cpr);
	for (size_t k = 0; k < sizeof(cpr.canonical); k++)
		assert_int_equal(cpr.canonical[k], 0);
	assert_int_equal(cpr.birth.year, 0);
}

static void test_century_table(void **state)
{
	(void)state;
	for (int d7 = 0; d7 <= 9; d7++) {
		for (int yy = 0; yy <= 99; yy++) {
			int want;

			if (d7 <= 3)
				want = 1900 + yy;
			else if (d7 == 4 || d7 == 9)
				want = yy <= 36 ? 2000 + yy : 1900 + yy;
			else
				want = yy <= 57 ? 2000 + yy : 1800 + yy;
			assert_int_equal(cpr_century_year(yy, d7), want);
		}
	}
	/* The table's boundaries, spelled out. */
	assert_int_equal(cpr_century_year(36, 4), 2036);
	assert_int_equal(cpr_century_year(37, 4), 1937);
	assert_int_equal(cpr_century_year(57, 5), 2057);
	assert_int_equal(cpr_century_year(58, 5), 1858);
	assert_int_equal(cpr_century_year(99, 3), 1999);
}

static void test_mod11(void **state)
{
	(void)state;
	assert_int_equal(cpr_mod11("0707614285"), 1);
	assert_int_equal(cpr_mod11("0707614286"), 0);
	assert_int_equal(cpr_mod11("2512484916"), 1);
}

static void test_date_valid(void **state)
{
	(void)state;
	assert_true(cpr_date_valid(2000, 2, 29));
	assert_false(cpr_date_valid(1900, 2, 29));
	assert_true(cpr_date_valid(2024, 2, 29));
	assert_false(cpr_date_valid(2023, 2, 29));
	assert_false(cpr_date_valid(2023, 4, 31));
	assert_true(cpr_date_valid(2023, 12, 31));
	assert_false(cpr_date_valid(2023, 13, 1));
	assert_false(cpr_date_valid(2023, 0, 1));
	assert_false(cpr_date_valid(2023, 1, 0));
}

static void test_reason_names(void **state)
{
	(void)state;
	assert_string_equal(cpr_reason_name(CPR_R_LENGTH), "length");
	assert_string_equal(cpr_reason_name(CPR_R_FUTURE), "future");
	assert_string_equal(cpr_reason_name(99), "unknown");
}

/*
 * Text shaped like a CPR number, however it is written, so that it is
 * refused outside the cpr field and never echoed (issue 12). The look-
 * alikes an attacker tried: other separators, fullwidth and Arabic-Indic
 * digits, a long text with the number at a window's edge.
 */
static void test_shaped(void **state)
{
	static const char *const shaped[] = {
		"0101901234", "010190-1234", "010190 1234", "x 610190-1234 y",
		"010190/1234", "010190--1234", "010190\t1234",
		"010190\xc2\xa0" "1234", /* no-break space */
		"\xef\xbc\x90\xef\xbc\x91\xef\xbc\x90\xef\xbc\x91\xef\xbc\x99"
		"\xef\xbc\x90\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94",
		"\xd9\xa0\xd9\xa1\xd9\xa0\xd9\xa1\xd9\xa9\xd9\xa0-1234",
		"010190\xe2\x80\x93" "1234", /* en dash */
	};
	static const char *const fine[] = {
		"9999991234", "01019012", "010190-12", "010190abc1234",
		"010190---1234", "321390-1234", "course 2026-01-01", "",
	};
	char big[2000];

	(void)state;
	for (size_t i = 0; i < sizeof(shaped) / sizeof(*shaped); i++)
		if (!cpr_shaped(shaped[i], strlen(shaped[i])))
			fail_msg("not seen as CPR-shaped: case %zu", i);
	for (size_t i = 0; i < sizeof(fine) / sizeof(*fine); i++)
		if (cpr_shaped(fine[i], strlen(fine[i])))
			fail_msg("wrongly CPR-shaped: case %zu", i);
	/* The number at every offset of a long text: no window edge hides it. */
	for (size_t at = 0; at + 11 < sizeof(big); at += 7) {
		memset(big, 'x', sizeof(big));
		memcpy(big + at, "010190-1234", 11);
		if (!cpr_shaped(big, sizeof(big)))
			fail_msg("missed at offset %zu", at);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_case_count),
		cmocka_unit_test(test_ninth_and_36_is_future),
		cmocka_unit_test(test_canonical_drops_hyphen),
		cmocka_unit_test(test_century_table),
		cmocka_unit_test(test_mod11),
		cmocka_unit_test(test_date_valid),
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_shaped),
	};
	return cmocka_run_group_tests_name("cpr", tests, NULL, NULL);
}
