/*
 * The leadership page's rendering (server/dash_*.c): Danish numbers, the
 * model read from fremdrift.dash_page()'s answer, protected values shown
 * as protected, escaping, the CSV made from the same cells as the page,
 * and the headline row's thresholds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fremdrift/dash_render.h"

/* Two quarters of one breakdown: enough for trends and headlines. The
 * department's name carries markup, which must come out escaped. */
static const char model_json[] =
	"{\"period\":\"2025-Q3\",\"kind\":\"quarter\",\"previous\":\"2025-Q2\","
	"\"department\":\"aarhus\",\"target_group\":null,"
	"\"periods\":[{\"period\":\"2025-Q3\",\"kind\":\"quarter\"},"
	"{\"period\":\"2025-Q2\",\"kind\":\"quarter\"},"
	"{\"period\":\"2024\",\"kind\":\"year\"}],"
	"\"departments\":[{\"code\":\"aarhus\",\"name\":\"Aarhus <b>&</b>\"}],"
	"\"target_groups\":[{\"code\":\"sick_listed\",\"name\":\"Sygemeldte\"}],"
	"\"labels\":{\"dimension\":{\"tro\":\"Tro på mig selv\"},"
	"\"subgoal\":{\"skills\":\"Kompetencer; erfaring\"},"
	"\"status\":{\"employment\":\"Beskæftigelse\",\"unknown\":\"Ukendt\","
	"\"other\":\"=HYPERLINK(1)\",\"minus\":\"-2+3+cmd|' /C calc'!A0\","
	"\"quoted\":\"=HYPERLINK(\\\"x\\\";1)\"}},"
	"\"towards_work\":[\"employment\"],"
	"\"protection\":{\"min_cell\":5,\"noise_max\":10,\"noise_sd\":2.89,"
	"\"as_of\":\"2026-12-03\"},"
	"\"trend\":[\"2025-Q2\",\"2025-Q3\"],"
	"\"rows\":["
	"{\"v\":\"overview\",\"p\":\"2025-Q2\",\"k\":\"\",\"n\":1200},"
	"{\"v\":\"overview\",\"p\":\"2025-Q3\",\"k\":\"\",\"n\":1234},"
	"{\"v\":\"company\",\"p\":\"2025-Q2\",\"k\":\"\",\"n\":1200,\"s1\":0.30,"
	"\"md\":21},"
	"{\"v\":\"company\",\"p\":\"2025-Q3\",\"k\":\"\",\"n\":1234,\"s1\":0.41,"
	"\"md\":null},"
	"{\"v\":\"paid_hours\",\"p\":\"2025-Q2\",\"k\":\"\",\"n\":50,\"m\":4.1},"
	"{\"v\":\"paid_hours\",\"p\":\"2025-Q3\",\"k\":\"\",\"n\":52,\"m\":4.2},"
	"{\"v\":\"progression\",\"p\":\"2025-Q2\",\"k\":\"tro\",\"n\":300,"
	"\"s1\":0.40,\"s2\":null,\"m\":3.0},"
	"{\"v\":\"progression\",\"p\":\"2025-Q3\",\"k\":\"tro\",\"n\":310,"
	"\"s1\":0.43,\"s2\":null,\"m\":-2.26},"
	"{\"v\":\"subgoals\",\"p\":\"2025-Q3\",\"k\":\"skills\",\"n\":null,"
	"\"s1\":null},"
	"{\"v\":\"exits\",\"p\":\"2025-Q3\",\"k\":\"employment\",\"n\":17},"
	"{\"v\":\"exits\",\"p\":\"2025-Q3\",\"k\":\"unknown\",\"n\":null},"
	"{\"v\":\"exits\",\"p\":\"2025-Q3\",\"k\":\"other\",\"n\":6},"
	"{\"v\":\"exits\",\"p\":\"2025-Q3\",\"k\":\"minus\",\"n\":7},"
	"{\"v\":\"exits\",\"p\":\"2025-Q3\",\"k\":\"quoted\",\"n\":8}"
	"],\"validity\":{\"data_until\":\"2026-10-01\","
	"\"test_cohorts\":\"2025-Q1..2025-Q4\",\"min_n\":100,\"rows\":["
	"{\"i\":\"borger\",\"p\":\"tro\",\"s\":\"start\",\"r\":\"citizen\","
	"\"n\":530,\"c\":0.59,\"w\":\"weak\"},"
	"{\"i\":\"borger\",\"p\":\"tro\",\"s\":\"latest\",\"r\":\"citizen\","
	"\"n\":530,\"c\":0.72,\"w\":\"strong\"},"
	"{\"i\":\"borger\",\"p\":\"x<y\",\"s\":\"change\",\"r\":\"citizen\","
	"\"n\":530,\"c\":0.5,\"w\":\"none\"},"
	"{\"i\":\"job_chance_rated\",\"p\":\"job_chance\",\"s\":\"start\","
	"\"r\":null,\"n\":530,\"c\":0.65,\"w\":\"moderate\"}]}}";

