/*
 * The roles dashboard and analyst attacked through PostgreSQL's catalogues
 * (issue 13, sql/current/80_catalog_privacy.sql). Rows are stored and one
 * citizen is erased; then, as SET ROLE dashboard, as a login role granted
 * dashboard, and as SET ROLE analyst, every statistic, size, estimate and
 * position that counts or measures the rows of fremdrift.* must be refused
 * or show nothing, while the catalogue queries of psql and of BI drivers
 * still answer. Each probe is first run as the owner, who must get an
 * answer: so a probe that is refused to a role is a real query refused,
 * not a typo.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fremdrift/migrate.h"
#include "harness.h"

static struct h_site site;
static const char *env[] = {site.env_db, site.env_key, NULL};

#define LOGIN_ROLE "it_dash_login"
#define NONSUPER_OWNER "it_dash_owner"
#define NONSUPER_DB "it_dash_nonsuper"
#define PRIVACY_FILE "80_catalog_privacy"

/* The oid of fremdrift.<name>, found as an attacker finds it: the role has
 * no USAGE on schema fremdrift, so 'fremdrift.x'::regclass is refused. */
#define REL(name)                                                              \
	"(SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = "        \
	"c.relnamespace WHERE n.nspname = 'fremdrift' AND c.relname = '" name \
	"')"
#define THIS_DB "(SELECT oid FROM pg_database WHERE datname = current_database())"

/*
 * Statistics that count or measure the rows of fremdrift.*: each must be
 * refused (insufficient privilege) to each attacker, and still answer to
 * pg_read_all_stats.
 */
static const char *const statistics[] = {
	/* The statistics functions, called directly. */
	"SELECT pg_stat_get_tuples_deleted(" REL("responses") ")",
	"SELECT pg_stat_get_tuples_inserted(" REL("responses") ")",
	"SELECT pg_stat_get_live_tuples(" REL("responses") ")",
	"SELECT pg_stat_get_dead_tuples(" REL("events") ")",
	"SELECT pg_stat_get_xact_tuples_deleted(" REL("responses") ")",
	"SELECT pg_stat_get_blocks_fetched(" REL("responses") ")",
	"SELECT pg_stat_get_numscans(" REL("courses") ")",
	"SELECT pg_stat_get_db_tuples_deleted(" THIS_DB ")",
	/* The views that call them. */
	"SELECT n_tup_del FROM pg_stat_user_tables WHERE relname = 'responses'",
	"SELECT n_live_tup FROM pg_stat_all_tables WHERE relname = 'responses'",
	"SELECT n_tup_ins FROM pg_stat_xact_user_tables WHERE relname = 'events'",
	"SELECT heap_blks_hit FROM pg_statio_user_tables WHERE relname = 'courses'",
	"SELECT idx_scan FROM pg_stat_user_indexes LIMIT 1",
	"SELECT tup_deleted FROM pg_stat_database WHERE datname = current_database()",
	"SELECT wal_bytes FROM pg_stat_wal",
	"SELECT count(*) FROM pg_stat_activity",
	/* Sizes, which grow with the rows. */
	"SELECT pg_relation_size(" REL("responses") ")",
	"SELECT pg_relation_size(" REL("responses") ", 'main')",
	"SELECT pg_total_relation_size(" REL("responses") ")",
	"SELECT pg_table_size(" REL("events") ")",
	"SELECT pg_indexes_size(" REL("responses") ")",
	"SELECT pg_database_size(current_database())",
	"SELECT pg_database_size(" THIS_DB ")",
	"SELECT pg_tablespace_size('pg_default')",
	/* The planner's estimates in pg_class, and all of pg_class at once. */
	"SELECT reltuples FROM pg_class WHERE oid = " REL("responses"),
	"SELECT relpages FROM pg_class WHERE oid = " REL("responses"),
	"SELECT relallvisible FROM pg_class WHERE oid = " REL("responses"),
	"SELECT count(*) FROM (SELECT * FROM pg_class) c",
	/* The WAL position, which advances with every row written. */
	"SELECT pg_current_wal_lsn()",
	"SELECT pg_current_wal_insert_lsn()",
	"SELECT pg_current_wal_flush_lsn()",
	"SELECT redo_lsn FROM pg_control_checkpoint()",
	/* Who holds locks on which table. */
	"SELECT count(*) FROM pg_locks",
};

/* Reads that need a privilege on fremdrift.* itself: refused before
 * issue 13 already, and kept so. */
