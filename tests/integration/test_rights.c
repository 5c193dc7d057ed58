/*
 * The citizen's rights: access returns what was stored; erase removes the
 * citizen from every table (a whole-database dump is searched, so a table
 * added later is caught) and nothing of anyone else; cpr-change moves the
 * history; the audit log holds no pseudonym.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static struct h_site site;
static const char *db = site.db;
;
static const char *env[] = {site.env_db, site.env_key, NULL};

/* Synthetic citizens 0 and 1 (their replacement numbers, read from the
 * file synth made), and a number synth never makes: it uses the days 1-28
 * only, and this is day 30 (+ 60). */
static char citizen0[12], citizen1[12];
#define UNUSED "900199-1235"

static struct h_result cmd(const char *what, const char *input)
{
	const char *args[] = {what, NULL};

	return h_run(args, env, input, strlen(input));
}

/* The first six digits of a CPR number (its birth date), as they would
 * show if the number leaked. */
static const char *birth_date(const char *cpr)
{
	static char d[7];

	snprintf(d, sizeof(d), "%.6s", cpr);
	return d;
}

static char *pseudonym(const char *cpr)
{
	const char *args[] = {"pseudonym", NULL};
	char in[32];
	struct h_result r;
	char *p;

	snprintf(in, sizeof(in), "%s\n", cpr);
	r = h_run(args, env, in, strlen(in));
	assert_int_equal(r.status, 0);
	p = strndup(r.out, 64);
	h_result_free(&r);
	return p;
}

static long rows_of(PGconn *c, const char *hex)
{
	char sql[1024];

	snprintf(sql, sizeof(sql),
		 "SELECT (SELECT count(*) FROM fremdrift.responses WHERE pseudonym "
		 "= '\\x%s') + (SELECT count(*) FROM fremdrift.events WHERE "
		 "pseudonym = '\\x%s') + (SELECT count(*) FROM fremdrift.courses "
		 "WHERE pseudonym = '\\x%s') + (SELECT count(*) FROM "
		 "fremdrift.progression WHERE pseudonym = '\\x%s') + (SELECT "
		 "count(*) FROM fremdrift.citizen_keys WHERE pseudonym = "
		 "'\\x%s')",
		 hex, hex, hex, hex, hex);
	return atol(h_scalar(c, sql));
}

static long all_rows(PGconn *c)
{
	return atol(h_scalar(c, "SELECT (SELECT count(*) FROM fremdrift.responses)"
				" + (SELECT count(*) FROM fremdrift.events) + "
				"(SELECT count(*) FROM fremdrift.courses) + (SELECT "
				"count(*) FROM fremdrift.progression) + (SELECT "
				"count(*) FROM fremdrift.citizen_keys)"));
}

static int setup(void **state)
{
	const char *rargs[] = {"measure", "refresh", NULL};
	char path[256], cmdline[512];
	const char *iargs[] = {"ingest", path, NULL};
	struct h_result r;

	(void)state;
	if (h_site_new(&site, "it_rights") != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/s.ndjson", h_tmpdir());
	snprintf(cmdline, sizeof(cmdline), "%s synth --citizens 300 --seed 2 > %s",
		 h_bin(), path);
	if (system(cmdline) != 0 || h_synth_cpr(path, 0, citizen0) != 0 ||
	    h_synth_cpr(path, 1, citizen1) != 0)
		return -1;
	r = h_run(iargs, env, NULL, 0);
	h_result_free(&r);
	r = h_run(rargs, env, NULL, 0);
	if (r.status != 0)
		return -1;
	h_result_free(&r);
	return 0;
}

static void test_access(void **state)
{
	PGconn *c = h_db(db);
	char *p = pseudonym(citizen0), want[64], input[64];
	struct h_result r;

	snprintf(input, sizeof(input), "%s\nnot a number\n", citizen0);
	r = cmd("access", input);

	(void)state;
	assert_int_equal(r.status, 3); /* the second line was an error */
	snprintf(want, sizeof(want), "\"rows\":%ld,", rows_of(c, p));
	assert_true(rows_of(c, p) > 10);
	assert_non_null(strstr(r.out, want));
	assert_non_null(strstr(r.out, "\"responses\":[{"));
	assert_non_null(strstr(r.out, "\"events\":[{"));
	assert_non_null(strstr(r.out, "{\"line\":2,\"error\":"));
	/* The CPR number is in no answer. */
	assert_null(strstr(r.out, birth_date(citizen0)));
	h_result_free(&r);
	free(p);
	PQfinish(c);
}

static void test_erase(void **state)
{
	PGconn *c = h_db(db);
	char *p = pseudonym(citizen0), want[64], cmdline[1024], dump[256];
	long mine = rows_of(c, p), before = all_rows(c);
	struct h_result r;
	FILE *f;
	char *text;
	long n;

	(void)state;
	snprintf(cmdline, sizeof(cmdline), "%s\n", citizen0);
	r = cmd("erase", cmdline);
	assert_int_equal(r.status, 0);
	snprintf(want, sizeof(want), "\"deleted\":%ld,", mine);
	assert_non_null(strstr(r.out, want));
	h_result_free(&r);
	/* Nothing of anyone else changed. */
	assert_int_equal(all_rows(c), before - mine);
	assert_int_equal(rows_of(c, p), 0);
	/* Not anywhere: the whole database, every table and column. */
	snprintf(dump, sizeof(dump), "%s/after-erase.sql", h_tmpdir());
	snprintf(cmdline, sizeof(cmdline),
		 "\"$(pg_config --bindir 2>/dev/null || ls -d "
		 "/usr/lib/postgresql/*/bin | tail -n 1)/pg_dump\" -d '%s' > %s",
		 db, dump);
	assert_int_equal(system(cmdline), 0);
	f = fopen(dump, "rb");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = malloc((size_t)n + 1);
	text[fread(text, 1, (size_t)n, f)] = '\0';
	fclose(f);
	assert_true(n > 100000);
	assert_null(strstr(text, p));
	free(text);
	/* One audit row, with counts and no pseudonym. */
	assert_string_equal(h_scalar(c, "SELECT count(*) FROM fremdrift.rights_log "
					"WHERE action = 'erase'"),
			    "1");
	{
		char sql[256];

		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM fremdrift.rights_log WHERE "
			 "tables::text LIKE '%%%.16s%%'",
			 p);
		assert_string_equal(h_scalar(c, sql), "0");
	}
	free(p);
	PQfinish(c);
}