static struct dr_model model;

static int setup(void **state)
{
	struct fr_err err;

	(void)state;
	return dr_model_parse(model_json, strlen(model_json), &model, &err);
}

static int teardown(void **state)
{
	(void)state;
	dr_model_free(&model);
	return 0;
}

static const struct dr_ctx ctx = {.css = "/static/app.css?v=1",
				  .dcss = "/static/dash.css?v=1",
				  .js = "/static/app.js?v=1"};

static void test_numbers(void **state)
{
	char s[32];

	(void)state;
	dr_num(1234567, 0, s, sizeof(s));
	assert_string_equal(s, "1.234.567");
	dr_num(1234.5, 1, s, sizeof(s));
	assert_string_equal(s, "1.234,5");
	dr_num(999, 0, s, sizeof(s));
	assert_string_equal(s, "999");
	dr_num(-2.26, 1, s, sizeof(s));
	assert_string_equal(s, "-2,3");
	dr_num(-0.04, 1, s, sizeof(s));
	assert_string_equal(s, "0,0"); /* no "-0,0" */
	dr_num(NAN, 1, s, sizeof(s));
	assert_string_equal(s, "–");
	dr_period_words("2025-Q3", s, sizeof(s));
	assert_string_equal(s, "3. kvartal 2025");
	dr_period_words("2024", s, sizeof(s));
	assert_string_equal(s, "2024");
}

static void test_model(void **state)
{
	struct dr_model bad;
	struct fr_err err;
	static const char wrong_trend[] =
		"{\"period\":\"2025-Q3\",\"kind\":\"quarter\","
		"\"trend\":[\"2025-Q2\"],\"rows\":[]}";

	(void)state;
	assert_string_equal(model.period, "2025-Q3");
	assert_int_equal(model.ntrend, 2);
	assert_int_equal(model.nperiods, 3);
	assert_int_equal(model.v[DV_EXITS].nkeys, 5);
	assert_true(isnan(model.v[DV_EXITS].fig[1][1].n));
	assert_true(model.v[DV_EXITS].has[1][1]);
	assert_false(model.v[DV_EXITS].has[0][0]);
	assert_int_equal(dr_model_parse("[1]", 3, &bad, &err), FR_EPARSE);
	dr_model_free(&bad);
	assert_int_equal(dr_model_parse(wrong_trend, strlen(wrong_trend), &bad,
					&err),
			 FR_EPARSE);
	dr_model_free(&bad);
}

/* A view with more categories than the page holds: the rest are counted,
 * and the page says so rather than leaving them out silently. */
static void test_too_many_categories(void **state)
{
	struct fr_buf json, page;
	struct dr_model m;
	struct fr_err err;

	(void)state;
	fr_buf_init(&json, 1 << 20);
	fr_buf_printf(&json, "{\"period\":\"2025\",\"kind\":\"year\","
			     "\"trend\":[\"2025\"],\"protection\":{},"
			     "\"rows\":[");
	for (int i = 0; i < DR_MAX_KEYS + 3; i++)
		fr_buf_printf(&json, "%s{\"v\":\"subgoals\",\"p\":\"2025\","
				     "\"k\":\"g%d\",\"n\":%d}",
			      i ? "," : "", i, 10 + i);
	fr_buf_printf(&json, "]}");
	assert_int_equal(dr_model_parse(json.data, json.len, &m, &err), 0);
	assert_int_equal(m.v[DV_SUBGOALS].nkeys, DR_MAX_KEYS);
	assert_int_equal(m.dropped, 3);
	fr_buf_init(&page, 1 << 22);
	assert_int_equal(dr_page(&page, &ctx, &m), 0);
	assert_non_null(strstr(page.data, "3 tal kunne ikke vises"));
	fr_buf_free(&page);
	fr_buf_free(&json);
	dr_model_free(&m);
}