static const char *const table_reads[] = {
	"SELECT pg_sequence_last_value(" REL("rights_log_entry_no_seq") ")",
	"SELECT last_value FROM fremdrift.rights_log_entry_no_seq",
	"SELECT count(*) FROM pg_statistic",
	"EXPLAIN SELECT * FROM fremdrift.responses",
};

/*
 * Must be refused or answer 0 to each attacker, where the owner gets more
 * than 0. The marker is in the text of a query another session ran; the
 * probe's own text splits it so as not to find itself.
 */
#define MARKER "SELECT 'it-dash-roles-marker'"
static const char *const hidden[] = {
	"SELECT count(*) FROM pg_stats WHERE schemaname = 'fremdrift'",
	"SELECT count(last_value) FROM pg_sequences WHERE schemaname = 'fremdrift'",
	"SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
	"'%it-dash-' || 'roles-marker%'",
};

/* The catalogue queries a client needs: must answer to each attacker. */
static const char *const allowed[] = {
	/* psql's \dt, \df dashboard.*, \dn and \d <table>. */
	"SELECT n.nspname, c.relname, CASE c.relkind WHEN 'r' THEN 'table' "
	"WHEN 'v' THEN 'view' END, pg_catalog.pg_get_userbyid(c.relowner) "
	"FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON "
	"n.oid = c.relnamespace LEFT JOIN pg_catalog.pg_am am ON am.oid = "
	"c.relam WHERE c.relkind IN ('r','p','v','m','S','f','') AND "
	"n.nspname <> 'pg_catalog' AND pg_catalog.pg_table_is_visible(c.oid) "
	"ORDER BY 1, 2",
	"SELECT n.nspname, p.proname, pg_catalog.pg_get_function_result(p.oid), "
	"pg_catalog.pg_get_function_arguments(p.oid) FROM pg_catalog.pg_proc p "
	"LEFT JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE "
	"n.nspname OPERATOR(pg_catalog.~) '^(dashboard)$' ORDER BY 1, 2, 4",
	"SELECT n.nspname, pg_catalog.pg_get_userbyid(n.nspowner) FROM "
	"pg_catalog.pg_namespace n WHERE n.nspname !~ '^pg_' ORDER BY 1",
	"SELECT c.relchecks, c.relkind, c.relhasindex, c.relhasrules, "
	"c.relhastriggers, c.relrowsecurity, c.relforcerowsecurity, "
	"c.relispartition, c.reltablespace, c.reloftype, c.relpersistence, "
	"c.relreplident, am.amname FROM pg_catalog.pg_class c LEFT JOIN "
	"pg_catalog.pg_class tc ON c.reltoastrelid = tc.oid LEFT JOIN "
	"pg_catalog.pg_am am ON c.relam = am.oid WHERE c.oid = " REL("courses"),
	"SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), "
	"a.attnotnull, a.attidentity, a.attgenerated FROM "
	"pg_catalog.pg_attribute a WHERE a.attrelid = " REL("courses") " AND "
	"a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
	/* A .NET driver's type loading (Power BI): types with their relkind,
	 * element types, ranges; the fields of composites; enum labels. */
	"SELECT ns.nspname, t.oid, t.typname, t.typtype, t.typnotnull, "
	"cls.relkind, elem.oid, elem.typtype, ecls.relkind, rng.rngsubtype, "
	"rcv.proname FROM pg_type t JOIN pg_namespace ns ON ns.oid = "
	"t.typnamespace LEFT JOIN pg_class cls ON cls.oid = t.typrelid LEFT "
	"JOIN pg_proc rcv ON rcv.oid = t.typreceive LEFT JOIN pg_range rng ON "
	"rng.rngtypid = t.oid LEFT JOIN pg_type elem ON elem.oid = t.typelem "
	"LEFT JOIN pg_class ecls ON ecls.oid = elem.typrelid ORDER BY t.oid",
	"SELECT t.oid, a.attname, a.atttypid FROM pg_type t JOIN pg_namespace "
	"ns ON ns.oid = t.typnamespace JOIN pg_class cls ON cls.oid = "
	"t.typrelid JOIN pg_attribute a ON a.attrelid = t.typrelid WHERE "
	"t.typtype = 'c' AND a.attnum > 0 AND NOT a.attisdropped ORDER BY "
	"t.oid, a.attnum",
	"SELECT pg_type.oid, enumlabel FROM pg_enum JOIN pg_type ON "
	"pg_type.oid = enumtypid ORDER BY pg_type.oid, enumsortorder",
	/* A JDBC driver's table list (Metabase), and pg_dump's style. */
	"SELECT n.nspname, c.relname, c.relkind, d.description FROM "
	"pg_catalog.pg_namespace n, pg_catalog.pg_class c LEFT JOIN "
	"pg_catalog.pg_description d ON c.oid = d.objoid AND d.objsubid = 0 "
	"AND d.classoid = 'pg_class'::regclass WHERE c.relnamespace = n.oid "
	"ORDER BY 1, 2",
	"SELECT c.tableoid, c.oid, c.xmin, c.relname, c.relacl, c.relkind, "
	"c.relnamespace, c.relowner FROM pg_class c",
	/* The standard views over the catalogue. */
	"SELECT count(*) FROM information_schema.tables",
	"SELECT count(*) FROM information_schema.columns",
	"SELECT count(*) FROM information_schema.routines",
	"SELECT count(*) FROM information_schema.parameters",
	"SELECT count(*) FROM pg_tables",
	"SELECT count(*) FROM pg_views",
	"SELECT count(*) FROM pg_indexes",
};

