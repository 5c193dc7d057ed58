/* `fremdrift migrate` against a real PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fremdrift/migrate.h"
#include "harness.h"

static char env_db[600];

static struct h_result migrate(const char *opt)
{
	const char *args[] = {"migrate", opt, NULL};
	const char *env[] = {env_db, NULL};

	return h_run(args, env, NULL, 0);
}

static void test_fresh_check_then_apply_then_idempotent(void **state)
{
	const char *db = h_fresh_db("it_migrate");
	struct h_result r;
	PGconn *c;
	char count[32];

	(void)state;
	snprintf(env_db, sizeof(env_db), "DATABASE_URL=%s", db);

	/* A database never migrated: --check says so with exit 1. */
	r = migrate("--check");
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "not migrated"));
	h_result_free(&r);

	r = migrate(NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "applied"));
	h_result_free(&r);

	c = h_db(db);
	snprintf(count, sizeof(count), "%s",
		 h_scalar(c, "SELECT count(*) FROM fremdrift.schema_migrations"));
	assert_true(atoi(count) >= 1);
	/* The schemas of the foundation exist. */
	assert_string_equal(
		h_scalar(c, "SELECT count(*) FROM pg_namespace WHERE nspname "
			    "IN ('fremdrift','report','dashboard')"),
		"3");

	/* A second run does nothing. */
	r = migrate(NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "nothing to apply"));
	h_result_free(&r);
	assert_string_equal(
		h_scalar(c, "SELECT count(*) FROM fremdrift.schema_migrations"),
		count);

	r = migrate("--check");
	assert_int_equal(r.status, 0);
	h_result_free(&r);
	PQfinish(c);
}

static void test_refuses_unknown_migration(void **state)
{
	PGconn *c = h_db(env_db + strlen("DATABASE_URL="));
	struct h_result r;

	(void)state;
	assert_non_null(h_scalar(
		c, "INSERT INTO fremdrift.schema_migrations (version, name, "
		   "sha256) VALUES (9999, 'from_the_future', 'x')"));
	r = migrate(NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "9999"));
	assert_non_null(strstr(r.err, "does not know"));
	h_result_free(&r);
	r = migrate("--check");
	assert_int_equal(r.status, 2);
	h_result_free(&r);
	assert_non_null(h_scalar(
		c, "DELETE FROM fremdrift.schema_migrations WHERE version = 9999"));
	r = migrate(NULL);
	assert_int_equal(r.status, 0);
	h_result_free(&r);
	PQfinish(c);
}

static void test_refuses_altered_migration(void **state)
{
	PGconn *c = h_db(env_db + strlen("DATABASE_URL="));
	struct h_result r;

	(void)state;
	assert_non_null(h_scalar(c, "CREATE TEMP TABLE kept AS SELECT sha256 "
				    "FROM fremdrift.schema_migrations WHERE "
				    "version = 1"));
	assert_non_null(h_scalar(c, "UPDATE fremdrift.schema_migrations SET "
				    "sha256 = 'changed' WHERE version = 1"));
	r = migrate(NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "differs"));
	h_result_free(&r);
	/* Put it back for the tests that follow. */
	assert_non_null(h_scalar(c, "UPDATE fremdrift.schema_migrations SET "
				    "sha256 = (SELECT sha256 FROM kept) WHERE "
				    "version = 1"));
	PQfinish(c);
}

/* 1 if the recorded SHA-256 of definition file name is that of the text
 * compiled into this binary. */
static int recorded_sum_matches(PGconn *c, const char *name)
{
	const char *p[2] = {NULL, name};
	PGresult *res;
	int ok;

	for (int i = 0; i < fr_definitions_count; i++)
		if (strcmp(fr_definitions[i].name, name) == 0)
			p[0] = fr_definitions[i].sql;
	assert_non_null(p[0]);
	res = PQexecParams(c, "SELECT sha256 = encode(sha256(convert_to($1, "
			      "'UTF8')), 'hex') FROM fremdrift.schema_definitions "
			      "WHERE name = $2",
			   2, NULL, p, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	ok = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return ok;
}

/*
 * A definition file whose text differs from the recorded one is applied
 * again (it puts back what it defines) and recorded; an unchanged one is
 * left alone.
 */
static void test_changed_definition_reapplied(void **state)
{
	PGconn *c = h_db(env_db + strlen("DATABASE_URL="));
	struct h_result r;
	char untouched[64];

	(void)state;
	assert_true(recorded_sum_matches(c, "10_formulas"));
	snprintf(untouched, sizeof(untouched), "%s",
		 h_scalar(c, "SELECT applied_at FROM fremdrift.schema_definitions "
			     "WHERE name = '60_dashboard'"));
	assert_string_not_equal(untouched, "");
	/* As if the file had changed since: another text recorded, and the
	 * function it defines replaced by something else. */
	assert_non_null(h_scalar(c, "UPDATE fremdrift.schema_definitions SET "
				    "sha256 = 'older' WHERE name = '10_formulas'"));
	assert_non_null(h_scalar(
		c, "CREATE OR REPLACE FUNCTION fremdrift.rci(change double "
		   "precision, sd_baseline double precision, reliability double "
		   "precision) RETURNS double precision LANGUAGE sql AS "
		   "'SELECT -1::float8'"));
	r = migrate("--check");
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "1 definition file(s) pending"));
	h_result_free(&r);

	r = migrate(NULL);
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, "nothing to apply"));
	assert_non_null(strstr(r.err, "applied definition file current/10_formulas"));
	assert_null(strstr(r.err, "current/60_dashboard"));
	h_result_free(&r);
	/* SE_diff = 5 * sqrt(2) * sqrt(0.5) = 5. */
	assert_string_equal(h_scalar(c, "SELECT round(fremdrift.rci(20, 5, 0.5)"
					"::numeric, 6)"),
			    "4.000000");
	assert_true(recorded_sum_matches(c, "10_formulas"));
	assert_string_equal(h_scalar(c, "SELECT applied_at FROM "
					"fremdrift.schema_definitions WHERE name "
					"= '60_dashboard'"),
			    untouched);

	r = migrate(NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "nothing to apply"));
	h_result_free(&r);
	PQfinish(c);
}

