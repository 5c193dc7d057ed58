/*
 * Measurement against a real PostgreSQL: progression, reliable change,
 * sub-goals and GAS computed by hand and read back through the report
 * views; the refresh boundary; role separation; suppression; the
 * synthetic data's patterns; the dashboard API.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static struct h_site site;
static const char *db = site.db;
static const char *env[] = {site.env_db, site.env_key, NULL};

static struct h_result run(const char *a, const char *b, const char *input)
{
	return h_cmd(env, a, b, input);
}

/* The stored form of course key raw (issue 14): what report views show
 * as course_key. */
#define K(raw) h_course(site.key_path, raw)

#define RESP(id, course, day, b09, b10, b11)                                    \
	"{\"kind\":\"response\",\"id\":\"" id "\",\"cpr\":\"670761-4285\","     \
	"\"instrument\":\"borger\",\"version\":1,\"respondent\":\"citizen\","   \
	"\"course\":\"" course "\",\"answered_at\":\"2026-0" day                \
	"T10:00:00+01:00\",\"answers\":{\"b09\":" #b09 ",\"b10\":" #b10         \
	",\"b11\":" #b11 "}}\n"

static int setup(void **state)
{
	(void)state;
	return h_site_new(&site, "it_measure");
}

/*
 * Four courses on the dimension `stabilitet` (b09, b10, b11 reversed):
 *   A: 25 then 100     B: 75 then 50     C: 75 then 25     D: 25 only
 * Baselines 25, 75, 75, 25: SD 28.8675 (sample). Fewer than 30 complete
 * baselines, so alpha is the prior 0.75: SE_diff = 28.8675 * sqrt(2) *
 * 0.5 = 20.4124. RCI: A 75/20.41 = 3.674 improved; B -1.225 unchanged;
 * C -2.449 deteriorated; D 0 unchanged (one response).
 */