static int has(const char *s, const char *part)
{
	return s != NULL && strstr(s, part) != NULL;
}

static PGconn *admin_db(void)
{
	char conninfo[512];

	snprintf(conninfo, sizeof(conninfo),
		 "host=%s user=fremdrift dbname=fremdrift",
		 getenv("FREMDRIFT_TEST_PGDIR"));
	return h_db(conninfo);
}

/* conninfo of role user on database dbname, in the test cluster. */
static const char *conninfo_as(const char *user, const char *dbname)
{
	static char conninfo[512];

	snprintf(conninfo, sizeof(conninfo), "host=%s user=%s dbname=%s",
		 getenv("FREMDRIFT_TEST_PGDIR"), user, dbname);
	return conninfo;
}

static int run_ok(const char *const *args, const char *input)
{
	struct h_result r = h_run(args, env, input, input ? strlen(input) : 0);
	int rc = r.status == 0 ? 0 : -1;

	if (rc != 0)
		fprintf(stderr, "fremdrift %s: %s", args[0], r.err);
	h_result_free(&r);
	return rc;
}

/* Synthetic citizens stored, refreshed, and citizen 0 erased. */
static int store_and_erase(void)
{
	char path[256], cmdline[512];
	const char *ingest[] = {"ingest", path, NULL};
	const char *refresh[] = {"measure", "refresh", NULL};
	const char *erase[] = {"erase", NULL};
	char citizen0[16]; /* synthetic citizen 0's number, from the file */
	int rc;

	snprintf(path, sizeof(path), "%s/synth.ndjson", h_tmpdir());
	snprintf(cmdline, sizeof(cmdline),
		 "%s synth --citizens 20 --seed 13 > %s", h_bin(), path);
	if (system(cmdline) != 0 || h_synth_cpr(path, 0, citizen0) != 0)
		return -1;
	strcat(citizen0, "\n");
	rc = run_ok(ingest, NULL);
	if (rc == 0)
		rc = run_ok(refresh, NULL);
	if (rc == 0)
		rc = run_ok(erase, citizen0);
	return rc;
}

/* Waits until the erasure's deletions reach the statistics (a backend
 * reports them as it exits, just after the command's process ends). */
static int wait_for_stats(PGconn *owner)
{
	for (int i = 0; i < 100; i++) {
		const char *v = h_scalar(owner, "SELECT n_tup_del FROM "
						"pg_stat_user_tables WHERE "
						"relid = " REL("responses"));

		if (v != NULL && atol(v) > 0)
			return 0;
		h_sleep_ms(50);
	}
	fprintf(stderr, "the erasure never showed in pg_stat_user_tables\n");
	return -1;
}

static int ensure_login_role(PGconn *owner)
{
	return h_scalar(owner, "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM "
			       "pg_roles WHERE rolname = '" LOGIN_ROLE "') THEN "
			       "CREATE ROLE " LOGIN_ROLE " LOGIN; END IF; END $$;"
			       "GRANT dashboard TO " LOGIN_ROLE) != NULL
		       ? 0
		       : -1;
}

static int setup(void **state)
{
	PGconn *owner;
	int rc;

	(void)state;
	if (h_site_new(&site, "it_dash_roles") != 0 || store_and_erase() != 0)
		return -1;
	owner = h_db(site.db);
	rc = h_scalar(owner, "ANALYZE") != NULL ? 0 : -1;
	if (rc == 0)
		rc = wait_for_stats(owner);
	if (rc == 0)
		rc = ensure_login_role(owner);
	PQfinish(owner);
	return rc;
}

