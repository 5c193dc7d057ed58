/* Record validation, scoring and COPY formatting, without a database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fremdrift/batch.h"
#include "fremdrift/catalog.h"
#include "fremdrift/instrument.h"
#include "fremdrift/record.h"

static struct catalog cat;
static struct pseud_ctx *pseud;
static struct rec_ctx ctx;

static int setup(void **state)
{
	static const char *kinds[] = {"department", "target_group",
				      "intervention", "exit_status", "subgoal",
				      "meeting"};
	static const char *codes[] = {"aarhus", "sick_listed", "internship",
				      "education", "belief", "conversation"};
	static const char *extras[] = {NULL, NULL, "company", NULL, NULL, NULL};
	static const unsigned char key[32] = "unit-test-key-unit-test-key-0123";

	(void)state;
	if (catalog_init(&cat, NULL) != 0)
		return -1;
	catalog_set_codes(&cat, 6, kinds, codes, extras);
	if (pseud_ctx_new(key, 32, &pseud, NULL) != 0)
		return -1;
	ctx.cat = &cat;
	ctx.pseud = pseud;
	ctx.key_no = 1;
	ctx.today = (struct cpr_date){2026, 11, 22};
	ctx.default_source = "unit";
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pseud_ctx_free(pseud);
	catalog_free(&cat);
	return 0;
}

static void test_times(void **state)
{
	static const char *const good[] = {
		"2026-03-01T10:15:00+01:00", "2026-03-01T10:15:00Z",
		"2026-03-01t10:15:00.123456z", "2024-02-29T00:00:00-05:30",
		"2026-03-01 10:15:00+01:00"};
	static const char *const bad[] = {
		"2026-03-01T10:15:00", "2026-02-29T10:00:00Z", "2026-13-01T10:00:00Z",
		"2026-03-01T24:00:00Z", "2026-03-01T10:60:00Z", "26-03-01T10:00:00Z",
		"2026-03-01T10:15:00+1:00", "2026-03-01T10:15:00.Z",
		"1899-12-31T00:00:00Z", "2026-03-01T10:15:00+01:00x",
		/* PostgreSQL refuses these (issue 12, defect 1): offsets beyond
		 * 15:59 and a leap second with a fraction. */
		"2026-02-01T10:00:00-18:00", "2026-02-01T10:00:00+16:00",
		"2026-12-31T23:59:60.5Z", "2026-12-31T23:59:60.000001+01:00"};
	static const char *const pg_good[] = {
		"2026-02-01T10:00:00-15:59", "2026-02-01T10:00:00+15:59",
		"2026-12-31T23:59:60Z", "2026-12-31T23:59:60.000Z"};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		assert_int_equal(rec_check_time(good[i], strlen(good[i]), 0), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (rec_check_time(bad[i], strlen(bad[i]), 1) == 0)
			fail_msg("accepted %s", bad[i]);
	for (size_t i = 0; i < sizeof(pg_good) / sizeof(*pg_good); i++)
		if (rec_check_time(pg_good[i], strlen(pg_good[i]), 0) != 0)
			fail_msg("refused %s", pg_good[i]);
	assert_int_equal(rec_check_time("2026-03-01", 10, 1), 0);
	assert_int_equal(rec_check_time("2026-03-01", 10, 0), FR_EINVAL);
}

/* True if s holds a run of six digits or more. */
static int has_digits6(const char *s)
{
	return strpbrk(s, "0123456789") &&
	       strspn(strpbrk(s, "0123456789"), "0123456789") >= 6;
}

/*
 * Issue 12, defect 5: CPR-shaped text in any text field is rejected with a
 * reason that does not echo it, and a CPR-shaped name (a JSON key, an
 * answers key, a CSV column) is never shown as the field.
 */