static void test_progression_by_hand(void **state)
{
	static const char input[] =
		RESP("a1", "A", "1-10", 2, 2, 4) RESP("a2", "A", "3-10", 5, 5, 1)
		RESP("b1", "B", "1-10", 4, 4, 2) RESP("b2", "B", "2-10", 3, 3, 3)
		RESP("c1", "C", "1-10", 4, 4, 2) RESP("c2", "C", "2-20", 3, 3, 5)
		RESP("c3", "C", "3-10", 2, 2, 4)
		RESP("d1", "D", "1-10", 2, 2, 4)
		"{\"kind\":\"event\",\"id\":\"g1\",\"cpr\":\"670761-4285\","
		"\"course\":\"A\",\"at\":\"2026-01-10\",\"type\":\"goal_set\","
		"\"goal\":\"belief\",\"weight\":2}\n"
		"{\"kind\":\"event\",\"id\":\"g2\",\"cpr\":\"670761-4285\","
		"\"course\":\"A\",\"at\":\"2026-01-10\",\"type\":\"goal_set\","
		"\"goal\":\"community\",\"weight\":1}\n"
		"{\"kind\":\"event\",\"id\":\"g3\",\"cpr\":\"670761-4285\","
		"\"course\":\"A\",\"at\":\"2026-03-10\",\"type\":\"goal_rated\","
		"\"goal\":\"belief\",\"level\":1}\n"
		"{\"kind\":\"event\",\"id\":\"g4\",\"cpr\":\"670761-4285\","
		"\"course\":\"A\",\"at\":\"2026-03-10\",\"type\":\"goal_rated\","
		"\"goal\":\"community\",\"level\":-1}\n";
	const char *args[] = {"ingest", "-", NULL};
	struct h_result r;
	PGconn *c;
	double se = 28.867513459481287 * sqrt(2.0) * 0.5;

	(void)state;
	r = h_run(args, env, input, sizeof(input) - 1);
	assert_int_equal(r.status, 0);
	h_result_free(&r);
	r = run("measure", "refresh", NULL);
	assert_int_equal(r.status, 0);
	h_result_free(&r);
	c = h_db(db);
	assert_true(fabs(h_num(c, "SELECT sd_baseline FROM report.dimension_reliability "
				"WHERE dimension = 'stabilitet'") -
			 28.8675) < 1e-3);
	assert_true(fabs(h_num(c, "SELECT alpha FROM report.dimension_reliability "
				"WHERE dimension = 'stabilitet'") -
			 0.75) < 1e-6);
	assert_string_equal(h_scalar(c, h_sql("SELECT baseline || ',' || "
					      "current || ',' || change || "
					      "',' || n_responses || ',' || "
					      "reliable_change FROM "
					      "report.progression WHERE "
					      "course_key = '%s' AND "
					      "dimension = 'stabilitet'",
					      K("A"))),
			    "25,100,75,2,improved");
	assert_true(fabs(h_num(c, h_sql("SELECT rci FROM report.progression "
				      "WHERE course_key = '%s' AND dimension "
				      "= 'stabilitet'",
				      K("A"))) -
			 75 / se) < 1e-3);
	assert_string_equal(h_scalar(c, h_sql("SELECT reliable_change FROM "
					      "report.progression WHERE "
					      "course_key = '%s' AND "
					      "dimension = 'stabilitet'",
					      K("B"))),
			    "unchanged");
	/* C: baseline 75, then 50, then 25: current is the latest. */
	assert_string_equal(h_scalar(c, h_sql("SELECT current || ',' || "
					      "n_responses || ',' || "
					      "reliable_change FROM "
					      "report.progression WHERE "
					      "course_key = '%s' AND "
					      "dimension = 'stabilitet'",
					      K("C"))),
			    "25,3,deteriorated");
	/* A course with one response: no change, unchanged. */
	assert_string_equal(h_scalar(c, h_sql("SELECT change || ',' || "
					      "n_responses || ',' || "
					      "reliable_change FROM "
					      "report.progression WHERE "
					      "course_key = '%s' AND "
					      "dimension = 'stabilitet'",
					      K("D"))),
			    "0,1,unchanged");
	/* Dimensions with too few answers have no progression row. */
	assert_string_equal(h_scalar(c, "SELECT count(*) FROM report.progression "
					"WHERE dimension <> 'stabilitet'"),
			    "0");
	/* Sub-goal attendance: threshold 70 on stabilitet. */
	assert_string_equal(h_scalar(c, h_sql("SELECT string_agg(k || '=' || "
					      "attained, ' ' ORDER BY k) FROM "
					      "(SELECT CASE course_key WHEN "
					      "'%s' THEN 'A' WHEN '%s' THEN "
					      "'B' WHEN '%s' THEN 'C' WHEN "
					      "'%s' THEN 'D' ELSE course_key "
					      "END AS k, attained FROM "
					      "report.subgoal_attainment "
					      "WHERE subgoal = 'attendance') "
					      "AS x",
					      K("A"), K("B"), K("C"), K("D"))),
			    "A=true B=false C=false D=false");
	/* GAS: weights 2 and 1, levels +1 and -1:
	 * T = 50 + 10 * (2 - 1) / sqrt(0.7 * 5 + 0.3 * 9) = 54.0161. */
	assert_true(fabs(h_num(c, h_sql("SELECT t_score FROM report.gas WHERE "
				      "course_key = '%s'",
				      K("A"))) -
			 (50 + 10 / sqrt(6.2))) < 1e-6);
	assert_string_equal(h_scalar(c, h_sql("SELECT n_goals FROM report.gas "
					      "WHERE course_key = '%s'",
					      K("A"))),
			    "2");
	PQfinish(c);
}

