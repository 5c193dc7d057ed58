/*
 * The ingest pipeline against a real PostgreSQL: every rejection path with
 * its line, field and reason (and the good records beside it stored),
 * duplicates, CSV dialects, exactly-once after kill -9, and that no CPR
 * number reaches the database in any form.
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

static char env_db[600], env_key[300], key_path[256];
static const char *db;
static const char *env[] = {env_db, env_key, NULL};

/* Replacement-style CPR numbers (day + 60): never a real person's. */
#define CPR_A "670761-4285"
#define CPR_B "610190-1001"

#define RESP(id, cpr, answers)                                                 \
	"{\"kind\":\"response\",\"id\":\"" id "\",\"cpr\":\"" cpr "\","        \
	"\"instrument\":\"borger\",\"version\":1,\"respondent\":\"citizen\","  \
	"\"answered_at\":\"2026-03-01T10:00:00+01:00\",\"answers\":{" answers "}}\n"
#define EVT(id, cpr, rest)                                                     \
	"{\"kind\":\"event\",\"id\":\"" id "\",\"cpr\":\"" cpr "\","           \
	"\"course\":\"K1\",\"at\":\"2026-02-01\"," rest "}\n"

static void write_text(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	fwrite(text, 1, len, f);
	fclose(f);
}

/* The stored form of a record id (issue 14). */
#define RID(raw) h_rid(key_path, raw)

static long count(const char *sql)
{
	PGconn *c = h_db(db);
	long n = atol(h_scalar(c, sql));

	PQfinish(c);
	return n;
}

static int setup(void **state)
{
	const char *margs[] = {"migrate", NULL};
	const char *kargs[] = {"keygen", "--out", key_path, NULL};
	struct h_result r;

	(void)state;
	db = strdup(h_fresh_db("it_ingest"));
	snprintf(env_db, sizeof(env_db), "DATABASE_URL=%s", db);
	snprintf(key_path, sizeof(key_path), "%s/ingest.key", h_tmpdir());
	snprintf(env_key, sizeof(env_key), "FREMDRIFT_KEY_FILE=%s", key_path);
	r = h_run(kargs, env, NULL, 0);
	h_result_free(&r);
	r = h_run(margs, env, NULL, 0);
	if (r.status != 0) {
		fprintf(stderr, "%s", r.err);
		return -1;
	}
	h_result_free(&r);
	return 0;
}