static void test_cpr_shaped_text(void **state)
{
#define R(id, course, extra)                                                   \
	"{\"kind\":\"event\",\"id\":\"" id "\",\"cpr\":\"670761-4285\","  \
	"\"course\":\"" course "\",\"at\":\"2026-02-01\",\"type\":"       \
	"\"course_ended\",\"exit_status\":\"education\"" extra "}"
	static const struct {
		const char *json, *field;
	} cases[] = {
		{R("x 0101901234", "K", ""), "id"},
		{R("010190-1234", "K", ""), "id"},
		{R("a", "K 670761 4285", ""), "course"},
		/* ten digits, six of them fullwidth or Arabic-Indic */
		{R("a", "K \xef\xbc\x90\xef\xbc\x91\xd9\xa0\xd9\xa1\xdb\xb9"
		   "\xdb\xb0-1234", ""), "course"},
		{R("a", "K", ",\"source\":\"s0101901234\""), "source"},
		{R("a", "K", ",\"0101901234\":1"), NULL},
		{"{\"kind\":\"response\",\"id\":\"r1\",\"cpr\":\"670761-4285\","
		 "\"instrument\":\"borger\",\"version\":1,\"respondent\":"
		 "\"citizen\",\"answered_at\":\"2026-03-01T10:00:00+01:00\","
		 "\"answers\":{\"010190-1234\":4}}",
		 NULL},
	};
	static const char *const fine[] = {
		R("9999991234", "K", ""),     /* no such date */
		R("a", "K 01019012", ""),     /* eight digits */
		R("a", "K", ",\"source\":\"s321390-1234\""),
		/* nine digits of other scripts: cannot be a number */
		R("a", "K \xef\xbc\x90\xef\xbc\x91\xd9\xa0\xd9\xa1\xdb\xb0"
		  "9012", "")};
	struct record r;
	struct fr_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		fr_err_clear(&err);
		if (rec_parse_json(cases[i].json, strlen(cases[i].json), &ctx, &r,
				   &err) == 0)
			fail_msg("accepted case %zu", i);
		if (cases[i].field)
			assert_string_equal(err.field, cases[i].field);
		if (has_digits6(err.field) || has_digits6(err.msg))
			fail_msg("case %zu echoes: %s / %s", i, err.field, err.msg);
	}
	for (size_t i = 0; i < sizeof(fine) / sizeof(*fine); i++)
		if (rec_parse_json(fine[i], strlen(fine[i]), &ctx, &r, &err) != 0)
			fail_msg("refused fine case %zu: %s", i, err.msg);
#undef R
}

/* 1 if the n bytes at p hold needle anywhere. */
static int holds(const void *p, size_t n, const char *needle)
{
	return memmem(p, n, needle, strlen(needle)) != NULL;
}

/*
 * Issue 14: the id and course key as given never stay in a struct record
 * (only their pseudonyms do), and no rejection of such a record quotes
 * them, whichever field it is about.
 */
static void test_ids_never_kept(void **state)
{
#define ID "jens-hansen-start"
#define COURSE "Jens Hansen, Vejlevej 3"
#define E(cpr, at, extra)                                                      \
	"{\"kind\":\"event\",\"id\":\"" ID "\",\"cpr\":\"" cpr "\","         \
	"\"course\":\"" COURSE "\",\"at\":\"" at "\",\"type\":"          \
	"\"course_ended\",\"exit_status\":\"education\"" extra "}"
	static const char *const bad[] = {
		E("670761-4286x", "2026-02-01", ""),
		E("670761-4285", "2026-02-31", ""),
		E("670761-4285", "2026-02-01", ",\"exit_status\":\"x\""),
		E("670761-4285", "2026-02-01", ",\"hours\":3"),
		"{\"kind\":\"response\",\"id\":\"" ID "\",\"cpr\":\"670761-"
		"4285\",\"instrument\":\"borger\",\"version\":1,\"respondent\":"
		"\"citizen\",\"answered_at\":\"2026-03-01T10:00:00+01:00\","
		"\"course\":\"" COURSE "\",\"answers\":{\"b01\":99}}",
		"{\"kind\":\"event\",\"id\":\"" ID ID ID ID ID ID ID ID "\"}",
	};
	static const char good[] = E("670761-4285", "2026-02-01", "");
	struct record r;
	struct fr_err err;
	char hex[PSEUD_HEX_LEN + 1];

	(void)state;
	fr_err_clear(&err);
	assert_int_equal(rec_parse_json(good, sizeof(good) - 1, &ctx, &r, &err),
			 0);
	assert_false(holds(&r, sizeof(r), ID));
	assert_false(holds(&r, sizeof(r), COURSE));
	assert_int_equal(pseud_ident_hex(pseud, PSEUD_COURSE, COURSE,
					 strlen(COURSE), hex),
			 0);
	assert_string_equal(r.course, hex);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		memset(&r, 0, sizeof(r));
		fr_err_clear(&err);
		if (rec_parse_json(bad[i], strlen(bad[i]), &ctx, &r, &err) == 0)
			fail_msg("accepted case %zu", i);
		if (holds(&err, sizeof(err), "jens") ||
		    holds(&err, sizeof(err), "Jens") ||
		    holds(&r, sizeof(r), "jens") || holds(&r, sizeof(r), "Jens"))
			fail_msg("case %zu keeps the id or course: %s / %s", i,
				 err.field, err.msg);
	}