static int teardown(void **state)
{
	PGconn *admin = admin_db();

	(void)state;
	h_scalar(admin, "DROP DATABASE IF EXISTS " NONSUPER_DB " WITH (FORCE)");
	h_scalar(admin, "DROP ROLE IF EXISTS " NONSUPER_OWNER);
	h_scalar(admin, "DROP ROLE IF EXISTS " LOGIN_ROLE);
	PQfinish(admin);
	return 0;
}

/* A connection as attacker: "login" is the login role granted dashboard;
 * any other name is a NOLOGIN role taken with SET ROLE. */
static PGconn *attacker(const char *who)
{
	PGconn *c;
	char sql[64];

	if (strcmp(who, "login") == 0)
		return h_db(conninfo_as(LOGIN_ROLE, "it_dash_roles"));
	c = h_db(site.db);
	snprintf(sql, sizeof(sql), "SET ROLE %s", who);
	assert_non_null(h_scalar(c, sql));
	return c;
}

/* Runs sql on c; returns its status, with the error code in sqlstate and
 * the first value of the first row (or "") in value. */
static ExecStatusType probe(PGconn *c, const char *sql, char sqlstate[6],
			    char value[64])
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	const char *code = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	snprintf(sqlstate, 6, "%s", code ? code : "");
	snprintf(value, 64, "%s",
		 st == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0)
							   : "");
	PQclear(r);
	return st;
}

/* The owner gets an answer: the probe is a real query. */
static void owner_answers(PGconn *owner, const char *sql, char value[64])
{
	char code[6];

	if (probe(owner, sql, code, value) != PGRES_TUPLES_OK)
		fail_msg("the owner could not run (%s): %s", code, sql);
}

/* 1 (and says so) when a refusal was for another reason than a missing
 * privilege, such as an error in the probe. */
static int odd_refusal(const char *who, const char *code, const char *sql)
{
	if (strcmp(code, "42501") == 0)
		return 0;
	print_message("LEAK?: %s: not a privilege error (%s) from: %s\n", who,
		      code, sql);
	return 1;
}

/* 0 when c is refused sql for lack of a privilege; else says what who
 * read and returns 1. */
static int leaks_refused(PGconn *c, const char *who, const char *sql)
{
	char code[6], value[64];

	if (probe(c, sql, code, value) != PGRES_TUPLES_OK)
		return odd_refusal(who, code, sql);
	print_message("LEAK: %s read \"%s\" from: %s\n", who, value, sql);
	return 1;
}

/* 0 when c is refused sql or it answers 0; else says what who read and
 * returns 1. */
static int leaks_hidden(PGconn *c, const char *who, const char *sql)
{
	char code[6], value[64];

	if (probe(c, sql, code, value) != PGRES_TUPLES_OK)
		return odd_refusal(who, code, sql);
	if (strcmp(value, "0") == 0)
		return 0;
	print_message("LEAK: %s read \"%s\" from: %s\n", who, value, sql);
	return 1;
}

/* The leaks among n probes that must be refused to c. */
static int refused_probes(PGconn *owner, PGconn *c, const char *who,
			  const char *const *probes, size_t n)
{
	char value[64];
	int leaks = 0;

	for (size_t i = 0; i < n; i++) {
		owner_answers(owner, probes[i], value);
		leaks += leaks_refused(c, who, probes[i]);
	}
	return leaks;
}

/* Every probe as who; fails after listing each leak. */
static void attack_as(const char *who)
{
	PGconn *owner = h_db(site.db), *c = attacker(who);
	PGconn *other = h_db(site.db);
	size_t ns = sizeof(statistics) / sizeof(*statistics);
	size_t nt = sizeof(table_reads) / sizeof(*table_reads);
	size_t nh = sizeof(hidden) / sizeof(*hidden);
	char value[64];
	int leaks;

	/* Another session's last query, for pg_stat_activity to show. */
	assert_non_null(h_scalar(other, MARKER));
	leaks = refused_probes(owner, c, who, statistics, ns) +
		refused_probes(owner, c, who, table_reads, nt);
	for (size_t i = 0; i < nh; i++) {
		owner_answers(owner, hidden[i], value);
		if (atol(value) <= 0)
			fail_msg("the owner sees nothing either: %s", hidden[i]);
		leaks += leaks_hidden(c, who, hidden[i]);
	}
	PQfinish(other);
	PQfinish(c);
	PQfinish(owner);
	if (leaks > 0)
		fail_msg("%s: %d of %zu probes leaked", who, leaks, ns + nt + nh);
}