static void test_cpr_change(void **state)
{
	PGconn *c = h_db(db);
	char *old = pseudonym(citizen1), *new = pseudonym(UNUSED), sql[256];
	long had = rows_of(c, old), before = all_rows(c);
	struct h_result r;

	(void)state;
	assert_true(had > 10);
	assert_int_equal(rows_of(c, new), 0);
	snprintf(sql, sizeof(sql), "%s " UNUSED "\n", citizen1);
	r = cmd("cpr-change", sql);
	assert_int_equal(r.status, 0);
	h_result_free(&r);
	assert_int_equal(rows_of(c, old), 0);
	assert_int_equal(rows_of(c, new), had);
	assert_int_equal(all_rows(c), before);
	/* The new number's facts: born 1999, odd last digit: male. */
	snprintf(sql, sizeof(sql),
		 "SELECT min(birth_year) || max(sex) FROM fremdrift.events WHERE "
		 "pseudonym = '\\x%s'",
		 new);
	assert_string_equal(h_scalar(c, sql), "1999M");
	snprintf(sql, sizeof(sql), "%s\n", citizen1);
	r = cmd("cpr-change", sql);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.out, "two CPR numbers"));
	h_result_free(&r);
	free(old);
	free(new);
	PQfinish(c);
}

/*
 * A cpr-change waits for a running refresh (here its lock, held by the
 * test): a refresh writes back only the rows that changed since it read
 * them, and would otherwise put the citizen's progression back under the
 * old pseudonym. Then it moves the rows (back to citizen 1).
 */
static void test_cpr_change_waits_for_refresh(void **state)
{
	PGconn *c = h_db(db), *hold = h_db(db);
	char *gone = pseudonym(UNUSED), *back = pseudonym(citizen1), in[32];
	long had = rows_of(c, gone);
	int waiting, st = -1;
	pid_t pid;

	(void)state;
	assert_true(had > 10); /* test_cpr_change moved them there */
	assert_non_null(h_scalar(hold, "BEGIN"));
	assert_non_null(h_scalar(hold, "SELECT pg_advisory_xact_lock("
				       "4242020602)"));
	snprintf(in, sizeof(in), UNUSED " %s\n", citizen1);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct h_result r = cmd("cpr-change", in);

		_exit(r.status);
	}
	waiting = h_await_count(c, "SELECT count(*) FROM pg_stat_activity "
				   "WHERE wait_event = 'advisory'");
	assert_int_equal(waiting, 1);
	assert_int_equal(waitpid(pid, &st, WNOHANG), 0);
	assert_int_equal(rows_of(c, back), 0); /* nothing moved yet */
	assert_non_null(h_scalar(hold, "ROLLBACK"));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(rows_of(c, gone), 0);
	assert_int_equal(rows_of(c, back), had);
	free(gone);
	free(back);
	PQfinish(hold);
	PQfinish(c);
}

/*
 * An access answer must be complete: a table that cannot be read (here a
 * table whose pseudonym column is of the wrong type) fails the command
 * with a message naming it, instead of an answer that silently lacks it.
 */
static void test_access_fails_on_unreadable_table(void **state)
{
	PGconn *c = h_db(db);
	struct h_result r;
	char input[16];

	(void)state;
	snprintf(input, sizeof(input), "%s\n", citizen0);
	assert_non_null(h_scalar(c, "CREATE TABLE fremdrift.zz_unreadable "
				    "(pseudonym integer)"));
	r = cmd("access", input);
	assert_non_null(h_scalar(c, "DROP TABLE fremdrift.zz_unreadable"));
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "zz_unreadable"));
	assert_null(strstr(r.out, "\"rows\""));
	assert_null(strstr(r.err, birth_date(citizen0)));
	h_result_free(&r);
	PQfinish(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_access),
		cmocka_unit_test(test_erase),
		cmocka_unit_test(test_cpr_change),
		cmocka_unit_test(test_cpr_change_waits_for_refresh),
		cmocka_unit_test(test_access_fails_on_unreadable_table),
	};
	return cmocka_run_group_tests_name("rights", tests, setup, NULL);
}