static void test_page(void **state)
{
	struct fr_buf b;

	(void)state;
	fr_buf_init(&b, 1 << 22);
	assert_int_equal(dr_page(&b, &ctx, &model), 0);
	/* one h1 naming the period, the department escaped */
	assert_non_null(strstr(b.data, "<h1 id=\"h\" tabindex=\"-1\">Ledelsens "
				       "tal for 3. kvartal 2025</h1>"));
	assert_non_null(strstr(b.data, "Aarhus &lt;b&gt;&amp;&lt;/b&gt;"));
	assert_null(strstr(b.data, "<b>&</b>"));
	/* Danish numbers; protected ones marked as such */
	assert_non_null(strstr(b.data, "<td>1.234</td>"));
	assert_non_null(strstr(b.data, "<td>43 %</td>"));
	assert_non_null(strstr(b.data, "<td>-2,3</td>"));
	assert_non_null(strstr(b.data, "<td class=\"prot\">skjult</td>"));
	assert_non_null(
		strstr(b.data, "<td class=\"prot\">færre end 5</td>"));
	/* the chosen filters are selected, and the CSV link asks for them */
	assert_non_null(strstr(b.data, "<option value=\"2025-Q3\" selected>"));
	assert_non_null(strstr(b.data, "<option value=\"aarhus\" selected>"));
	assert_non_null(strstr(
		b.data, "href=\"/dashboard/csv?period=2025-Q3&amp;department="
			"aarhus\""));
	/* the size of the protection, from the model */
	assert_non_null(strstr(b.data, "aldrig mere end 10"));
	/* every chart is an image with a name, and a table follows it */
	assert_int_equal(strstr(b.data, "role=\"img\"") != NULL, 1);
	assert_non_null(strstr(b.data, "id=\"afgang-tabel\""));
	assert_null(strstr(b.data, "style="));
	fr_buf_free(&b);
}

static void test_signin(void **state)
{
	struct fr_buf b;

	(void)state;
	fr_buf_init(&b, 1 << 20);
	assert_int_equal(dr_signin(&b, &ctx, DR_SIGNIN, "period=2025\"x"), 0);
	assert_null(strstr(b.data, "role=\"alert\""));
	assert_non_null(strstr(b.data, "value=\"period=2025&quot;x\""));
	fr_buf_reset(&b);
	assert_int_equal(dr_signin(&b, &ctx, DR_SIGNIN_ROLE, ""), 0);
	assert_non_null(strstr(b.data, "role=\"alert\""));
	assert_non_null(strstr(b.data, "aria-invalid=\"true\""));
	assert_non_null(strstr(b.data, "aria-describedby=\"token-hint note\""));
	fr_buf_free(&b);
}