/* Until the next refresh the views keep the last computed figures. */
static void test_refresh_boundary(void **state)
{
	static const char more[] = RESP("d2", "D", "3-10", 5, 5, 1);
	const char *args[] = {"ingest", "-", NULL};
	struct h_result r;
	PGconn *c = h_db(db);

	(void)state;
	r = h_run(args, env, more, sizeof(more) - 1);
	assert_int_equal(r.status, 0);
	h_result_free(&r);
	assert_string_equal(h_scalar(c, h_sql("SELECT current FROM "
					      "report.progression WHERE "
					      "course_key = '%s'",
					      K("D"))),
			    "25");
	r = run("measure", "refresh", NULL);
	assert_int_equal(r.status, 0);
	h_result_free(&r);
	assert_string_equal(h_scalar(c, h_sql("SELECT current || ',' || "
					      "n_responses FROM "
					      "report.progression WHERE "
					      "course_key = '%s'",
					      K("D"))),
			    "100,2");
	PQfinish(c);
}

static int get(int port, const char *path, const char *tok, char **resp)
{
	char req[512];

	snprintf(req, sizeof(req),
		 "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s%s%s\r\n",
		 path, tok ? "Authorization: Bearer " : "", tok ? tok : "",
		 tok ? "\r\n" : "");
	free(*resp);
	*resp = NULL;
	return h_http(port, req, strlen(req), resp);
}

#define GET(path, tok) get(port, path, tok, &resp)

/* GET path with the dashboard token; the answer must be status, its body
 * JSON, with no pseudonym, and hold each of the strings that follow (up
 * to NULL), and the 400s the error bad_parameter. */
static void expect(int port, const char *tok, const char *path, int status,
		   ...)
{
	char *resp = NULL;
	const char *want;
	va_list ap;

	if (get(port, path, tok, &resp) != status)
		fail_msg("GET %s: wanted %d, got: %s", path, status,
			 resp ? resp : "(nothing)");
	assert_non_null(strstr(resp, "Content-Type: application/json"));
	/* No pseudonym ever appears in a dashboard answer. */
	assert_null(strstr(resp, "pseudonym"));
	if (status == 400)
		assert_non_null(strstr(resp, "{\"error\":\"bad_parameter\","
					     "\"message\":\""));
	/* No count under min_cell (5) is shown, for any question. */
	for (int n = 1; n < 5; n++) {
		char shown[4][32];

		snprintf(shown[0], sizeof(shown[0]), "\"citizens\":%d,", n);
		snprintf(shown[1], sizeof(shown[1]), "\"citizens\":%d}", n);
		snprintf(shown[2], sizeof(shown[2]), "\"ended\":%d,", n);
		snprintf(shown[3], sizeof(shown[3]), "\"ended\":%d}", n);
		for (int k = 0; k < 4; k++)
			if (strstr(resp, shown[k]) != NULL)
				fail_msg("GET %s shows %s", path, shown[k]);
	}
	va_start(ap, status);
	while ((want = va_arg(ap, const char *)) != NULL)
		if (strstr(resp, want) == NULL)
			fail_msg("GET %s: no %s in: %s", path, want, resp);
	va_end(ap);
	free(resp);
}

/* How many times s occurs in resp. */
static int occurrences(const char *resp, const char *s)
{
	int n = 0;

	for (const char *p = resp; (p = strstr(p, s)) != NULL; p++)
		n++;
	return n;
}

#define BAD(path, ...) expect(port, dash, path, 400, __VA_ARGS__, NULL)
#define OK(path, ...) expect(port, dash, path, 200, __VA_ARGS__, NULL)

/*
 * The API over the protected release (issue 13): fixed periods and
 * breakdowns, nothing else can be asked, and every mistake is a 400 that
 * names it. The release is the one the tests above refreshed.
 */