/* Each bad line: where, which field, why; the good lines are stored. */
static void test_rejections_name_line_field_reason(void **state)
{
	static const char input[] =
		RESP("ok1", CPR_A, "\"b01\":4,\"b02\":3,\"b03\":5,\"b05\":2") /* 1 */
		"{\"kind\":\"response\", oops\n"         /* 2 unreadable */
		EVT("x3", CPR_A, "\"type\":\"course_started\",\"department\":"
				 "\"aarhus\",\"agreement\":\"sick_listed\","
				 "\"colour\":\"red\"") /* 3 unknown field */
		EVT("x4", CPR_A, "\"type\":\"course_started\",\"department\":"
				 "\"aarhus\"") /* 4 missing field */
		EVT("x5", "320190-1001", "\"type\":\"course_ended\","
					  "\"exit_status\":\"education\"") /* 5 */
		"{\"kind\":\"response\",\"id\":\"x6\",\"cpr\":\"" CPR_A "\","
		"\"instrument\":\"borger\",\"version\":1,\"respondent\":"
		"\"citizen\",\"answered_at\":\"yesterday\",\"answers\":{}}\n" /* 6 */
		"{\"kind\":\"response\",\"id\":\"x7\",\"cpr\":\"" CPR_A "\","
		"\"instrument\":\"nope\",\"version\":1,\"respondent\":"
		"\"citizen\",\"answered_at\":\"2026-03-01T10:00:00Z\","
		"\"answers\":{}}\n" /* 7 unknown instrument */
		RESP("x8", CPR_A, "\"b99\":4") /* 8 unknown item */
		EVT("x9", CPR_A, "\"type\":\"intervention_started\","
				 "\"intervention\":\"juggling\"") /* 9 code */
		RESP("x10", CPR_A, "\"b01\":9") /* 10 out of range */
		RESP("ok1", CPR_A, "\"b01\":4") /* 11 duplicate of line 1 */
		"{\"kind\":\"event\",\"id\":\"x\xff\",\"cpr\":\"" CPR_A "\"}\n" /* 12 */
		EVT("ok13", CPR_B, "\"type\":\"meeting\",\"meeting\":"
				   "\"conversation\",\"attended\":false") /* 13 */
		EVT("x14", CPR_B, "\"type\":\"hours\",\"week\":\"2026-W54\","
				  "\"hours\":5,\"paid_hours\":1"); /* 14 */
	char path[256], rej[256];
	const char *args[] = {"ingest", "--rejects", rej, path, NULL};
	struct h_result r;
	char *rejects;
	static const struct {
		int line;
		const char *field, *reason;
	} want[] = {
		{2, "", "not valid JSON"},
		{3, "colour", "unknown field"},
		{4, "agreement", "required field is missing"},
		{5, "cpr", "day of the birth date does not exist"},
		{6, "answered_at", "RFC 3339"},
		{7, "instrument", "unknown instrument"},
		{8, "answers.b99", "unknown item"},
		{9, "intervention", "unknown code"},
		{10, "answers.b01", "outside the item's scale 1..5"},
		{12, "", "not valid UTF-8"},
		{14, "week", "ISO week"},
	};

	(void)state;
	snprintf(path, sizeof(path), "%s/bad.ndjson", h_tmpdir());
	snprintf(rej, sizeof(rej), "%s/bad.rejects", h_tmpdir());
	write_text(path, input, sizeof(input) - 1);
	r = h_run(args, env, NULL, 0);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err, "2 accepted, 1 duplicates, 11 rejected"));
	rejects = h_read_file(rej);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char key[64];
		const char *at;

		snprintf(key, sizeof(key), "{\"line\":%d,", want[i].line);
		at = strstr(rejects, key);
		if (at == NULL)
			fail_msg("no rejection for line %d in:\n%s", want[i].line,
				 rejects);
		{
			const char *eol = strchr(at, '\n');
			char one[512], field[96];

			snprintf(one, sizeof(one), "%.*s", (int)(eol - at), at);
			snprintf(field, sizeof(field), "\"field\":\"%s\"",
				 want[i].field);
			if (!strstr(one, field) || !strstr(one, want[i].reason))
				fail_msg("line %d: %s", want[i].line, one);
		}
	}
	/* Never a raw value in a rejection: no CPR digits at all. */
	assert_null(strstr(rejects, "4285"));
	assert_null(strstr(rejects, "1001"));
	assert_null(strstr(rejects, "juggling"));
	free(rejects);
	assert_null(strstr(r.err, "4285"));
	h_result_free(&r);
	/* The good records are stored, once. */
	assert_int_equal(count(h_sql("SELECT count(*) FROM fremdrift.responses "
				     "WHERE id = '%s'",
				     RID("ok1"))),
			 1);
	assert_int_equal(count(h_sql("SELECT count(*) FROM fremdrift.events "
				     "WHERE id = '%s' AND attended = false",
				     RID("ok13"))),
			 1);
}

static void test_stored_values(void **state)
{
	PGconn *c = h_db(db);

	(void)state;
	/* 670761-4285: a replacement number for 7 July 1961, male. */
	assert_string_equal(
		h_scalar(c, h_sql("SELECT birth_year || sex || source || "
				  "array_length(answers, 1) FROM "
				  "fremdrift.responses WHERE id = '%s'",
				  RID("ok1"))),
		"1961Mfile24");
	/* b01 = 4, b02 = 3, b03 = 5 on 1..5: three of four items, so a score
	 * of (75 + 50 + 100) / 3; one of four in the second dimension is
	 * under two thirds, so no score there. */
	assert_string_equal(h_scalar(c, h_sql("SELECT scores[1] || ',' || "
					      "coalesce(scores[2]::text, "
					      "'null') FROM fremdrift.responses "
					      "WHERE id = '%s'",
					      RID("ok1"))),
			    "75,null");
	PQfinish(c);
}

static void test_second_run_counts_duplicates(void **state)
{
	char path[256];
	const char *args[] = {"ingest", path, NULL};
	struct h_result r;
	long before = count("SELECT count(*) FROM fremdrift.responses") +
		      count("SELECT count(*) FROM fremdrift.events");

	(void)state;
	snprintf(path, sizeof(path), "%s/bad.ndjson", h_tmpdir());
	r = h_run(args, env, NULL, 0);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err, "0 accepted, 3 duplicates, 11 rejected"));
	h_result_free(&r);
	assert_int_equal(count("SELECT count(*) FROM fremdrift.responses") +
				 count("SELECT count(*) FROM fremdrift.events"),
			 before);
}

