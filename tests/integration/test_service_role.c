/*
 * The service's database role (sql/0014_service_role.sql,
 * sql/current/97_service_role.sql, docs/operations.md "Database roles"):
 * a login that is a member of fremdrift_service can do what `fremdrift
 * serve` does (every other suite's server runs as one: tests/integration/
 * harness.c h_serve), and nothing else: it cannot create, alter, drop or
 * truncate anything, change or delete a record, mint or un-revoke a token,
 * or read the true cells, the citizens' record keys or the extract ledger.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static struct h_site site;
static char service[600];
static PGconn *owner, *app;

static int setup(void **state)
{
	const char *p;

	(void)state;
	if (h_site_new(&site, "it_service_role") != 0)
		return -1;
	owner = h_db(site.db);
	h_scalar(owner, "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles "
			"WHERE rolname = 'fremdrift_app') THEN CREATE ROLE "
			"fremdrift_app LOGIN; END IF; END $$; GRANT "
			"fremdrift_service TO fremdrift_app; SELECT 1");
	p = strstr(site.db, " user=fremdrift ");
	snprintf(service, sizeof(service), "%.*s user=fremdrift_app %s",
		 (int)(p - site.db), site.db, p + 16);
	app = h_db(service);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	PQfinish(app);
	PQfinish(owner);
	return 0;
}

/* 1 if sql runs as the service login; each statement in its own
 * transaction, rolled back, so an allowed write changes nothing. */
static int allowed(const char *sql)
{
	PGresult *r = PQexec(app, "BEGIN");
	int ok;

	PQclear(r);
	r = PQexec(app, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK ||
	     PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok)
		/* refused for want of privilege, not for a typo */
		assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE),
				    "42501");
	PQclear(r);
	PQclear(PQexec(app, "ROLLBACK"));
	return ok;
}

static void test_not_owner_nor_superuser(void **state)
{
	(void)state;
	assert_string_equal(h_scalar(app, "SELECT rolsuper::text FROM pg_roles "
					  "WHERE rolname = current_user"),
			    "false");
	/* it owns nothing in the database */
	assert_string_equal(
		h_scalar(owner, "SELECT count(*) FROM pg_class c JOIN pg_roles r "
				"ON r.oid = c.relowner WHERE r.rolname = "
				"'fremdrift_app' OR r.rolname = "
				"'fremdrift_service'"),
		"0");
}

/* What the service must not do, each refused for want of privilege:
 * change the schema; change or delete a record; make or revive a token;
 * read the true cells, the record keys, the ledger, the audit, the course
 * facts, the validity figures or the analysts' views; run the owner's
 * functions. */
static const char *const refused[] = {
	"DROP TABLE fremdrift.responses",
	"ALTER TABLE fremdrift.events ADD COLUMN x int",
	"TRUNCATE fremdrift.responses",
	"CREATE TABLE fremdrift.x (a int)",
	"CREATE TABLE public.x (a int)",
	"DROP VIEW dashboard.exits_year",
	"CREATE OR REPLACE FUNCTION fremdrift.dash_page(text, text, text, OUT "
	"status integer, OUT body text) LANGUAGE sql AS $$ SELECT 200, '' $$",
	"GRANT SELECT ON fremdrift.dash_cells TO fremdrift_app",
	"DELETE FROM fremdrift.responses",
	"UPDATE fremdrift.events SET status = 'x'",
	"DELETE FROM fremdrift.events",
	"DELETE FROM fremdrift.invitations",
	"INSERT INTO fremdrift.api_tokens (token_sha256, source, role) VALUES "
	"(sha256('x'), 'x', 'dashboard')",
	"UPDATE fremdrift.api_tokens SET revoked_at = NULL",
	"SELECT count(*) FROM fremdrift.dash_cells",
	"SELECT count(*) FROM fremdrift.citizen_keys",
	"SELECT count(*) FROM fremdrift.extract_ledger",
	"SELECT count(*) FROM fremdrift.rights_log",
	"SELECT count(*) FROM fremdrift.courses",
	"SELECT count(*) FROM report.progression",
	"SELECT fremdrift.dash_publish(false)",
	/* issue 18: the validity figures are the analysts'; the service
	 * reads only the leadership page's summary */
	"SELECT count(*) FROM fremdrift.validity",
	"SELECT count(*) FROM fremdrift.validity_dif",
	"SELECT count(*) FROM fremdrift.validity_run",
	"SELECT count(*) FROM report.validity",
	"SELECT count(*) FROM report.validity_dif",
	"DELETE FROM fremdrift.validity_summary",
	"SELECT fremdrift.validity_publish()",
};

static void test_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (allowed(refused[i]))
			fail_msg("allowed to the service: %s", refused[i]);
}

/* What it does: read tokens, records, the release and the validity
 * summary; end sessions. */
static void test_allowed(void **state)
{
	(void)state;
	assert_true(allowed("SELECT count(*) FROM fremdrift.api_tokens"));
	assert_true(allowed("SELECT count(*) FROM fremdrift.responses"));
	assert_true(allowed("SELECT count(*) FROM dashboard.exits_year"));
	assert_true(allowed("SELECT count(*) FROM fremdrift.validity_summary"));
	assert_true(allowed("DELETE FROM fremdrift.web_sessions"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_owner_nor_superuser),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_allowed),
	};

	return cmocka_run_group_tests_name("service_role", tests, setup,
					   teardown);
}