#undef E
#undef COURSE
#undef ID
}

static void test_iso_weeks(void **state)
{
	char out[11];

	(void)state;
	assert_int_equal(rec_iso_week_monday("2026-W09", 8, out), 0);
	assert_string_equal(out, "2026-02-23");
	assert_int_equal(rec_iso_week_monday("2026-W01", 8, out), 0);
	assert_string_equal(out, "2025-12-29"); /* week 1 starts in 2025 */
	assert_int_equal(rec_iso_week_monday("2020-W53", 8, out), 0);
	assert_string_equal(out, "2020-12-28"); /* 2020 had 53 weeks */
	assert_int_equal(rec_iso_week_monday("2025-W53", 8, out), FR_EINVAL);
	assert_int_equal(rec_iso_week_monday("2026-W53", 8, out), 0); /* 2026 starts on a Thursday */
	assert_string_equal(out, "2026-12-28");
	assert_int_equal(rec_iso_week_monday("2026-W00", 8, out), FR_EINVAL);
	assert_int_equal(rec_iso_week_monday("2026-09", 7, out), FR_EINVAL);
}

static void test_utf8(void **state)
{
	(void)state;
	assert_true(rec_text_ok("Ærø æøå", strlen("Ærø æøå")));
	assert_true(rec_text_ok("tab\there", 8));
	assert_false(rec_text_ok("a\nb", 3));
	assert_false(rec_text_ok("a\xc2\x85" "b", 4)); /* C1 control NEL */
	assert_false(rec_text_ok("\xff", 1));
	assert_false(rec_text_ok("\xc0\xaf", 2));         /* overlong */
	assert_false(rec_text_ok("\xed\xa0\x80", 3));     /* surrogate */
	assert_false(rec_text_ok("\xe2\x82", 2));         /* cut short */
	assert_false(rec_text_ok("a\0b", 3));
}

static void test_scoring(void **state)
{
	const struct instrument *b = catalog_instrument(&cat, "borger", 6, 1);
	int16_t ans[INSTR_MAX_ITEMS];
	double sc[INSTR_MAX_DIMS];
	unsigned char pr[INSTR_MAX_DIMS];

	(void)state;
	assert_non_null(b);
	assert_int_equal(b->nitems, 24);
	for (int i = 0; i < b->nitems; i++)
		ans[i] = INSTR_NULL;
	/* tro: b01..b04, b04 reversed. 5,5,5 and b04=1 (reversed 5) = 100. */
	ans[0] = 5;
	ans[1] = 5;
	ans[2] = 5;
	ans[3] = 1;
	instr_score(b, ans, sc, pr);
	assert_true(pr[0]);
	assert_true(fabs(sc[0] - 100.0) < 1e-9);
	/* b04 = 5 reversed is 1, i.e. 0: (100 * 3 + 0) / 4 = 75. */
	ans[3] = 5;
	instr_score(b, ans, sc, pr);
	assert_true(fabs(sc[0] - 75.0) < 1e-9);
	/* Two of four answered is under two thirds: no score. */
	ans[2] = INSTR_NULL;
	ans[3] = INSTR_NULL;
	instr_score(b, ans, sc, pr);
	assert_false(pr[0]);
	/* stabilitet (b09-b11): two of three is exactly two thirds: scored.
	 * 3 -> 50, 2 -> 25. */
	ans[8] = 3;
	ans[9] = 2;
	instr_score(b, ans, sc, pr);
	assert_true(pr[2]);
	assert_true(fabs(sc[2] - 37.5) < 1e-9);
}