static int lines_with(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_csv(void **state)
{
	struct fr_buf b;
	char name[128];

	(void)state;
	fr_buf_init(&b, 1 << 22);
	assert_int_equal(dr_csv(&b, &model), 0);
	assert_memory_equal(b.data, "\xEF\xBB\xBF" "Afsnit;Periode;", 18);
	/* a row per cell, in the page's words; numbers for a spreadsheet */
	assert_non_null(strstr(b.data, "Borgere i forløb;3. kvartal 2025;Aarhus "
				       "<b>&</b>;Alle målgrupper;3. kvartal "
				       "2025;Borgere i forløb;1234;1.234\r\n"));
	assert_non_null(strstr(b.data, ";Tro på mig selv;Gennemsnitlig ændring "
				       "(point af 100);-2,3;-2,3\r\n"));
	assert_non_null(strstr(b.data, ";Sikker fremgang;43;43 %\r\n"));
	assert_non_null(
		strstr(b.data, ";Ukendt;Borgere;;færre end 5\r\n"));
	/* a text a spreadsheet would run as a formula is made text */
	assert_non_null(strstr(b.data, ";'=HYPERLINK(1);Borgere;6;6\r\n"));
	assert_null(strstr(b.data, ";=HYPERLINK"));
	assert_non_null(strstr(b.data, ";'-2+3+cmd|' /C calc'!A0;Borgere;7;7\r\n"));
	/* quoted, with the apostrophe inside the quotes */
	assert_non_null(strstr(b.data, ";\"'=HYPERLINK(\"\"x\"\";1)\";Borgere;8;8"));
	/* a ';' in a label is quoted */
	assert_non_null(strstr(b.data, ";\"Kompetencer; erfaring\";"));
	/* every line ends in CRLF, none in a bare LF */
	assert_int_equal(lines_with(b.data, "\n"), lines_with(b.data, "\r\n"));
	dr_csv_name(&model, name, sizeof(name));
	assert_string_equal(name, "fremdrift-2025-Q3-aarhus-alle.csv");
	fr_buf_free(&b);
}

static void test_headlines(void **state)
{
	char lines[4][256];
	int n;

	(void)state;
	n = dr_headlines(&model, lines, 4);
	/* 30 % to 41 % is named; 40 % to 43 % (3 points), 1,200 to 1,234
	 * (3 %) and 4,1 to 4,2 hours are within what protection makes */
	assert_int_equal(n, 1);
	assert_string_equal(lines[0], "Andelen med en virksomhedsrettet "
				      "indsats steg fra 30\u00a0% til 41\u00a0%.");
}

/* What foretells a good exit (issue 18): the summary's rows as words
 * with their C-statistic, the clearest named, a cell without a figure
 * shown as such, a code as it came escaped, and the same cells in the
 * CSV. */
static void test_validity_section(void **state)
{
	struct fr_buf b;
	struct dr_model empty;
	struct fr_err err;
	static const char none[] = "{\"period\":\"2025\",\"kind\":\"year\","
				   "\"trend\":[\"2025\"],\"rows\":[]}";

	(void)state;
	assert_int_equal(model.validity.nrows, 4);
	fr_buf_init(&b, 1 << 22);
	assert_int_equal(dr_page(&b, &ctx, &model), 0);
	assert_non_null(strstr(b.data, "<h2 id=\"udfald-h\">Hvad peger på et "
				       "godt udfald?</h2>"));
	assert_non_null(strstr(b.data, "<a href=\"#udfald\">"));
	assert_non_null(strstr(b.data, "startede 1. kvartal 2025 til 4. "
				       "kvartal 2025 og var slut før "
				       "2026-10-01"));
	assert_non_null(strstr(b.data, "<tr data-key=\"borger/tro\"><th "
				       "scope=\"row\">Tro på mig selv "
				       "(borgerens svar)</th><td "
				       "data-strength=\"weak\">svagt (0,59)</td>"
				       "<td data-strength=\"strong\">stærkt "
				       "(0,72)</td><td data-strength=\"\">–"
				       "</td></tr>"));
	assert_non_null(strstr(b.data, "Tydeligst: Tro på mig selv (borgerens "
				       "svar), seneste svar (stærkt, 0,72)."));
	assert_non_null(strstr(b.data, "Konsulentens første vurdering af "
				       "jobchancen</th><td "
				       "data-strength=\"moderate\">middel "
				       "(0,65)</td>"));
	assert_non_null(strstr(b.data, "x&lt;y (borgerens svar)"));
	assert_non_null(strstr(b.data, "ikke (0,50)"));
	assert_non_null(strstr(b.data, "færre end 100 forløb"));
	fr_buf_reset(&b);
	assert_int_equal(dr_csv(&b, &model), 0);
	assert_non_null(strstr(b.data, "Hvad peger på et godt udfald?;1. kvartal "
				       "2025 til 4. kvartal 2025;Alle "
				       "afdelinger;Alle målgrupper;Tro på mig "
				       "selv (borgerens svar);Seneste svar;"
				       "0,72;stærkt (0,72)\r\n"));
	assert_non_null(strstr(b.data, ";Tro på mig selv (borgerens svar);"
				       "Udvikling;;–\r\n"));
	/* Before the first run: no figures, and the page says so. */
	assert_int_equal(dr_model_parse(none, strlen(none), &empty, &err), 0);
	fr_buf_reset(&b);
	assert_int_equal(dr_page(&b, &ctx, &empty), 0);
	assert_non_null(strstr(b.data, "Der er endnu ikke tal"));
	assert_null(strstr(b.data, "udfald-tabel"));
	dr_model_free(&empty);
	fr_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_page),
		cmocka_unit_test(test_too_many_categories),
		cmocka_unit_test(test_signin),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_headlines),
		cmocka_unit_test(test_validity_section),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