static void test_csv_dialects(void **state)
{
	/* Semicolons, a BOM, CRLF, quoted fields, a decimal comma, and a
	 * quoted newline inside a field that then fails validation. */
	static const char events[] =
		"\xef\xbb\xbf"
		"id;cpr;course;at;type;department;agreement;week;hours;paid_hours\r\n"
		"c1;" CPR_B ";K7;2026-02-02;course_started;odense;youth_autism;;;\r\n"
		"c2;\"" CPR_B "\";K7;2026-02-09;hours;;;2026-W07;7,5;2\r\n"
		"c3;" CPR_B ";\"K\r\n7\";2026-02-09;course_started;odense;youth_autism;;;\r\n"
		"c4;" CPR_B ";K7;2026-02-10;hours;;;2026-W07;3;4\r\n"
		"c5;" CPR_B ";K7;2026-02-10;course_started;odense\r\n";
	static const char responses[] =
		"id,cpr,instrument,version,respondent,answered_at,b01,b02,b03,b04\n"
		"cr1," CPR_B ",borger,1,citizen,2026-02-10T09:00:00+01:00,5,4,,2\n"
		"cr2," CPR_B ",borger,1,citizen,2026-02-10T09:00:00+01:00,5,x,,2\n";
	char ev[256], re[256], rej[256];
	const char *args[] = {"ingest", "--rejects", rej, ev, re, NULL};
	struct h_result r;
	char *rejects;

	(void)state;
	snprintf(ev, sizeof(ev), "%s/events.csv", h_tmpdir());
	snprintf(re, sizeof(re), "%s/responses.csv", h_tmpdir());
	snprintf(rej, sizeof(rej), "%s/csv.rejects", h_tmpdir());
	write_text(ev, events, sizeof(events) - 1);
	write_text(re, responses, sizeof(responses) - 1);
	r = h_run(args, env, NULL, 0);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err, "events.csv: 2 accepted, 0 duplicates, 3 "
				      "rejected"));
	assert_non_null(strstr(r.err, "responses.csv: 1 accepted, 0 "
				      "duplicates, 1 rejected"));
	h_result_free(&r);
	rejects = h_read_file(rej);
	/* Line numbers count physical lines: c3 spans lines 4-5, so c4 is
	 * on line 6 and c5 on line 7. Columns are 1-based. */
	assert_non_null(strstr(rejects, "\"line\":4,\"column\":3,\"field\":\"course\""));
	assert_non_null(strstr(rejects, "\"line\":6,\"column\":10,\"field\":\"paid_hours\""));
	assert_non_null(strstr(rejects, "\"line\":7,\"column\":null,\"field\":\"\",\"reason\":\"the row has 6 fields; the header has 10\""));
	assert_non_null(strstr(rejects, "\"line\":3,\"column\":8,\"field\":\"b02\""));
	/* With several files, each rejection names its file. */
	assert_non_null(strstr(rejects, "\"file\":"));
	free(rejects);
	assert_int_equal(count(h_sql("SELECT count(*) FROM fremdrift.events "
				     "WHERE id = '%s' AND hours = 7.5 AND week "
				     "= '2026-02-09'",
				     RID("c2"))),
			 1);
	assert_int_equal(count(h_sql("SELECT count(*) FROM fremdrift.responses "
				     "WHERE id = '%s' AND answers[3] IS NULL "
				     "AND answers[4] = 2",
				     RID("cr1"))),
			 1);
}

static void test_oversized_line(void **state)
{
	char path[256];
	const char *args[] = {"ingest", path, NULL};
	size_t big = (1u << 20) + 100, n = 0;
	char *text = malloc(big + 1024);
	struct h_result r;

	(void)state;
	n += (size_t)sprintf(text, "{\"kind\":\"event\",\"id\":\"");
	memset(text + n, 'a', big);
	n += big;
	n += (size_t)sprintf(text + n, "\"}\n" EVT("after-big", CPR_B,
			     "\"type\":\"course_ended\",\"exit_status\":"
			     "\"education\""));
	snprintf(path, sizeof(path), "%s/big.ndjson", h_tmpdir());
	write_text(path, text, n);
	free(text);
	r = h_run(args, env, NULL, 0);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err, "1 accepted, 0 duplicates, 1 rejected"));
	h_result_free(&r);
	assert_int_equal(count(h_sql("SELECT count(*) FROM fremdrift.events "
				     "WHERE id = '%s'",
				     RID("after-big"))),
			 1);
}