static void allowed_to(const char *who)
{
	PGconn *c = attacker(who);
	char code[6], value[64];

	for (size_t i = 0; i < sizeof(allowed) / sizeof(*allowed); i++)
		if (probe(c, allowed[i], code, value) != PGRES_TUPLES_OK)
			fail_msg("%s could not run (%s): %s", who, code,
				 allowed[i]);
	PQfinish(c);
}

/* The leaks are real: the owner sees the erasure and the sizes. */
static void test_owner_sees_the_erasure(void **state)
{
	PGconn *owner = h_db(site.db);

	(void)state;
	assert_true(atol(h_scalar(owner, "SELECT n_tup_del FROM "
					 "pg_stat_user_tables WHERE relid = " REL(
						 "responses"))) > 0);
	assert_true(atof(h_scalar(owner, "SELECT reltuples FROM pg_class "
					 "WHERE oid = " REL("responses"))) > 0);
	assert_true(atol(h_scalar(owner, "SELECT pg_relation_size(" REL(
						 "responses") ")")) > 0);
	assert_string_equal(h_scalar(owner, "SELECT count(*) FROM "
					    "fremdrift.rights_log"),
			    "1");
	PQfinish(owner);
}

static void test_statistics_refused_to_dashboard(void **state)
{
	(void)state;
	attack_as("dashboard");
}

static void test_statistics_refused_to_a_dashboard_login(void **state)
{
	(void)state;
	attack_as("login");
}

static void test_statistics_refused_to_analyst(void **state)
{
	(void)state;
	attack_as("analyst");
}

static void test_catalogue_queries_still_work(void **state)
{
	(void)state;
	allowed_to("dashboard");
	allowed_to("login");
	allowed_to("analyst");
}

/* The objects of schema dashboard, as its role lists them through
 * information_schema (functions today, views to come). */
#define DASHBOARD_OBJECTS                                                      \
	"SELECT (SELECT count(*) FROM information_schema.routines WHERE "      \
	"routine_schema = 'dashboard') + (SELECT count(*) FROM "               \
	"information_schema.tables WHERE table_schema = 'dashboard')"

/* A SELECT * of every function of schema dashboard that can be called
 * with its defaults and every view or table in it that the role may read. */
#define DASHBOARD_SELECTS                                                      \
	"SELECT format('SELECT * FROM dashboard.%I() LIMIT 1', p.proname) "    \
	"FROM pg_proc p WHERE p.pronamespace = 'dashboard'::regnamespace AND " \
	"p.pronargs = p.pronargdefaults AND has_function_privilege(p.oid, "    \
	"'EXECUTE') UNION SELECT format('SELECT * FROM dashboard.%I LIMIT 1', " \
	"c.relname) FROM pg_class c WHERE c.relnamespace = "                   \
	"'dashboard'::regnamespace AND c.relkind IN ('r', 'v', 'm') AND "      \
	"has_table_privilege(c.oid, 'SELECT')"

/* Each object of schema dashboard answers who's SELECT *. */
static void dashboard_answers(const char *who)
{
	PGconn *c = attacker(who);
	PGresult *r;

	assert_true(atol(h_scalar(c, DASHBOARD_OBJECTS)) > 0);
	r = PQexec(c, DASHBOARD_SELECTS);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_true(PQntuples(r) > 0);
	for (int i = 0; i < PQntuples(r); i++)
		if (h_scalar(c, PQgetvalue(r, i, 0)) == NULL)
			fail_msg("%s could not run: %s", who, PQgetvalue(r, i, 0));
	PQclear(r);
	PQfinish(c);
}

/* What the roles are for still works: the dashboard's objects answer,
 * and the analyst reads report. */
static void test_roles_still_read_their_schema(void **state)
{
	PGconn *c;

	(void)state;
	dashboard_answers("dashboard");
	dashboard_answers("login");
	c = attacker("analyst");
	assert_non_null(h_scalar(c, "SELECT count(*) FROM report.progression"));
	PQfinish(c);
}

