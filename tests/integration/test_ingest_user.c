/*
 * What a new user of `fremdrift ingest` met (issue 12): a second key file
 * that silently split the population, "10 rejected" without a reason, a
 * CSV header problem reported on every row, and CSV on stdin read as
 * NDJSON. Each test failed before its fix.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static struct h_site site;
static const char *env[] = {site.env_db, site.env_key, NULL};

/* Replacement-style CPR numbers (day + 60): never a real person's. */
#define CPR_A "670761-4285"
#define CPR_B "610190-1001"

#define EVT(id, cpr)                                                           \
	"{\"kind\":\"event\",\"id\":\"" id "\",\"cpr\":\"" cpr "\","           \
	"\"course\":\"K1\",\"at\":\"2026-02-01\",\"type\":\"job_chance_rated\"," \
	"\"level\":2}\n"

#define CSV_HEAD "id,cpr,instrument,version,respondent,answered_at,b01,b02\n"
#define CSV_ROW(id) id "," CPR_B ",borger,1,citizen,2026-02-10T09:00:00+01:00,5,4\n"

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static long count(const char *sql)
{
	PGconn *c = h_db(site.db);
	long n = atol(h_scalar(c, sql));

	PQfinish(c);
	return n;
}

/* The number of lines of text that are not log lines ("ts=..."). */
static int lines_of(const char *text)
{
	int n = 0;

	for (const char *l = text; *l; l = strchr(l, '\n') + 1) {
		if (strncmp(l, "ts=", 3) != 0)
			n++;
		if (strchr(l, '\n') == NULL)
			break;
	}
	return n;
}

static int setup(void **state)
{
	(void)state;
	return h_site_new(&site, "it_ingest_user");
}

/* Ingests text from a file of that name. */
static struct h_result ingest_text(const char *name, const char *text,
				   const char *const *e)
{
	char path[256];
	const char *args[] = {"ingest", path, NULL};

	snprintf(path, sizeof(path), "%s/%s", h_tmpdir(), name);
	write_text(path, text);
	return h_run(args, e, NULL, 0);
}

/* A key file the database does not know is refused, by ingest and serve,
 * until it is added deliberately with `fremdrift key add`. */
static void test_unknown_key_refused(void **state)
{
	char key2[256], env_key2[300], env_http[64], log[256];
	const char *env2[] = {site.env_db, env_key2, NULL};
	const char *kargs[] = {"keygen", "--out", key2, NULL};
	const char *add[] = {"key", "add", NULL};
	const char *add_also[] = {"key", "add", "--also", NULL};
	const char *serve[] = {"serve", NULL};
	const char *senv[] = {site.env_db, env_key2, env_http, NULL};
	struct h_result r;
	pid_t pid;

	(void)state;
	/* The first key of an empty database is taken as it is. */
	r = ingest_text("k1.ndjson", EVT("k-1", CPR_A), env);
	assert_int_equal(r.status, 0);
	h_result_free(&r);

	snprintf(key2, sizeof(key2), "%s/second.key", h_tmpdir());
	snprintf(env_key2, sizeof(env_key2), "FREMDRIFT_KEY_FILE=%s", key2);
	unlink(key2);
	r = h_run(kargs, env, NULL, 0);
	assert_int_equal(r.status, 0);
	h_result_free(&r);

	r = ingest_text("k2.ndjson", EVT("k-2", CPR_A), env2);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "not one this database knows"));
	assert_non_null(strstr(r.err, "second pseudonym"));
	assert_non_null(strstr(r.err, "fremdrift key add"));
	if (lines_of(r.err) != 1)
		fail_msg("not one line:\n%s", r.err);
	h_result_free(&r);
	/* Under neither key (an id's pseudonym depends on the key, as the
	 * citizen's does). */
	assert_int_equal(count(h_sql("SELECT count(*) FROM fremdrift.events "
				     "WHERE id IN ('%s', '%s')",
				     h_rid(site.key_path, "k-2"),
				     h_rid(key2, "k-2"))),
			 0);
	assert_int_equal(count("SELECT count(*) FROM fremdrift.pseudonym_keys"),
			 1);

	/* serve refuses to start with it, and says why. */
	snprintf(env_http, sizeof(env_http), "FREMDRIFT_HTTP=127.0.0.1:%d",
		 h_free_port());
	snprintf(log, sizeof(log), "%s/serve-key.log", h_tmpdir());
	pid = h_spawn(serve, senv, log);
	if (h_wait(pid, 10000) != 2) {
		kill(pid, SIGKILL);
		h_wait(pid, 5000);
		fail_msg("serve did not exit 2 with an unknown key");
	}
	assert_non_null(strstr(h_read_file(log), "not one this database knows"));

	/* Adding it while another key is active needs --also. */
	r = h_run(add, env2, NULL, 0);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--also"));
	h_result_free(&r);
	assert_int_equal(count("SELECT count(*) FROM fremdrift.pseudonym_keys"),
			 1);
	r = h_run(add_also, env2, NULL, 0);
	assert_int_equal(r.status, 0);
	h_result_free(&r);
	r = h_run(add_also, env2, NULL, 0); /* already there: nothing to do */
	assert_int_equal(r.status, 0);
	h_result_free(&r);
	assert_int_equal(count("SELECT count(*) FROM fremdrift.pseudonym_keys"),
			 2);

	r = ingest_text("k2.ndjson", EVT("k-2", CPR_A), env2);
	assert_int_equal(r.status, 0);
	h_result_free(&r);
	assert_int_equal(count(h_sql("SELECT count(*) FROM fremdrift.events "
				     "WHERE id = '%s'",
				     h_rid(key2, "k-2"))),
			 1);
}