/* kill -9 in the middle, run again: every record stored exactly once. */
static void test_kill_and_resume(void **state)
{
	char path[256], log[256], cmd[512];
	const char *args[] = {"ingest", path, NULL};
	struct h_result r;
	long lines, stored;
	pid_t pid;

	(void)state;
	snprintf(path, sizeof(path), "%s/synth.ndjson", h_tmpdir());
	snprintf(log, sizeof(log), "%s/kill.log", h_tmpdir());
	snprintf(cmd, sizeof(cmd), "%s synth --citizens 15000 --seed 42 > %s",
		 h_bin(), path);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "wc -l < %s", path);
	{
		FILE *p = popen(cmd, "r");

		assert_int_equal(fscanf(p, "%ld", &lines), 1);
		pclose(p);
	}
	/* Three kills, each once the run has stored more than before (a
	 * batch committed): on a loaded machine a fixed delay could kill
	 * every run before its first commit and prove nothing. */
	{
		PGconn *c = h_db(db);
		const char *progress = "SELECT coalesce(sum(line), 0) FROM "
				       "fremdrift.file_checkpoints";

		for (int attempt = 0; attempt < 3; attempt++) {
			long was = atol(h_scalar(c, progress)), now = was;

			pid = h_spawn(args, env, log);
			for (int i = 0; i < 1500 && now <= was; i++) {
				h_sleep_ms(20);
				now = atol(h_scalar(c, progress));
			}
			kill(pid, SIGKILL);
			h_wait(pid, 5000);
		}
		PQfinish(c);
	}
	stored = count("SELECT count(*) FROM fremdrift.responses WHERE source "
		       "= 'synth'") +
		 count("SELECT count(*) FROM fremdrift.events WHERE source = "
		       "'synth'");
	/* Killed part-way: some but not all. */
	assert_true(stored > 0);
	assert_true(stored < lines);
	r = h_run(args, env, NULL, 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "resuming after line"));
	assert_non_null(strstr(r.err, "0 rejected"));
	h_result_free(&r);
	stored = count("SELECT count(*) FROM fremdrift.responses WHERE source = "
		       "'synth'") +
		 count("SELECT count(*) FROM fremdrift.events WHERE source = "
		       "'synth'");
	assert_int_equal(stored, lines);
	assert_int_equal(count("SELECT count(*) FROM fremdrift.file_checkpoints "
			       "WHERE done"),
			 count("SELECT count(*) FROM fremdrift.file_checkpoints"));
}

/*
 * The synthetic citizens of test_kill_and_resume, as stored: ages that fit
 * their target groups, sexes and department sizes that differ, rare exits
 * rare (ingest/synth.c). The privacy tests lean on this data being hard.
 */
#define SYNTH_STARTS                                                           \
	"FROM (SELECT agreement, department, birth_year, sex, extract(year "     \
	"FROM at AT TIME ZONE 'Europe/Copenhagen') - birth_year AS age FROM "    \
	"fremdrift.events WHERE source = 'synth' AND type = 'course_started') s "