static void test_dashboard_api(void **state)
{
	const char *targs[] = {"token", "create", "--source", "lead", "--role",
			       "dashboard", NULL};
	const char *iargs[] = {"token", "create", "--source", "app", "--role",
			       "ingest", NULL};
	const char *sargs[] = {"serve", NULL};
	char env_http[64], log[256], dash[80], ing[80], *resp = NULL;
	const char *senv[] = {site.env_db, site.env_key, env_http, NULL};
	static const char post[] = "POST /api/v1/dashboard/mix HTTP/1.1\r\n"
				   "Host: x\r\nConnection: close\r\n"
				   "Content-Length: 0\r\n\r\n";
	int port = h_free_port();
	struct h_result r;
	char last[64];
	const char *q;
	PGconn *c = h_db(db);
	pid_t pid;

	(void)state;
	/* A release with some years of synthetic courses in it ... */
	{
		char path[256], cmd[512];
		const char *args[] = {"ingest", path, NULL};

		snprintf(path, sizeof(path), "%s/synth.ndjson", h_tmpdir());
		snprintf(cmd, sizeof(cmd),
			 "%s synth --citizens 1500 --seed 11 > %s", h_bin(),
			 path);
		assert_int_equal(system(cmd), 0);
		r = h_run(args, env, NULL, 0);
		assert_int_equal(r.status, 0);
		h_result_free(&r);
		r = run("measure", "refresh", NULL);
		assert_int_equal(r.status, 0);
		h_result_free(&r);
	}
	/* ... which runs to the last quarter ended before its refresh. */
	q = h_scalar(c, "SELECT to_char(date_trunc('quarter', as_of) - "
			"interval '1 day', 'YYYY-\"Q\"Q') FROM "
			"fremdrift.dash_params");
	if (q == NULL || *q == '\0')
		fail_msg("no release: the tests above ran no refresh");
	snprintf(last, sizeof(last), "\"to\":\"%s\"", q);
	PQfinish(c);
	snprintf(env_http, sizeof(env_http), "FREMDRIFT_HTTP=127.0.0.1:%d", port);
	snprintf(log, sizeof(log), "%s/dash.log", h_tmpdir());
	r = h_run(targs, env, NULL, 0);
	snprintf(dash, sizeof(dash), "%.*s", (int)strcspn(r.out, "\n"), r.out);
	h_result_free(&r);
	r = h_run(iargs, env, NULL, 0);
	snprintf(ing, sizeof(ing), "%.*s", (int)strcspn(r.out, "\n"), r.out);
	h_result_free(&r);
	pid = h_spawn(sargs, senv, log);
	assert_int_equal(h_wait_status(port, "/health", 200, 10000), 200);

	/* The token first, whatever the parameters. */
	assert_int_equal(GET("/api/v1/dashboard/mix", NULL), 401);
	assert_int_equal(GET("/api/v1/dashboard/mix?departmnet=x", NULL), 401);
	assert_int_equal(GET("/api/v1/dashboard/mix", ing), 403);
	assert_int_equal(GET("/api/v1/dashboard/mix?period=2025&period=1", ing),
			 403);
	assert_int_equal(h_http(port, post, sizeof(post) - 1, NULL), 405);
	assert_int_equal(GET("/api/v1/dashboard/nope", dash), 404);
	assert_int_equal(GET("/api/v1/dashboard/nope?period=2025", dash), 404);
	expect(port, dash, "/api/v1/dashboard", 200, "\"followups\"", NULL);

	/* Parameters: only the five, each once, each of its shape. */
	BAD("/api/v1/dashboard/mix?departmnet=aarhus",
	    "unknown parameter \\\"departmnet\\\" (known: period, from, to, "
	    "department, target_group)");
	BAD("/api/v1/dashboard/mix?period=2025&month=3",
	    "unknown parameter \\\"month\\\"");
	/* A name with bytes no parameter has is described, not echoed. */
	BAD("/api/v1/dashboard/mix?a<b>c=1", "name is not shown");
	BAD("/api/v1/dashboard/mix?\xc3\xa6=1", "name is not shown");
	BAD("/api/v1/dashboard/mix?=2025", "empty name");
	BAD("/api/v1/dashboard/mix?period=2025&period=2025",
	    "period is given more than once");
	BAD("/api/v1/dashboard/mix?department=aarhus&department=odense",
	    "department is given more than once");
	BAD("/api/v1/dashboard/mix?department=", "department is empty");
	BAD("/api/v1/dashboard/mix?target_group", "target_group has no value");
	BAD("/api/v1/dashboard/mix?period=2025&from=2024",
	    "period cannot be combined with from or to");
	BAD("/api/v1/dashboard/mix?to=2025&period=2025",
	    "period cannot be combined with from or to");
	/* The old contract's days, and other shapes that are no period. */
	BAD("/api/v1/dashboard/mix?from=2025-01-01",
	    "from must be a year such as 2025 or a quarter such as 2025-Q3");
	BAD("/api/v1/dashboard/mix?to=2025-01-01&from=2024-01-01",
	    "to must be a year such as 2025");
	BAD("/api/v1/dashboard/mix?period=today", "period must be a year");
	BAD("/api/v1/dashboard/mix?period=2025-Q5", "period must be a year");
	BAD("/api/v1/dashboard/mix?period=2025-q3", "period must be a year");
	BAD("/api/v1/dashboard/mix?period=0000", "period must be a year");
	BAD("/api/v1/dashboard/mix?period=20255", "period must be a year");
	BAD("/api/v1/dashboard/mix?period=2025%2DQ3", "period must be a year");
	BAD("/api/v1/dashboard/mix?period=+2025", "period must be a year");
	BAD("/api/v1/dashboard/exits?department=Aarhus",
	    "department must be a catalogue code");
	BAD("/api/v1/dashboard/exits?department=aarhus;drop",
	    "department must be a catalogue code");
	BAD("/api/v1/dashboard/exits?target_group=sick%5Flisted",
	    "target_group must be a catalogue code");
	BAD("/api/v1/dashboard/exits?department="
	    "a12345678901234567890123456789012345678901234567890",
	    "department must be a catalogue code");
	/* What only the catalogues and the release know. */
	BAD("/api/v1/dashboard/exits?department=aarhu",
	    "unknown department \\\"aarhu\\\"");
	BAD("/api/v1/dashboard/exits?target_group=youth",
	    "unknown target_group \\\"youth\\\"");
	BAD("/api/v1/dashboard/exits?from=2024&to=2025-Q1",
	    "from and to must be periods of one kind");
	BAD("/api/v1/dashboard/exits?from=2025-Q2&to=2025-Q1",
	    "from is after to");

	/* The whole release by default: every year, every breakdown. */
	OK("/api/v1/dashboard/overview",
	   "{\"view\":\"overview\",\"kind\":\"year\",\"from\":\"",
	   "\"department\":null,\"target_group\":null",
	   "\"protection\":{\"method\":\"cell key method\",\"min_cell\":5,",
	   "\"noise_max\":", "\"as_of\":", "\"period\":\"2024\"",
	   "\"period\":\"2025\"", "\"department\":\"all\"");
	/* One year: its rows and no other period's. */
	OK("/api/v1/dashboard/exits?period=2025",
	   "\"kind\":\"year\",\"from\":\"2025\",\"to\":\"2025\"",
	   "\"min_cell\":5", "{\"period\":\"2025\",\"department\":\"aarhus\","
	   "\"target_group\":\"sick_listed\",\"status\":",
	   "{\"period\":\"2025\",\"department\":\"all\",\"target_group\":\"all\","
	   "\"status\":\"employment\",\"citizens\":");
	assert_int_equal(GET("/api/v1/dashboard/exits?period=2025", dash), 200);
	assert_int_equal(occurrences(resp, "\"period\":"),
			 occurrences(resp, "\"period\":\"2025\""));
	assert_int_equal(occurrences(resp, "\"department\":\"all\","
					   "\"target_group\":\"all\","
					   "\"status\":\"employment\""),
			 1);
	/* A range of quarters in one department. */
	OK("/api/v1/dashboard/mix?from=2024-Q1&to=2024-Q4&department=aarhus",
	   "{\"view\":\"mix\",\"kind\":\"quarter\",\"from\":\"2024-Q1\","
	   "\"to\":\"2024-Q4\",\"department\":\"aarhus\",\"target_group\":null",
	   "\"min_cell\":5", "{\"period\":\"2024-Q1\",\"department\":\"aarhus\"",
	   "{\"period\":\"2024-Q4\",\"department\":\"aarhus\"",
	   "\"mix\":\"parallel\"", "\"share_improved\":");
	assert_int_equal(GET("/api/v1/dashboard/mix?from=2024-Q1&to=2024-Q4&"
			     "department=aarhus",
			     dash),
			 200);
	assert_int_equal(occurrences(resp, "\"department\":"),
			 occurrences(resp, "\"department\":\"aarhus\""));
	assert_int_equal(occurrences(resp, "\"period\":\"2024-Q2\""),
			 occurrences(resp, "\"period\":\"2024-Q1\""));
	assert_int_equal(occurrences(resp, "\"period\":\"2025-Q1\""), 0);
	/* A range left open at one end says where the rows end. */
	OK("/api/v1/dashboard/overview?from=2024-Q3&department=aarhus&"
	   "target_group=sick_listed",
	   "\"kind\":\"quarter\",\"from\":\"2024-Q3\"", last,
	   "{\"period\":\"2024-Q3\",\"department\":\"aarhus\","
	   "\"target_group\":\"sick_listed\",\"citizens\":");
	OK("/api/v1/dashboard/belief?to=2025", "\"from\":\"20",
	   "\"to\":\"2025\"", "\"job_chance\":5");
	/* A period outside the release: no rows, said so. */
	OK("/api/v1/dashboard/overview?period=1999", "\"rows\":[]}");
	/* Small cells are suppressed (null), never shown under min_cell. */
	OK("/api/v1/dashboard/exits?period=2024-Q1&department=aarhus&"
	   "target_group=youth_autism",
	   "\"citizens\":null");
	free(resp);
	kill(pid, SIGTERM);
	assert_int_equal(h_wait(pid, 5000), 0);
}

