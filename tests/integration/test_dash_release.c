/*
 * The dashboard's protected release (issue 13) against a real PostgreSQL:
 * the true cells against a plain count over the base tables; what the
 * role dashboard can read; no published count under 5 and every category
 * listed; closed periods only, and unchanged once published; an erasure
 * takes the citizen out at once and renews the noise of whole rows; a
 * refresh never makes the dashboard wait. The attacks are in
 * test_dash_attack.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

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

static void refresh(void)
{
	struct h_result r = run("measure", "refresh", NULL);

	if (r.status != 0)
		fail_msg("measure refresh: %s", r.err);
	h_result_free(&r);
}

#define EVC(cpr, id, course, at, rest)                                         \
	"{\"kind\":\"event\",\"id\":\"" id "\",\"cpr\":\"" cpr "\","               \
	"\"course\":\"" course "\",\"at\":\"" at "\"," rest "}\n"
#define EV(id, course, at, rest) EVC("670761-4285", id, course, at, rest)
#define EVY(id, course, at, rest) EVC("290272-3317", id, course, at, rest)
/* A whole course: started and ended. */
#define CRS(cpr, c, dep, agr, from, to, exit)                                  \
	EVC(cpr, c "s", c, from, "\"type\":\"course_started\","              \
	    "\"department\":\"" dep "\",\"agreement\":\"" agr "\"")            \
	EVC(cpr, c "e", c, to, "\"type\":\"course_ended\","                  \
	    "\"exit_status\":\"" exit "\"")
#define YC(n, dep, agr, from, to)                                              \
	CRS("290272-3317", "Y" n, dep, agr, from, to, "employment")
#define ZC(n, dep, agr, from, to)                                              \
	CRS("150584-2213", "Z" n, dep, agr, from, to, "education")

/*
 * Citizens with several courses, beside the synthetic ones: one with four
 * overlapping courses across departments, one still open; one with six;
 * one whose last three courses lie inside the first; two courses of one
 * citizen starting the same day.
 */
static const char special[] =
	EV("x1s", "X1", "2024-01-15", "\"type\":\"course_started\","
	   "\"department\":\"aarhus\",\"agreement\":\"sick_listed\"")
	EV("x1e", "X1", "2024-09-20", "\"type\":\"course_ended\","
	   "\"exit_status\":\"education\"")
	EV("x2s", "X2", "2024-06-03", "\"type\":\"course_started\","
	   "\"department\":\"aarhus\",\"agreement\":\"youth_autism\"")
	EV("x2e", "X2", "2025-02-10", "\"type\":\"course_ended\","
	   "\"exit_status\":\"early_retirement\"")
	EV("x3s", "X3", "2024-08-01", "\"type\":\"course_started\","
	   "\"department\":\"odense\",\"agreement\":\"sick_listed\"")
	EV("x4s", "X4", "2025-03-01", "\"type\":\"course_started\","
	   "\"department\":\"aarhus\",\"agreement\":\"sick_listed\"")
	YC("1", "aarhus", "sick_listed", "2023-02-01", "2023-06-30")
	YC("2", "odense", "sick_listed", "2023-05-15", "2023-11-30")
	YC("3", "aarhus", "youth_autism", "2023-09-01", "2024-02-28")
	YC("4", "aarhus", "sick_listed", "2024-01-10", "2024-04-30")
	YC("5", "odense", "youth_autism", "2024-03-01", "2024-09-30")
	EVY("Y6s", "Y6", "2024-08-15", "\"type\":\"course_started\","
	    "\"department\":\"aarhus\",\"agreement\":\"sick_listed\"")
	ZC("1", "aarhus", "sick_listed", "2023-01-03", "2024-12-20")
	ZC("2", "odense", "youth_autism", "2023-03-01", "2023-05-31")
	ZC("3", "odense", "sick_listed", "2023-06-01", "2023-08-31")
	ZC("4", "aarhus", "youth_autism", "2024-01-02", "2024-03-31")
	ZC("5", "aarhus", "youth_autism", "2024-01-02", "2024-02-15");