static void test_synthetic_population(void **state)
{
	long starts = count("SELECT count(*) " SYNTH_STARTS);
	long ended = count("SELECT count(*) FROM fremdrift.events WHERE source "
			   "= 'synth' AND type = 'course_ended'");

	(void)state;
	assert_true(starts > 15000);
	/* Every course's age in its group's range ... */
	assert_int_equal(count("SELECT count(*) " SYNTH_STARTS "WHERE CASE "
			       "agreement WHEN 'youth_outward' THEN age NOT "
			       "BETWEEN 16 AND 29 WHEN 'vulnerable_adults_30' "
			       "THEN age NOT BETWEEN 30 AND 64 ELSE agreement "
			       "LIKE 'youth%' AND age NOT BETWEEN 18 AND 29 OR "
			       "age NOT BETWEEN 16 AND 64 END"),
			 0);
	/* ... the sick-listed and flex-job applicants mostly over 30, the
	 * activity-ready from under 25 to over 55. */
	assert_true(count("SELECT count(*) " SYNTH_STARTS "WHERE agreement IN "
			  "('sick_listed', 'flex_job_applicants') AND age < 30") *
			    10 <
		    count("SELECT count(*) " SYNTH_STARTS "WHERE agreement IN "
			  "('sick_listed', 'flex_job_applicants')"));
	assert_int_equal(count("SELECT count(DISTINCT age < 25) + count("
			       "DISTINCT age > 55) " SYNTH_STARTS "WHERE "
			       "agreement = 'activity_ready'"),
			 4);
	/* Sexes differ by group: most young people with autism are men, most
	 * of the sick-listed women. */
	assert_true(count("SELECT round(100 * avg((sex = 'M')::int)) "
			  SYNTH_STARTS "WHERE agreement = 'youth_autism'") > 60);
	assert_true(count("SELECT round(100 * avg((sex = 'M')::int)) "
			  SYNTH_STARTS "WHERE agreement = 'sick_listed'") < 45);
	/* Five departments, one holding over a third of the courses and one
	 * under 6 %. */
	assert_int_equal(count("SELECT count(*) FROM (SELECT department "
			       SYNTH_STARTS "GROUP BY 1 HAVING count(*) > 0) d"),
			 5);
	assert_true(count("SELECT max(n) FROM (SELECT count(*) * 100 / sum("
			  "count(*)) OVER () n " SYNTH_STARTS "GROUP BY "
			  "department) d") > 33);
	assert_true(count("SELECT min(n) FROM (SELECT count(*) * 100 / sum("
			  "count(*)) OVER () n " SYNTH_STARTS "GROUP BY "
			  "department) d") < 6);
	/* The rare exits occur, each in under 5 % of the ended courses. */
	assert_int_equal(count("SELECT count(*) FROM (SELECT exit_status FROM "
			       "fremdrift.events WHERE source = 'synth' AND "
			       "type = 'course_ended' AND exit_status IN "
			       "('early_retirement', 'self_supporting', "
			       "'unknown') GROUP BY 1 HAVING count(*) > 0) x"),
			 3);
	assert_true(count("SELECT max(n) FROM (SELECT count(*) n FROM "
			  "fremdrift.events WHERE source = 'synth' AND type = "
			  "'course_ended' AND exit_status IN ('early_retirement', "
			  "'self_supporting', 'unknown') GROUP BY exit_status) x") *
			    20 <
		    ended);
}

static void test_stdin(void **state)
{
	const char *args[] = {"ingest", "-", NULL};
	static const char input[] = EVT("stdin-1", CPR_B,
		"\"type\":\"followup\",\"months_after\":2,\"status\":\"employment\"");
	struct h_result r;

	(void)state;
	r = h_run(args, env, input, sizeof(input) - 1);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "stdin: 1 accepted"));
	h_result_free(&r);
}

static void test_usage_errors(void **state)
{
	const char *none[] = {"ingest", NULL};
	const char *missing[] = {"ingest", "/nonexistent/file.ndjson", NULL};
	const char *fmt[] = {"ingest", "--format", "xml", "x", NULL};
	struct h_result r;

	(void)state;
	r = h_run(none, env, NULL, 0);
	assert_int_equal(r.status, 2);
	h_result_free(&r);
	r = h_run(missing, env, NULL, 0);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "cannot open"));
	h_result_free(&r);
	r = h_run(fmt, env, NULL, 0);
	assert_int_equal(r.status, 2);
	h_result_free(&r);
}