/* Without --rejects, the first five reasons are shown (line, field,
 * reason; never a value) and the way to all of them. */
static void test_reasons_without_rejects_file(void **state)
{
	static const char input[] =
		EVT("r-1", CPR_A)
		EVT("r-2", "320190-1001")        /* 2: no such day */
		"{\"kind\":\"event\", oops\n"     /* 3: not JSON */
		EVT("r-4", "320190-1001")        /* 4 */
		EVT("r-5", "320190-1001")        /* 5 */
		EVT("r-6", "320190-1001")        /* 6 */
		EVT("r-7", "320190-1001");       /* 7: the sixth, not shown */
	struct h_result r;

	(void)state;
	r = ingest_text("reasons.ndjson", input, env);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err, "1 accepted, 0 duplicates, 6 rejected"));
	assert_non_null(strstr(r.err, "line 2, field cpr: "));
	assert_non_null(strstr(r.err, "line 3, column "));
	assert_non_null(strstr(r.err, "not valid JSON"));
	assert_non_null(strstr(r.err, "line 6, field cpr: "));
	assert_null(strstr(r.err, "line 7"));
	assert_non_null(strstr(r.err, "--rejects FILE"));
	assert_null(strstr(r.err, "320190"));
	h_result_free(&r);
	/* With --rejects they go to the file, and only the summary is shown. */
	{
		char path[256], rej[256];
		const char *args[] = {"ingest", "--rejects", rej, path, NULL};

		snprintf(path, sizeof(path), "%s/reasons.ndjson", h_tmpdir());
		snprintf(rej, sizeof(rej), "%s/reasons.rejects", h_tmpdir());
		r = h_run(args, env, NULL, 0);
		assert_int_equal(r.status, 3);
		assert_non_null(strstr(r.err, "see the rejects file"));
		assert_null(strstr(r.err, "line 2,"));
		h_result_free(&r);
	}
}

/* A header problem is one message naming the column, and nothing is
 * stored; a column of another instrument's item is fine where empty. */
static void test_csv_header_checked_once(void **state)
{
	static const char no_time[] =
		"id,cpr,instrument,version,respondent,b01\n"
		"h-1," CPR_B ",borger,1,citizen,5\n"
		"h-2," CPR_B ",borger,1,citizen,5\n";
	static const char unknown[] =
		CSV_HEAD
		"h-3," CPR_B ",borger,1,citizen,2026-02-10T09:00:00+01:00,5,4,\n";
	static const char event_extra[] =
		"id,cpr,course,at,type,level,b01\n"
		"h-4," CPR_B ",K1,2026-02-01,job_chance_rated,2,\n";
	static const char other_item[] =
		"id,cpr,instrument,version,respondent,answered_at,b01,k01\n"
		"h-5," CPR_B ",borger,1,citizen,2026-02-10T09:00:00+01:00,5,\n"
		"h-6," CPR_B ",borger,1,citizen,2026-02-10T09:00:00+01:00,x,3\n";
	char with_b99[sizeof(unknown) + 8];
	const char *ids;
	struct h_result r;

	(void)state;
	r = ingest_text("no_time.csv", no_time, env);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "answered_at"));
	assert_int_equal(lines_of(r.err), 1);
	h_result_free(&r);

	snprintf(with_b99, sizeof(with_b99), "%s", unknown);
	memcpy(strstr(with_b99, "b02"), "b99", 3);
	r = ingest_text("b99.csv", with_b99, env);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "b99"));
	assert_int_equal(lines_of(r.err), 1);
	h_result_free(&r);

	r = ingest_text("event_extra.csv", event_extra, env);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "b01"));
	h_result_free(&r);
	ids = h_rids(site.key_path, "h-1", "h-2", "h-3", "h-4", "h-5", "h-6",
		     NULL);
	assert_int_equal(count(h_sql("SELECT count(*) FROM fremdrift.responses "
				     "WHERE id IN %s",
				     ids)) +
				 count(h_sql("SELECT count(*) FROM "
					     "fremdrift.events WHERE id IN %s",
					     ids)),
			 0);

	/* k01 belongs to the consultants' instrument: empty in a citizen's
	 * row it is no error, and the row's own error is the one shown. */
	r = ingest_text("other_item.csv", other_item, env);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err, "1 accepted, 0 duplicates, 1 rejected"));
	assert_non_null(strstr(r.err, "line 3, column 7, field b01: "));
	h_result_free(&r);
}

/* CSV on stdin is recognised by its header; anything else that is not
 * JSON is one clear refusal. */
static void test_stdin_csv(void **state)
{
	const char *args[] = {"ingest", "-", NULL};
	static const char csv[] = CSV_HEAD CSV_ROW("s-1") CSV_ROW("s-2");
	static const char semis[] =
		"id;cpr;course;at;type;level\n"
		"s-3;" CPR_B ";K1;2026-02-01;job_chance_rated;2\n";
	static const char neither[] = "hello world\nmore\nand more\n";
	struct h_result r;

	(void)state;
	r = h_run(args, env, csv, sizeof(csv) - 1);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "stdin: 2 accepted"));
	h_result_free(&r);
	r = h_run(args, env, semis, sizeof(semis) - 1);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "stdin: 1 accepted"));
	h_result_free(&r);
	r = h_run(args, env, neither, sizeof(neither) - 1);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--format"));
	assert_int_equal(lines_of(r.err), 1);
	h_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_key_refused),
		cmocka_unit_test(test_reasons_without_rejects_file),
		cmocka_unit_test(test_csv_header_checked_once),
		cmocka_unit_test(test_stdin_csv),
	};
	return cmocka_run_group_tests_name("ingest_user", tests, setup, NULL);
}