static int setup(void **state)
{
	char path[256], cmd[512];
	const char *ingest[] = {"ingest", path, NULL};
	const char *stdin_ingest[] = {"ingest", "-", NULL};
	struct h_result r;

	(void)state;
	if (h_site_new(&site, "it_dash_release") != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/dash.ndjson", h_tmpdir());
	snprintf(cmd, sizeof(cmd), "%s synth --citizens 1500 --seed 11 > %s",
		 h_bin(), path);
	if (system(cmd) != 0)
		return -1;
	r = h_run(ingest, env, NULL, 0);
	if (r.status != 0)
		return -1;
	h_result_free(&r);
	r = h_run(stdin_ingest, env, special, sizeof(special) - 1);
	if (r.status != 0)
		return -1;
	h_result_free(&r);
	r = run("measure", "refresh", NULL);
	if (r.status != 0)
		return -1;
	h_result_free(&r);
	return 0;
}

/*
 * The true cells, counted the plain way: every course in every period it
 * runs in (or ended in, for exits), at every breakdown; per citizen the
 * latest course there; then counted. The same rows the release counts,
 * without its sums over ranges and corrections.
 */
static const char reference[] =
	"WITH asof AS (SELECT as_of FROM fremdrift.dash_params), "
	"c AS (SELECT c.*, k.k_count FROM fremdrift.courses c JOIN "
	" fremdrift.citizen_keys k USING (pseudonym), asof "
	" WHERE c.started <= asof.as_of), "
	"ov AS (SELECT c.*, p.period, 'o' AS fam FROM c, asof, "
	" fremdrift.dash_periods(fremdrift.quarter_index(c.started), "
	"  fremdrift.quarter_index(greatest(c.started, least(coalesce("
	"  c.ended, as_of), as_of)))) p(period)), "
	"en AS (SELECT c.*, p.period, 'e' FROM c, asof, fremdrift.dash_periods("
	"  fremdrift.quarter_index(greatest(c.started, c.ended)), "
	"  fremdrift.quarter_index(greatest(c.started, c.ended))) p(period) "
	" WHERE c.ended <= as_of AND c.exit_status IS NOT NULL), "
	"lv AS (SELECT x.*, l.d, l.a FROM (SELECT * FROM ov UNION ALL "
	" SELECT * FROM en) x, LATERAL (VALUES (x.department, x.agreement), "
	" (x.department, 'all'), ('all', x.agreement), ('all', 'all')) "
	" l(d, a)), "
	"rep AS (SELECT DISTINCT ON (fam, pseudonym, period, d, a) * FROM lv "
	" ORDER BY fam, pseudonym, period, d, a, started DESC, course DESC), "
	"p AS (SELECT course_key, dimension, max((reliable_change = "
	" 'improved')::int) imp, max((reliable_change = 'deteriorated')::int) "
	" det FROM report.progression WHERE n_responses >= 2 GROUP BY 1, 2), "
	"ref AS ("
	" SELECT 'course' pop, period, d, a, '' k, count(*) n, "
	"  count(first_company) c1, 0 c2, sum(k_count) kn FROM rep "
	"  WHERE fam = 'o' GROUP BY 2, 3, 4 "
	" UNION ALL SELECT 'exit', period, d, a, exit_status, count(*), 0, 0, "
	"  sum(k_count) FROM rep WHERE fam = 'e' GROUP BY 2, 3, 4, 5 "
	" UNION ALL SELECT 'mix_end', period, d, a, mix, count(*), "
	"  count(*) FILTER (WHERE x.towards_work), 0, sum(k_count) FROM rep "
	"  JOIN fremdrift.exit_statuses x ON x.code = rep.exit_status "
	"  WHERE fam = 'e' GROUP BY 2, 3, 4, 5 "
	" UNION ALL SELECT 'prog', period, d, a, p.dimension, count(*), "
	"  sum(p.imp), sum(p.det), sum(k_count) FROM rep JOIN p ON "
	"  p.course_key = rep.course WHERE fam = 'o' GROUP BY 2, 3, 4, 5), "
	"got AS (SELECT pop, period, department d, target_group a, key k, n, "
	" c1, c2, kn FROM fremdrift.dash_cells WHERE pop IN ('course', 'exit', "
	" 'mix_end', 'prog')) "
	"SELECT count(*) FILTER (WHERE ref.n IS DISTINCT FROM got.n OR "
	" ref.c1 IS DISTINCT FROM got.c1 OR ref.c2 IS DISTINCT FROM got.c2 OR "
	" ref.kn IS DISTINCT FROM got.kn), count(*) "
	"FROM ref FULL JOIN got USING (pop, period, d, a, k)";

/* fremdrift.dash_cells holds exactly what the plain count gives. */
static void check_cells(PGconn *c, long min_cells)
{
	PGresult *res = PQexec(c, reference);

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fail_msg("%s", PQresultErrorMessage(res));
	if (strcmp(PQgetvalue(res, 0, 0), "0") != 0)
		fail_msg("%s of %s true cells differ from the plain count",
			 PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
	assert_true(atol(PQgetvalue(res, 0, 1)) >= min_cells);
	PQclear(res);
}

static void test_cells_exact(void **state)
{
	PGconn *c = h_db(db);

	(void)state;
	/* Citizens with several courses exist, so distinct matters ... */
	assert_true(h_num(c, "SELECT count(*) FROM (SELECT pseudonym FROM "
			   "fremdrift.courses GROUP BY 1 HAVING count(*) > 1) x") >
		    20);
	check_cells(c, 5000);
	/* ... and X1 and X2 (one citizen, both in aarhus in 2024-Q3) count
	 * once there, with the later course's target group. */
	assert_string_equal(
		h_scalar(c, "SELECT count(*) FROM fremdrift.dash_cells WHERE "
			    "pop = 'exit' AND period = 20250 AND department = "
			    "'aarhus' AND target_group = 'youth_autism' AND key "
			    "= 'early_retirement'"),
		"1");
	PQfinish(c);
}

/* The role dashboard reads the published views and nothing else. */
static void test_role_separation(void **state)
{
	PGconn *c = h_db(db);
	static const char *const denied[] = {
		"SELECT * FROM fremdrift.responses LIMIT 1",
		"SELECT * FROM fremdrift.courses LIMIT 1",
		"SELECT * FROM report.progression LIMIT 1",
		"SELECT * FROM fremdrift.dash_cells LIMIT 1",
		"SELECT * FROM fremdrift.dash_published LIMIT 1",
		"SELECT * FROM fremdrift.citizen_keys LIMIT 1",
		"SELECT * FROM fremdrift.dash_params LIMIT 1",
		"SELECT fremdrift.dash_build(5, 3, 10, 10, 4)",
		"SELECT fremdrift.dash_forget('\\x00')",
		"SELECT * FROM fremdrift.dash_answer('mix', NULL, NULL, NULL, "
		"NULL)",
		"SELECT fremdrift.dash_noise(1, ARRAY[0.0, 0.5])",
	};

	(void)state;
	assert_non_null(h_scalar(c, "SET ROLE dashboard"));
	for (size_t i = 0; i < sizeof(denied) / sizeof(*denied); i++) {
		PGresult *res = PQexec(c, denied[i]);

		if (PQresultStatus(res) == PGRES_TUPLES_OK)
			fail_msg("the dashboard role could run: %s", denied[i]);
		PQclear(res);
	}
	assert_true(h_num(c, "SELECT count(*) FROM dashboard.exits_quarter") > 100);
	assert_string_equal(h_scalar(c, "SELECT min_cell FROM "
					"dashboard.protection"),
			    "5");
	assert_non_null(h_scalar(c, "RESET ROLE"));
	PQfinish(c);
}

/* Every figure that is a count, in every view of the release. */
static const char counts_sql[] =
	"SELECT count(*) FILTER (WHERE (value #>> '{}')::numeric < 5), "
	"count(*) FILTER (WHERE value = 'null'), count(*) FROM ("
	"SELECT (jsonb_each(to_jsonb(t) - 'period' - 'period_start' - "
	"'department' - 'target_group')).* FROM dashboard.%s t) x "
	"WHERE key IN ('citizens', 'ended')";

/* The research's patterns survive the noise; no count under 5; every
 * category listed. */
static void test_patterns_and_suppression(void **state)
{
	static const char *const views[] = {
		"overview_quarter", "progression_quarter", "subgoals_quarter",
		"company_quarter", "mix_quarter", "paid_hours_quarter",
		"belief_quarter", "exits_quarter", "followups_quarter",
		"mix_year", "exits_year", "belief_year"};
	PGconn *c = h_db(db);
	long hidden = 0;

	(void)state;
	assert_non_null(h_scalar(c, "SET ROLE dashboard"));
	assert_true(h_num(c, "SELECT mean_change FROM dashboard.mix_year WHERE "
			   "period = '2025' AND department = 'all' AND "
			   "target_group = 'all' AND mix = 'parallel'") >
		    h_num(c, "SELECT mean_change FROM dashboard.mix_year WHERE "
			   "period = '2025' AND department = 'all' AND "
			   "target_group = 'all' AND mix = 'sequential'"));
	assert_true(h_num(c, "SELECT mean_change FROM dashboard.mix_year WHERE "
			   "period = '2025' AND department = 'all' AND "
			   "target_group = 'all' AND mix = 'none'") < 0);
	assert_true(h_num(c, "SELECT share_exit_work_or_education FROM "
			   "dashboard.belief_year WHERE period = '2025' AND "
			   "department = 'all' AND target_group = 'all' AND "
			   "job_chance = 5") >
		    h_num(c, "SELECT share_exit_work_or_education FROM "
			   "dashboard.belief_year WHERE period = '2025' AND "
			   "department = 'all' AND target_group = 'all' AND "
			   "job_chance = 1"));
	for (size_t i = 0; i < sizeof(views) / sizeof(*views); i++) {
		char sql[512];
		PGresult *res;

		snprintf(sql, sizeof(sql), counts_sql, views[i]);
		res = PQexec(c, sql);
		assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
		if (strcmp(PQgetvalue(res, 0, 0), "0") != 0)
			fail_msg("dashboard.%s shows %s counts under 5", views[i],
				 PQgetvalue(res, 0, 0));
		hidden += atol(PQgetvalue(res, 0, 1));
		assert_true(atol(PQgetvalue(res, 0, 2)) > 0);
		PQclear(res);
	}
	/* Small groups exist, so suppression really happened. */
	assert_true(hidden > 100);
	/* Every status in every row set of exits, zeros included: each
	 * (period, department, target group) has the same ten rows. */
	assert_string_equal(
		h_scalar(c, "SELECT count(DISTINCT n) || '/' || min(n) FROM "
			    "(SELECT count(*) n FROM dashboard.exits_quarter "
			    "GROUP BY period, department, target_group) x"),
		"1/10");
	/* A share is shown only with 5 on each side: never 0 or 1. */
	assert_string_equal(
		h_scalar(c, "SELECT count(*) FROM dashboard.progression_quarter "
			    "WHERE share_improved IN (0, 1) OR share_deteriorated "
			    "IN (0, 1)"),
		"0");
	PQfinish(c);
}

/* Only ended periods are published, and a published one stays as it was
 * when new data arrives for it. */
static void test_closed_periods_frozen(void **state)
{
	static const char late[] =
		CRS("290272-3317", "LATE1", "aarhus", "sick_listed",
		    "2024-02-01", "2024-03-15", "employment")
		CRS("150584-2213", "LATE2", "aarhus", "sick_listed",
		    "2024-02-01", "2024-03-15", "employment");
	const char *args[] = {"ingest", "-", NULL};
	char before[64];
	struct h_result r;
	PGconn *c = h_db(db);

	(void)state;
	assert_string_equal(
		h_scalar(c, "SELECT count(*) FROM fremdrift.dash_published p, "
			    "fremdrift.dash_params a WHERE p.period_start + "
			    "CASE p.kind WHEN 'year' THEN interval '1 year' "
			    "ELSE interval '3 months' END > a.as_of"),
		"0");
	snprintf(before, sizeof(before), "%s",
		 h_scalar(c, "SELECT md5(string_agg(p::text, ',' ORDER BY "
			     "view, kind, period_start, department, "
			     "target_group, key)) FROM fremdrift.dash_published "
			     "p"));
	r = h_run(args, env, late, sizeof(late) - 1);
	assert_int_equal(r.status, 0);
	h_result_free(&r);
	refresh();
	/* The true cells moved ... */
	assert_string_equal(h_scalar(c, h_sql("SELECT count(*) FROM "
					      "fremdrift.courses WHERE course "
					      "IN %s",
					      h_courses(site.key_path, "LATE1",
							"LATE2", NULL))),
			    "2");
	check_cells(c, 5000);
	/* ... the published figures did not. */
	assert_string_equal(
		h_scalar(c, "SELECT md5(string_agg(p::text, ',' ORDER BY view, "
			    "kind, period_start, department, target_group, "
			    "key)) FROM fremdrift.dash_published p"),
		before);
	PQfinish(c);
}

/*
 * An erasure takes the citizen out of the true cells at once, as a
 * refresh without them would, and renews the noise of every published row
 * they were in: all statuses of a row change, not only theirs.
 */
static void test_erasure(void **state)
{
	const char *args[] = {"erase", NULL};
	struct h_result r;
	PGconn *c = h_db(db);

	(void)state;
	assert_non_null(h_scalar(c, "CREATE TABLE before AS SELECT * FROM "
				    "fremdrift.dash_published"));
	/* The citizen of X1..X4 ended a course in 2024-Q3 and 2025-Q1. */
	r = h_run(args, env, "670761-4285\n", 12);
	assert_int_equal(r.status, 0);
	h_result_free(&r);
	assert_string_equal(h_scalar(c, h_sql("SELECT count(*) FROM "
					      "fremdrift.courses WHERE course "
					      "IN %s",
					      h_courses(site.key_path, "X1", "X2",
							"X3", "X4", NULL))),
			    "0");
	check_cells(c, 5000);
	assert_string_equal(h_scalar(c, "SELECT count(*) FROM fremdrift.dash_cells "
					"WHERE pop = 'exit' AND period = 20250 AND "
					"department = 'aarhus' AND target_group = "
					"'youth_autism' AND key = 'early_retirement'"),
			    "0");
	/* Rows they were not in are untouched; in a row they were in, the
	 * figures of other statuses changed too. */
	assert_string_equal(
		h_scalar(c, "SELECT count(*) FROM before b JOIN "
			    "fremdrift.dash_published p USING (view, kind, "
			    "period_start, department, target_group, key) WHERE "
			    "p.department = 'koebenhavn' AND (b.citizens, b.share1) "
			    "IS DISTINCT FROM (p.citizens, p.share1)"),
		"0");
	/* Over the four all/all exit rows they were in (each shown cell of
	 * another status changes with a renewed noise, unless the new draw
	 * happens to equal the old: one row alone, with rare statuses
	 * hidden, sometimes had too few shown cells to tell). */
	assert_true(h_num(c, "SELECT count(*) FROM before b JOIN "
			   "fremdrift.dash_published p USING (view, kind, "
			   "period_start, department, target_group, key) WHERE "
			   "p.view = 'exits' AND ((p.kind = 'year' AND "
			   "p.period_start IN ('2024-01-01', '2025-01-01')) OR "
			   "(p.kind = 'quarter' AND p.period_start IN "
			   "('2024-07-01', '2025-01-01'))) AND p.department = "
			   "'all' AND p.target_group = 'all' AND p.key <> "
			   "'early_retirement' AND b.citizens IS DISTINCT FROM "
			   "p.citizens") >= 3);
	assert_non_null(h_scalar(c, "DROP TABLE before"));
	PQfinish(c);
}

/* The same data twice gives the same release: asking again, or after
 * another refresh, teaches nothing. */
static void test_repeatable(void **state)
{
	PGconn *c = h_db(db);
	char before[64];

	(void)state;
	snprintf(before, sizeof(before), "%s",
		 h_scalar(c, "SELECT md5(string_agg(p::text, ',' ORDER BY "
			     "pop, period, department, target_group, key)) "
			     "FROM fremdrift.dash_cells p"));
	assert_non_null(h_scalar(c, "DELETE FROM fremdrift.dash_published"));
	refresh();
	assert_string_equal(
		h_scalar(c, "SELECT md5(string_agg(p::text, ',' ORDER BY pop, "
			    "period, department, target_group, key)) FROM "
			    "fremdrift.dash_cells p"),
		before);
	snprintf(before, sizeof(before), "%s",
		 h_scalar(c, "SELECT md5(string_agg(p::text, ',' ORDER BY "
			     "view, kind, period_start, department, "
			     "target_group, key)) FROM fremdrift.dash_published "
			     "p"));
	assert_non_null(h_scalar(c, "DELETE FROM fremdrift.dash_published"));
	refresh();
	assert_string_equal(
		h_scalar(c, "SELECT md5(string_agg(p::text, ',' ORDER BY view, "
			    "kind, period_start, department, target_group, "
			    "key)) FROM fremdrift.dash_published p"),
		before);
	PQfinish(c);
}

/* A refresh never makes the dashboard wait: it reads the previous rows
 * until the refresh commits. */
static void test_dashboard_during_refresh(void **state)
{
	PGconn *r = h_db(db), *d = h_db(db);
	char before[64];
	static const char sum[] = "SELECT md5(string_agg(t::text, ',' ORDER BY "
				  "period, department, target_group)) FROM "
				  "dashboard.overview_quarter t";

	(void)state;
	assert_non_null(h_scalar(d, "SET ROLE dashboard"));
	assert_non_null(h_scalar(d, "SET lock_timeout = '2s'"));
	snprintf(before, sizeof(before), "%s", h_scalar(d, sum));
	assert_non_null(h_scalar(r, "BEGIN"));
	assert_non_null(h_scalar(r, "DELETE FROM fremdrift.dash_published"));
	assert_non_null(h_scalar(r, "SELECT fremdrift.dash_build(5, 3, 10, "
				    "10, 4)"));
	assert_string_equal(h_scalar(d, sum), before);
	assert_non_null(h_scalar(r, "ROLLBACK"));
	assert_string_equal(h_scalar(d, sum), before);
	PQfinish(d);
	PQfinish(r);
}

/* A second refresh while one runs stops at once and changes nothing. */
static void test_one_refresh_at_a_time(void **state)
{
	PGconn *c = h_db(db);
	struct h_result x;

	(void)state;
	assert_string_equal(h_scalar(c, "SELECT pg_advisory_lock(4242020602)"),
			    "");
	x = run("measure", "refresh", NULL);
	assert_int_not_equal(x.status, 0);
	assert_non_null(strstr(x.err, "another refresh is running"));
	h_result_free(&x);
	assert_non_null(h_scalar(c, "SELECT pg_advisory_unlock(4242020602)"));
	refresh();
	PQfinish(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cells_exact),
		cmocka_unit_test(test_role_separation),
		cmocka_unit_test(test_patterns_and_suppression),
		cmocka_unit_test(test_closed_periods_frozen),
		cmocka_unit_test(test_erasure),
		cmocka_unit_test(test_repeatable),
		cmocka_unit_test(test_dashboard_during_refresh),
		cmocka_unit_test(test_one_refresh_at_a_time),
	};
	return cmocka_run_group_tests_name("dash_release", tests, setup, NULL);
}