/*
 * The formulas the report views use, called as they call them, against
 * values computed by hand.
 *   RCI = change / (sd * sqrt(2) * sqrt(1 - r)); sd 10, r 0.8:
 *   SE_diff = 10 * sqrt(2) * sqrt(0.2) = 6.32455532.
 *   GAS T = 50 + 10 * sum(w x) / sqrt((1 - rho) sum(w^2) + rho (sum w)^2).
 */
static void test_rci_and_gas_formulas(void **state)
{
	PGconn *c = h_db(db);
	double se = 10 * sqrt(2.0) * sqrt(0.2);

	(void)state;
	assert_true(fabs(h_num(c, "SELECT fremdrift.rci(20, 10, 0.8)") - 20 / se) <
		    1e-9);
	assert_true(fabs(h_num(c, "SELECT fremdrift.rci(-12.5, 10, 0.8)") +
			 12.5 / se) < 1e-9);
	/* No SE_diff, no index: reliability 1, or no spread at baseline. */
	assert_string_equal(h_scalar(c, "SELECT fremdrift.rci(5, 10, 1.0) IS "
					"NULL AND fremdrift.rci(5, 0, 0.8) IS NULL"),
			    "t");
	/* The view's classes at the 1.96 boundary, with the view's own
	 * expression over the function. */
	assert_string_equal(
		h_scalar(c, "SELECT string_agg(CASE WHEN x >= 1.96 THEN 'improved' "
			    "WHEN x <= -1.96 THEN 'deteriorated' ELSE "
			    "'unchanged' END, ',' ORDER BY k) FROM (SELECT k, "
			    "fremdrift.rci(ch, 10, 0.8) x FROM (VALUES (1, 1.96 * "
			    "10 * sqrt(2) * sqrt(0.2) + 1e-6), (2, 12.395), (3, "
			    "-12.395), (4, -12.397)) v(k, ch)) y"),
		"improved,unchanged,unchanged,deteriorated");
	/* Goals at levels 1, 0, -1. Unweighted: sum w x = 0, T = 50. */
	assert_true(fabs(h_num(c, "SELECT fremdrift.gas_t(0, 3, 3)") - 50) < 1e-9);
	/* Weights 3, 1, 2: sum w x = 1, sum w^2 = 14, sum w = 6:
	 * T = 50 + 10 / sqrt(0.7 * 14 + 0.3 * 36) = 50 + 10 / sqrt(20.6). */
	assert_true(fabs(h_num(c, "SELECT fremdrift.gas_t(1, 14, 6)") -
			 (50 + 10 / sqrt(20.6))) < 1e-9);
	/* One goal at +2, weight 1: T = 50 + 20 / sqrt(0.7 + 0.3) = 70. */
	assert_true(fabs(h_num(c, "SELECT fremdrift.gas_t(2, 1, 1)") - 70) < 1e-9);
	/* rho is a parameter with 0.3 as its default: rho 0 gives
	 * 50 + 10 / sqrt(14). */
	assert_true(fabs(h_num(c, "SELECT fremdrift.gas_t(1, 14, 6, 0)") -
			 (50 + 10 / sqrt(14.0))) < 1e-9);
	PQfinish(c);
}

