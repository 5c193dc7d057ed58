/* `fremdrift migrate` against a real PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	assert_non_null(h_scalar(c, "UPDATE fremdrift.schema_migrations SET "
				    "sha256 = 'changed' WHERE version = 1"));
	r = migrate(NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "differs"));
	h_result_free(&r);
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
		cmocka_unit_test(test_unreachable_database),
	};
	return cmocka_run_group_tests_name("migrate", tests, NULL, NULL);
}