/* A definition file this binary does not know was recorded by a newer
 * fremdrift: refused, so its definitions are not overwritten. */
static void test_refuses_unknown_definition(void **state)
{
	PGconn *c = h_db(env_db + strlen("DATABASE_URL="));
	struct h_result r;

	(void)state;
	assert_non_null(h_scalar(c, "INSERT INTO fremdrift.schema_definitions "
				    "(name, sha256) VALUES ('99_from_the_future', "
				    "'x')"));
	r = migrate(NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "99_from_the_future"));
	assert_non_null(strstr(r.err, "does not know"));
	h_result_free(&r);
	r = migrate("--check");
	assert_int_equal(r.status, 2);
	h_result_free(&r);
	assert_non_null(h_scalar(c, "DELETE FROM fremdrift.schema_definitions "
				    "WHERE name = '99_from_the_future'"));
	r = migrate("--check");
	assert_int_equal(r.status, 0);
	h_result_free(&r);
	PQfinish(c);
}

/* How many times the definition files create object (schema.name), as a
 * function (kind 'f') or a view. */
static int definitions_of(const char *object, char kind)
{
	char needle[200];
	int n = 0;

	snprintf(needle, sizeof(needle), "CREATE OR REPLACE %s %s%s",
		 kind == 'f' ? "FUNCTION" : "VIEW", object,
		 kind == 'f' ? "(" : " AS");
	for (int i = 0; i < fr_definitions_count; i++)
		for (const char *p = fr_definitions[i].sql;
		     (p = strstr(p, needle)) != NULL; p++)
			n++;
	return n;
}

/* Every view and function of the three schemas, as migrated, has its
 * current definition in exactly one place: one definition file. */
static void test_each_object_defined_once(void **state)
{
	PGconn *c = h_db(env_db + strlen("DATABASE_URL="));
	PGresult *res;

	(void)state;
	res = PQexec(c, "SELECT n.nspname || '.' || p.proname, 'f' FROM pg_proc p "
			"JOIN pg_namespace n ON n.oid = p.pronamespace WHERE "
			"n.nspname IN ('fremdrift', 'report', 'dashboard') "
			"UNION ALL SELECT n.nspname || '.' || c.relname, 'v' FROM "
			"pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
			"WHERE c.relkind = 'v' AND n.nspname IN ('fremdrift', "
			"'report', 'dashboard') ORDER BY 1");
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	/* The dashboard's nine, its helpers, the four report views, ... */
	assert_true(PQntuples(res) > 20);
	for (int r = 0; r < PQntuples(res); r++) {
		const char *obj = PQgetvalue(res, r, 0);
		int n = definitions_of(obj, PQgetvalue(res, r, 1)[0]);

		if (n != 1)
			fail_msg("%s is defined in %d places in sql/current/", obj,
				 n);
	}
	PQclear(res);
	PQfinish(c);
}

static void test_unreachable_database(void **state)
{
	const char *args[] = {"migrate", NULL};
	const char *env[] = {"DATABASE_URL=host=/nonexistent dbname=x", NULL};
	struct h_result r;

	(void)state;
	r = h_run(args, env, NULL, 0);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "cannot connect"));
	h_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_check_then_apply_then_idempotent),
		cmocka_unit_test(test_refuses_unknown_migration),
		cmocka_unit_test(test_refuses_altered_migration),
		cmocka_unit_test(test_changed_definition_reapplied),
		cmocka_unit_test(test_refuses_unknown_definition),
		cmocka_unit_test(test_each_object_defined_once),
		cmocka_unit_test(test_unreachable_database),
	};
	return cmocka_run_group_tests_name("migrate", tests, NULL, NULL);
}