static struct rec_field str_field(const char *name, const char *value)
{
	struct rec_field f;

	memset(&f, 0, sizeof(f));
	f.name = name;
	f.nlen = strlen(name);
	f.v.type = RV_STRING;
	f.v.s = value;
	f.v.len = strlen(value);
	return f;
}

static void test_csv_event_and_format(void **state)
{
	struct rec_field f[] = {
		str_field("id", "e\\1"),   str_field("cpr", "610190-1001"),
		str_field("course", "K\t1"), str_field("at", "2026-02-01"),
		str_field("type", "hours"),  str_field("week", "2026-W09"),
		str_field("hours", "7,5"),   str_field("paid_hours", "2"),
		str_field("department", "")};
	struct rec_ctx c = ctx;
	struct record r;
	struct fr_err err;
	struct fr_buf out;
	char hex[PSEUD_HEX_LEN + 1], want[PSEUD_HEX_LEN + 64];

	(void)state;
	c.csv = 1;
	c.csv_kind = REC_EVENT;
	fr_err_clear(&err);
	/* A tab is allowed in text and escaped for COPY; so is a backslash. */
	assert_int_equal(rec_build(&r, &c, f, 9, &err), 0);
	assert_int_equal(r.type, EV_HOURS);
	assert_true(fabs(r.hours - 7.5) < 1e-9);
	assert_string_equal(r.week, "2026-02-23");
	assert_int_equal(r.birth_year, 1990);
	fr_buf_init(&out, 4096);
	assert_int_equal(batch_format_event(&out, &r), 0);
	/* The id and the course key are stored as their pseudonyms only
	 * (issue 14), whatever they hold: a tab and a backslash here. */
	assert_int_equal(pseud_ident_hex(pseud, PSEUD_RECORD_ID, "e\\1", 3, hex),
			 0);
	assert_string_equal(r.id, hex);
	snprintf(want, sizeof(want), "unit\t%s\t\\\\x", hex);
	assert_non_null(strstr(out.data, want));
	assert_int_equal(pseud_ident_hex(pseud, PSEUD_COURSE, "K\t1", 3, hex), 0);
	assert_string_equal(r.course, hex);
	snprintf(want, sizeof(want), "\t%s\t2026-02-01\thours\t", hex);
	assert_non_null(strstr(out.data, want));
	assert_null(strstr(out.data, "K\\t1"));
	assert_null(strstr(out.data, "e\\\\1"));
	assert_non_null(strstr(out.data, "\t2026-02-23\t7.50\t2.00\t"));
	assert_non_null(strstr(out.data, "1990\tM\t")); /* last digit odd */
	fr_buf_free(&out);

	/* paid_hours above hours is refused, with its column. */
	f[7] = str_field("paid_hours", "9");
	assert_int_equal(rec_build(&r, &c, f, 9, &err), FR_EINVAL);
	assert_string_equal(err.field, "paid_hours");
	assert_int_equal(err.column, 8);
}

static void test_json_response(void **state)
{
	static const char line[] =
		"{\"kind\":\"response\",\"id\":\"r1\",\"source\":\"app\","
		"\"cpr\":\" 670761-4285 \",\"instrument\":\"borger\","
		"\"version\":1,\"respondent\":\"citizen\",\"answered_at\":"
		"\"2026-03-01T10:00:00+01:00\",\"answers\":{\"b01\":4,"
		"\"b02\":null}}";
	struct record r;
	struct fr_err err;
	struct fr_buf out;

	(void)state;
	assert_int_equal(rec_parse_json(line, sizeof(line) - 1, &ctx, &r, &err), 0);
	assert_string_equal(r.source, "app");
	assert_int_equal(r.answers[0], 4);
	assert_int_equal(r.answers[1], INSTR_NULL);
	fr_buf_init(&out, 4096);
	assert_int_equal(batch_format_response(&out, &r), 0);
	assert_non_null(strstr(out.data, "\t{4,NULL,NULL,"));
	assert_non_null(strstr(out.data, "\tborger\t1\tc\t2026-03-01T10:00:00+01:00\t\\N\t"));
	/* The formatted row never holds the CPR number. */
	assert_null(strstr(out.data, "670761"));
	assert_null(strstr(out.data, "6707614285"));
	fr_buf_free(&out);
}