/* pg_read_all_stats, and so pg_monitor, still reads everything. */
static void test_monitoring_keeps_its_statistics(void **state)
{
	PGconn *c = attacker("pg_read_all_stats");
	char code[6], value[64];

	(void)state;
	for (size_t i = 0; i < sizeof(statistics) / sizeof(*statistics); i++)
		if (probe(c, statistics[i], code, value) != PGRES_TUPLES_OK)
			fail_msg("pg_read_all_stats could not run (%s): %s", code,
				 statistics[i]);
	assert_true(atol(h_scalar(c, "SELECT n_tup_del FROM pg_stat_user_tables "
				     "WHERE relid = " REL("responses"))) > 0);
	PQfinish(c);
}

/* The privileges of pg_catalog that the file sets, as one text. */
#define ACL_STATE                                                              \
	"SELECT md5(string_agg(p.oid::regprocedure::text || coalesce("      \
	"p.proacl::text, ''), ',' ORDER BY p.oid)) || (SELECT md5(string_agg(" \
	"attname || coalesce(attacl::text, ''), ',' ORDER BY attnum)) FROM "  \
	"pg_attribute WHERE attrelid = 'pg_class'::regclass) || (SELECT "     \
	"relacl::text FROM pg_class WHERE oid = 'pg_class'::regclass) FROM "  \
	"pg_proc p WHERE p.pronamespace = 'pg_catalog'::regnamespace"

static const char *privacy_sql(void)
{
	for (int i = 0; i < fr_definitions_count; i++)
		if (strcmp(fr_definitions[i].name, PRIVACY_FILE) == 0)
			return fr_definitions[i].sql;
	fail_msg("no definition file current/" PRIVACY_FILE ".sql");
	return NULL;
}

/* Applied again (as migrate does when a file changes), the file leaves
 * the same privileges. */
static void test_file_is_idempotent(void **state)
{
	PGconn *c = h_db(site.db);
	char before[200];

	(void)state;
	snprintf(before, sizeof(before), "%s", h_scalar(c, ACL_STATE));
	assert_non_null(h_scalar(c, privacy_sql()));
	assert_string_equal(h_scalar(c, ACL_STATE), before);
	assert_string_equal(h_scalar(c, "SELECT has_function_privilege("
					"'dashboard', 'pg_stat_get_live_tuples(oid)', "
					"'EXECUTE')"),
			    "f");
	PQfinish(c);
}

/*
 * Migrated by an owner who is not a superuser (as in a production that
 * keeps them apart), migrate still succeeds, changes nothing of
 * pg_catalog, and warns, naming the file and what to do.
 */
static void test_non_superuser_migrate_warns(void **state)
{
	const char *args[] = {"migrate", NULL};
	char env_db[600];
	const char *menv[] = {env_db, site.env_key, NULL};
	PGconn *admin = admin_db();
	struct h_result r;

	(void)state;
	h_fresh_db(NONSUPER_DB);
	assert_non_null(h_scalar(admin, "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM "
					"pg_roles WHERE rolname = '" NONSUPER_OWNER
					"') THEN CREATE ROLE " NONSUPER_OWNER
					" LOGIN; END IF; END $$"));
	assert_non_null(h_scalar(admin, "ALTER DATABASE " NONSUPER_DB
					" OWNER TO " NONSUPER_OWNER));
	PQfinish(admin);
	snprintf(env_db, sizeof(env_db), "DATABASE_URL=%s",
		 conninfo_as(NONSUPER_OWNER, NONSUPER_DB));
	r = h_run(args, menv, NULL, 0);
	assert_int_equal(r.status, 0);
	assert_true(has(r.err, "level=warning"));
	assert_true(has(r.err, "sql/current/" PRIVACY_FILE ".sql"));
	assert_true(has(r.err, "a superuser must run it"));
	h_result_free(&r);
	admin = h_db(conninfo_as("fremdrift", NONSUPER_DB));
	assert_string_equal(h_scalar(admin, "SELECT has_function_privilege("
					    "'dashboard', 'pg_stat_get_live_tuples"
					    "(oid)', 'EXECUTE')"),
			    "t");
	PQfinish(admin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owner_sees_the_erasure),
		cmocka_unit_test(test_statistics_refused_to_dashboard),
		cmocka_unit_test(test_statistics_refused_to_a_dashboard_login),
		cmocka_unit_test(test_statistics_refused_to_analyst),
		cmocka_unit_test(test_catalogue_queries_still_work),
		cmocka_unit_test(test_roles_still_read_their_schema),
		cmocka_unit_test(test_monitoring_keeps_its_statistics),
		cmocka_unit_test(test_file_is_idempotent),
		cmocka_unit_test(test_non_superuser_migrate_warns),
	};
	return cmocka_run_group_tests_name("dash_roles", tests, setup, teardown);
}