/* A course key holding backslashes, escape-like sequences, quotes and
 * non-ASCII letters is pseudonymised over exactly its bytes as given (so
 * `fremdrift pseudonym --course` finds it), and the refresh finds its
 * responses under that pseudonym. */
static void test_course_key_with_backslashes(void **state)
{
#define ODD "K\\\\t x\\\\N \\\"q\\\" \u00e6;"
	static const char input[] = RESP("o1", ODD, "1-10", 2, 2, 4)
		RESP("o2", ODD, "2-10", 5, 5, 1);
#undef ODD
	const char *args[] = {"ingest", "-", NULL};
	struct h_result r;
	PGconn *c;

	(void)state;
	r = h_run(args, env, input, sizeof(input) - 1);
	if (r.status != 0)
		fail_msg("ingest: %s", r.err);
	h_result_free(&r);
	r = run("measure", "refresh", NULL);
	assert_int_equal(r.status, 0);
	h_result_free(&r);
	c = h_db(db);
	assert_string_equal(h_scalar(c, h_sql("SELECT baseline || ',' || "
					      "current || ',' || n_responses "
					      "FROM fremdrift.progression "
					      "WHERE course = '%s'",
					      K("K\\t x\\N \"q\" \u00e6;"))),
			    "25,100,2");
	PQfinish(c);
}