/* A borger response with the given answers. */
#define ANS(answers)                                                           \
	"{\"kind\":\"response\",\"id\":\"a\",\"instrument\":\"borger\","            \
	"\"version\":1,\"respondent\":\"citizen\",\"answered_at\":"                 \
	"\"2026-01-01T00:00:00Z\",\"cpr\":\"610190-1001\",\"answers\":{"           \
	answers "}}"

/* Answers in any order, at any item, land on their own item; whole
 * numbers are read exactly, also negative ones and many digits. */
static void test_json_answers_any_order(void **state)
{
	static const char line[] = ANS("\"b03\":5,\"b01\":1,\"b02\":null,"
				       "\"b10\":2");
	static const char levels[] =
		"{\"kind\":\"event\",\"id\":\"a\",\"type\":\"goal_rated\",\"course\":"
		"\"k\",\"at\":\"2026-01-01\",\"goal\":\"belief\",\"level\":-2,"
		"\"cpr\":\"610190-1001\"}";
	struct record r;
	struct fr_err err;

	(void)state;
	assert_int_equal(rec_parse_json(line, sizeof(line) - 1, &ctx, &r, &err), 0);
	assert_int_equal(r.answers[0], 1);
	assert_int_equal(r.answers[1], INSTR_NULL);
	assert_int_equal(r.answers[2], 5);
	assert_int_equal(r.answers[3], INSTR_NULL);
	assert_int_equal(r.answers[9], 2);
	assert_int_equal(rec_parse_json(levels, sizeof(levels) - 1, &ctx, &r, &err), 0);
	assert_int_equal(r.level, -2);
}

static void test_json_rejections(void **state)
{
	static const struct {
		const char *json, *field, *reason;
	} cases[] = {
		{"[1]", "", "JSON object"},
		{"{\"kind\":\"thing\"}", "kind", "must be"},
		{"{\"kind\":\"event\",\"id\":5}", "id", "must be a string"},
		{"{\"kind\":\"event\",\"id\":\"\"}", "id", "must not be empty"},
		{"{\"kind\":\"event\",\"id\":\"a\",\"source\":\"a b\"}", "source",
		 "letters"},
		{"{\"kind\":\"event\",\"id\":\"a\",\"type\":\"hours\",\"course\":"
		 "\"k\",\"at\":\"2026-01-01\",\"week\":\"2026-W01\",\"hours\":1,"
		 "\"paid_hours\":1,\"cpr\":6707614285}",
		 "cpr", "must be a string"},
		{"{\"kind\":\"event\",\"id\":\"a\",\"type\":\"meeting\",\"course\":"
		 "\"k\",\"at\":\"2026-01-01\",\"meeting\":\"conversation\","
		 "\"attended\":\"yes\",\"cpr\":\"610190-1001\"}",
		 "attended", "true or false"},
		{"{\"kind\":\"event\",\"id\":\"a\",\"type\":\"goal_rated\",\"course\":"
		 "\"k\",\"at\":\"2026-01-01\",\"goal\":\"belief\",\"level\":3,"
		 "\"cpr\":\"610190-1001\"}",
		 "level", "from -2 to 2"},
		{"{\"kind\":\"event\",\"id\":\"a\",\"type\":\"course_ended\",\"course\":"
		 "\"k\",\"at\":\"2026-01-01\",\"exit_status\":\"education\","
		 "\"goal\":\"belief\",\"cpr\":\"610190-1001\"}",
		 "goal", "not a field of this event type"},
		{"{\"kind\":\"response\",\"id\":\"a\",\"instrument\":\"konsulent\","
		 "\"version\":1,\"respondent\":\"citizen\",\"answered_at\":"
		 "\"2026-01-01T00:00:00Z\",\"answers\":{},\"cpr\":\"610190-1001\"}",
		 "respondent", "does not match"},
		{"{\"kind\":\"response\",\"id\":\"a\",\"instrument\":\"borger\","
		 "\"version\":1,\"respondent\":\"citizen\",\"answered_at\":"
		 "\"2026-01-01T00:00:00Z\",\"answers\":{\"b01\":2.5},\"cpr\":"
		 "\"610190-1001\"}",
		 "answers.b01", "whole number"},
		{"{\"kind\":\"event\",\"id\":\"a\",\"a\":1,\"a\":2}", "",
		 "appears twice"},
		/* The answers' quick path (plain_answer) hands each of these
		 * to the full check, which names the item. */
		{ANS("\"b01\":9"), "answers.b01", "outside the item's scale"},
		{ANS("\"b01\":0"), "answers.b01", "outside the item's scale"},
		{ANS("\"b01\":-1"), "answers.b01", "outside the item's scale"},
		{ANS("\"b01\":40000"), "answers.b01", "from -32767 to 32767"},
		{ANS("\"b01\":\"4\""), "answers.b01", "whole number or null"},
		{ANS("\"b01\":true"), "answers.b01", "whole number or null"},
		{ANS("\"b02\":1,\"b99\":1"), "answers.b99", "unknown item"},
		{ANS("\"b0\":1"), "answers.b0", "unknown item"},
		/* a key that is an item's name and a NUL more is not the item */
		{ANS("\"b01\\u0000\":3"), "answers.b01", "unknown item"},
		{ANS("\"b01\":1,\"b01\\u0000\":3"), "answers.b01", "unknown item"},
		{ANS("\"b01\":1,\"b02\":2,\"b01\":3"), "", "appears twice"},
		{ANS("\"b1\":1,\"b01\":2,\"b10\":3,\"b01\":3"), "",
		 "appears twice"},
	};
	struct record r;
	struct fr_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		fr_err_clear(&err);
		if (rec_parse_json(cases[i].json, strlen(cases[i].json), &ctx, &r,
				   &err) == 0)
			fail_msg("case %zu accepted", i);
		if (strcmp(err.field, cases[i].field) != 0 ||
		    strstr(err.msg, cases[i].reason) == NULL)
			fail_msg("case %zu: field '%s' reason '%s'", i, err.field,
				 err.msg);
	}
}