/* A dump of the whole database holds no CPR number in any form. */
static void test_dump_has_no_cpr(void **state)
{
	char cmd[1024], dump[256], synth[256];
	char *text;
	/* Numbers from the synthetic file, first and last citizen, with and
	 * without the hyphen, filled in below. */
	char first[12], last[12], first10[11], last10[11];
	const char *const forms[] = {"670761-4285", "6707614285", "610190-1001",
				     "6101901001",  first,	  first10,
				     last,	    last10};

	(void)state;
	snprintf(synth, sizeof(synth), "%s/synth.ndjson", h_tmpdir());
	assert_int_equal(h_synth_cpr(synth, 0, first), 0);
	assert_int_equal(h_synth_cpr(synth, 14999, last), 0);
	snprintf(first10, sizeof(first10), "%.6s%.4s", first, first + 7);
	snprintf(last10, sizeof(last10), "%.6s%.4s", last, last + 7);
	snprintf(dump, sizeof(dump), "%s/all.sql", h_tmpdir());
	snprintf(cmd, sizeof(cmd),
		 "\"$(pg_config --bindir 2>/dev/null || ls -d "
		 "/usr/lib/postgresql/*/bin | tail -n 1)/pg_dump\" -d '%s' > %s",
		 db, dump);
	assert_int_equal(system(cmd), 0);
	text = h_read_file(dump);
	assert_true(strlen(text) > 100000); /* it did dump the data */
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		if (strstr(text, forms[i]))
			fail_msg("the dump contains a CPR number (%zu)", i);
	free(text);
}

/* 1 if line is a logfmt log line or one of ingest's own progress and
 * summary lines ("FILE: N accepted, ...", "total: ...", "FILE: resuming"). */
static int known_stderr_line(const char *line)
{
	long long a, d, r;

	if (strncmp(line, "ts=", 3) == 0 && strstr(line, " level=") &&
	    strstr(line, " msg="))
		return 1;
	if (sscanf(line, "total: %lld accepted, %lld duplicates, %lld rejected",
		   &a, &d, &r) == 3)
		return 1;
	line = strstr(line, ": ");
	return line && sscanf(line, ": %lld accepted, %lld duplicates, %lld "
				    "rejected",
			      &a, &d, &r) == 3;
}

/* Bug: two files that both meet stored records took the duplicate path
 * twice on one connection, and PostgreSQL's NOTICE about the staging
 * tables reached the terminal. */
static void test_two_files_no_notice(void **state)
{
	char first[256], b[256], c[256];
	const char *args1[] = {"ingest", first, NULL};
	const char *args2[] = {"ingest", b, c, NULL};
	static const char one[] =
		EVT("nt-1", CPR_A, "\"type\":\"job_chance_rated\",\"level\":2")
		EVT("nt-2", CPR_A, "\"type\":\"job_chance_rated\",\"level\":3");
	static const char two[] =
		EVT("nt-1", CPR_A, "\"type\":\"job_chance_rated\",\"level\":2")
		EVT("nt-3", CPR_A, "\"type\":\"job_chance_rated\",\"level\":4");
	static const char three[] =
		EVT("nt-2", CPR_A, "\"type\":\"job_chance_rated\",\"level\":3")
		EVT("nt-4", CPR_A, "\"type\":\"job_chance_rated\",\"level\":5");
	struct h_result r;
	int lines = 0;

	(void)state;
	snprintf(first, sizeof(first), "%s/nt1.ndjson", h_tmpdir());
	snprintf(b, sizeof(b), "%s/nt2.ndjson", h_tmpdir());
	snprintf(c, sizeof(c), "%s/nt3.ndjson", h_tmpdir());
	write_text(first, one, sizeof(one) - 1);
	write_text(b, two, sizeof(two) - 1);
	write_text(c, three, sizeof(three) - 1);
	r = h_run(args1, env, NULL, 0);
	assert_int_equal(r.status, 0);
	h_result_free(&r);

	r = h_run(args2, env, NULL, 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "total: 2 accepted, 2 duplicates, "
				      "0 rejected"));
	for (char *line = strtok(r.err, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "NOTICE", 6) == 0)
			fail_msg("a PostgreSQL notice on stderr: %s", line);
		if (!known_stderr_line(line))
			fail_msg("neither logfmt nor a summary: %s", line);
		lines++;
	}
	assert_true(lines >= 3); /* two files and the total, at least */
	h_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rejections_name_line_field_reason),
		cmocka_unit_test(test_stored_values),
		cmocka_unit_test(test_second_run_counts_duplicates),
		cmocka_unit_test(test_csv_dialects),
		cmocka_unit_test(test_oversized_line),
		cmocka_unit_test(test_kill_and_resume),
		cmocka_unit_test(test_synthetic_population),
		cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_dump_has_no_cpr),
		cmocka_unit_test(test_two_files_no_notice),
	};
	return cmocka_run_group_tests_name("ingest", tests, setup, NULL);
}