/* Runs a statement that must succeed. */
#define ok_sql(c, sql) assert_non_null(h_scalar(c, sql))

/* A table's rows as text, summed up: the same rows give the same. */
static char *rows_of(PGconn *c, const char *table)
{
	return strdup(h_scalar(c, h_sql("SELECT count(*) || ':' || "
					"md5(string_agg(t::text, ',' ORDER BY "
					"t::text)) FROM %s t",
					table)));
}

static void refresh_says(const char *what)
{
	struct h_result r = run("measure", "refresh", NULL);

	if (r.status != 0 || strstr(r.err, what) == NULL)
		fail_msg("refresh did not say \"%s\": %s", what, r.err);
	h_result_free(&r);
}

/*
 * A refresh writes only what changed: run again on the same data it
 * rewrites no row of the course facts or the progression (their xmin
 * stay); after one new response, one new course, one course's responses
 * gone and one course's meeting changed, exactly those change; a stored
 * real changed by a little is mended; and the result is the same as a
 * refresh into empty tables.
 */
static void test_refresh_writes_changes_only(void **state)
{
	static const char input[] = RESP("b3", "B", "3-20", 5, 5, 1)
		RESP("e1", "E", "1-10", 2, 2, 4);
	const char *args[] = {"ingest", "-", NULL};
	struct h_result r;
	PGconn *c = h_db(db);
	char *prog, *facts, *full;

	(void)state;
	refresh_says("progression: ");
	ok_sql(c, "DROP TABLE IF EXISTS public.it_xmin");
	ok_sql(c, "CREATE TABLE public.it_xmin AS SELECT 'c' AS t, course "
		  "|| '' AS k, xmin::text AS x FROM fremdrift.courses UNION "
		  "ALL SELECT 'p', course || instrument || dimension, "
		  "xmin::text FROM fremdrift.progression");
	assert_true(atoi(h_scalar(c, "SELECT count(*) FROM public.it_xmin "
				     "WHERE t = 'c'")) > 100);
	refresh_says("written 0 rows, 0 courses changed, 0 gone");
#define MOVED                                                                   \
	"SELECT count(*) FROM public.it_xmin i WHERE x IS DISTINCT FROM "      \
	"(SELECT xmin::text FROM fremdrift.courses WHERE i.t = 'c' AND "       \
	"course = i.k UNION ALL SELECT xmin::text FROM fremdrift.progression " \
	"WHERE i.t = 'p' AND course || instrument || dimension = i.k)"
	assert_string_equal(h_scalar(c, MOVED), "0");

	r = h_run(args, env, input, sizeof(input) - 1);
	assert_int_equal(r.status, 0);
	h_result_free(&r);
	ok_sql(c, h_sql("DELETE FROM fremdrift.responses WHERE course = '%s'",
			K("C")));
	ok_sql(c, "UPDATE fremdrift.events SET attended = NOT attended WHERE "
		  "(source, id) = (SELECT source, id FROM fremdrift.events e "
		  "JOIN fremdrift.courses USING (course) WHERE type = "
		  "'meeting' ORDER BY 1, 2 LIMIT 1)");
	refresh_says("written 2 rows, 2 courses changed, 1 gone");
	/* B's row and C's (gone) and one course's facts moved; E is new. */
	assert_string_equal(h_scalar(c, MOVED), "3");
#undef MOVED
	assert_string_equal(h_scalar(c, h_sql("SELECT current || ',' || "
					      "n_responses FROM "
					      "fremdrift.progression WHERE "
					      "course = '%s'",
					      K("B"))),
			    "100,3");
	assert_string_equal(h_scalar(c, h_sql("SELECT count(*) FROM "
					      "fremdrift.progression WHERE "
					      "course IN ('%s', '%s')",
					      K("C"), K("E"))),
			    "1");

	/* A stored real off by a little (as float4: 25.0001), nothing else:
	 * the digest sees it and the refresh mends it. */
	ok_sql(c, h_sql("UPDATE fremdrift.progression SET baseline = "
			"baseline + 0.0001 WHERE course = '%s'",
			K("A")));
	refresh_says("written 1 rows, 1 courses changed, 0 gone");
	assert_string_equal(h_scalar(c, h_sql("SELECT baseline FROM "
					      "fremdrift.progression WHERE "
					      "course = '%s'",
					      K("A"))),
			    "25");

	prog = rows_of(c, "fremdrift.progression");
	facts = rows_of(c, "fremdrift.courses");
	ok_sql(c, "TRUNCATE fremdrift.progression, fremdrift.courses");
	refresh_says(", 0 courses changed, 0 gone");
	full = rows_of(c, "fremdrift.progression");
	assert_string_equal(prog, full);
	free(full);
	full = rows_of(c, "fremdrift.courses");
	assert_string_equal(facts, full);
	ok_sql(c, "DROP TABLE public.it_xmin");
	free(prog);
	free(facts);
	free(full);
	PQfinish(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_progression_by_hand),
		cmocka_unit_test(test_refresh_boundary),
		cmocka_unit_test(test_dashboard_api),
		cmocka_unit_test(test_rci_and_gas_formulas),
		cmocka_unit_test(test_course_key_with_backslashes),
		cmocka_unit_test(test_refresh_writes_changes_only),
	};
	return cmocka_run_group_tests_name("measure", tests, setup, NULL);
}