static void test_batch_dedup(void **state)
{
	static const char line[] =
		"{\"kind\":\"event\",\"id\":\"d1\",\"cpr\":\"610190-1001\","
		"\"course\":\"k\",\"at\":\"2026-01-01\",\"type\":\"course_ended\","
		"\"exit_status\":\"education\"}";
	struct batch b;
	struct record r;

	(void)state;
	batch_init(&b, "http");
	assert_int_equal(rec_parse_json(line, sizeof(line) - 1, &ctx, &r, NULL), 0);
	assert_int_equal(batch_add(&b, &r, 7), 0);
	assert_int_equal(batch_add(&b, &r, 8), 1);
	strcpy(r.source, "other");
	assert_int_equal(batch_add(&b, &r, 9), 0);
	/* Many keys: the table grows and still finds every one. */
	for (int i = 0; i < 10000; i++) {
		snprintf(r.id, sizeof(r.id), "k%d", i);
		assert_int_equal(batch_add(&b, &r, 0), 0);
	}
	snprintf(r.id, sizeof(r.id), "k%d", 4321);
	assert_int_equal(batch_add(&b, &r, 0), 1);
	assert_int_equal(batch_count(&b), 10002);
	assert_int_equal(b.in_batch_dups, 2);
	assert_int_equal(b.ev_owner[0], 7);
	assert_int_equal(b.ev_owner[1], 9);
	batch_reset(&b);
	assert_int_equal(batch_count(&b), 0);
	assert_int_equal(batch_add(&b, &r, 0), 0);
	batch_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_ids_never_kept),
		cmocka_unit_test(test_iso_weeks),
		cmocka_unit_test(test_cpr_shaped_text),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_scoring),
		cmocka_unit_test(test_csv_event_and_format),
		cmocka_unit_test(test_json_response),
		cmocka_unit_test(test_json_rejections),
		cmocka_unit_test(test_json_answers_any_order),
		cmocka_unit_test(test_batch_dedup),
	};
	return cmocka_run_group_tests_name("record", tests, setup, teardown);
}
