/*
 * Issue 14: no identifier as free text in the database. A record id and a
 * course key that identify someone to anyone who can look them up in the
 * case system (a name and an address, here) arrive by file (NDJSON and
 * CSV) and over HTTP; neither is found afterwards in any table or view,
 * the server's log, PostgreSQL's log, any answer, or what ingest prints.
 * They are stored as keyed pseudonyms, the same for the same text, so a
 * course's events and responses meet and a record sent again is a
 * duplicate.
 *
 * And `fremdrift migrate-ids`: a database that an earlier version filled
 * with raw ids and course keys (simulated by writing them back with SQL)
 * is refused by ingest and serve until migrated, then rewritten in one
 * transaction, under each row's own key, after which nothing raw remains,
 * re-ingesting the same records finds them as duplicates, and a second
 * run does nothing.
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

#define RAW_ID "jens-hansen-start"
#define RAW_COURSE "Jens Hansen, Vejlevej 3"
#define CPR "670761-4285"

/* What must never be found: the id and course key as sent, and parts of
 * them (every id below begins with jens-hansen). */
static const char *const needles[] = {RAW_ID, RAW_COURSE, "jens-hansen",
				      "Vejlevej", "Jens Hansen"};
#define NNEEDLES (sizeof(needles) / sizeof(needles[0]))

#define EVENT(id, rest)                                                        \
	"{\"kind\":\"event\",\"id\":\"" id "\",\"cpr\":\"" CPR "\","           \
	"\"course\":\"" RAW_COURSE "\"," rest "}"
#define START(id, at)                                                          \
	EVENT(id, "\"at\":\"" at "\",\"type\":\"course_started\","             \
		  "\"department\":\"aarhus\",\"agreement\":\"sick_listed\"")
#define ANSWER(id, at, b09, b10, b11)                                          \
	"{\"kind\":\"response\",\"id\":\"" id "\",\"cpr\":\"" CPR "\","        \
	"\"instrument\":\"borger\",\"version\":1,\"respondent\":\"citizen\","  \
	"\"answered_at\":\"" at "T10:00:00+01:00\",\"course\":\""              \
	RAW_COURSE "\",\"answers\":{\"b09\":" #b09 ",\"b10\":" #b10           \
	",\"b11\":" #b11 "}}"

/* A course of one citizen: started, answered twice; then two records
 * that are rejected (a day that does not exist, an answer off the scale)
 * with the id and course key in them. */
static const char course_ndjson[] =
	START(RAW_ID, "2026-02-01") "\n"
	ANSWER("jens-hansen-svar-1", "2026-02-10", 2, 2, 4) "\n"
	ANSWER("jens-hansen-svar-2", "2026-03-10", 5, 5, 1) "\n"
	START("jens-hansen-bad", "2026-02-31") "\n"
	ANSWER("jens-hansen-svar-bad", "2026-03-11", 9, 5, 1) "\n";

static const char course_csv[] =
	"id;cpr;course;at;type;exit_status\n"
	"jens-hansen-slut;" CPR ";" RAW_COURSE ";2026-05-01;course_ended;"
	"employment\n"
	"jens-hansen-slut-2;" CPR ";" RAW_COURSE ";2026-05-01;course_ended;"
	"nosuchstatus\n";

static struct h_site site;
static char env_http[64], log_path[256], token[80];
static const char *env[] = {site.env_db, site.env_key, env_http, NULL};
static int port;
static pid_t server = -1;

/* Fails if text (may be NULL) holds any needle, in any case. */
static void no_raw(const char *where, const char *text)
{
	for (size_t i = 0; text && i < NNEEDLES; i++)
		if (strcasestr(text, needles[i]) != NULL)
			fail_msg("%s holds \"%s\":\n%s", where, needles[i], text);
}

/* Fails if any table or view holds any needle. */
static void db_has_no_raw(const char *conninfo)
{
	PGconn *c = h_db(conninfo);

	for (size_t i = 0; i < NNEEDLES; i++) {
		const char *where = h_db_holds(c, needles[i]);

		if (where != NULL)
			fail_msg("the database holds \"%s\": %s", needles[i],
				 where);
	}
	PQfinish(c);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* `fremdrift ingest` of text written to name in the scratch folder (NULL:
 * on stdin, which has no checkpoint, so records already stored count as
 * duplicates), under e; stdout and stderr must hold no needle, and stderr
 * want (unless NULL). Returns the status. */
static int ingest(const char *const *e, const char *name, const char *text,
		  const char *want)
{
	char path[256];
	const char *args[] = {"ingest", path, NULL};
	struct h_result r;
	int st;

	snprintf(path, sizeof(path), "%s/%s", h_tmpdir(), name ? name : "");
	if (name)
		write_text(path, text);
	else
		snprintf(path, sizeof(path), "-");
	r = h_run(args, e, name ? NULL : text, name ? 0 : strlen(text));
	no_raw("ingest's stderr", r.err);
	no_raw("ingest's stdout", r.out);
	if (want && strstr(r.err, want) == NULL)
		fail_msg("ingest %s: wanted \"%s\" in:\n%s", name, want, r.err);
	st = r.status;
	h_result_free(&r);
	return st;
}

/* The md5 of every event row, to see that nothing changed. */
static void events_md5(const char *conninfo, char out[64])
{
	PGconn *c = h_db(conninfo);

	snprintf(out, 64, "%s",
		 h_scalar(c, "SELECT md5(string_agg(e::text, ',' ORDER BY "
			     "source, id)) FROM fremdrift.events e"));
	PQfinish(c);
}

static long count(const char *conninfo, const char *sql)
{
	PGconn *c = h_db(conninfo);
	const char *v = h_scalar(c, sql);
	long n = v ? atol(v) : -1;

	PQfinish(c);
	return n;
}

static void refresh(const char *const *e)
{
	const char *args[] = {"measure", "refresh", NULL};

	h_run_ok(args, e, NULL);
}

static int setup(void **state)
{
	(void)state;
	server = h_site_serve(&site, "it_ids", env, env_http, log_path,
			      "ids-app", token, &port);
	return server > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	if (server > 0)
		return h_stop(server, 5000);
	return 0;
}

/* POSTs body; the answer must be 200, hold want and no needle. */
static void post(const char *ctype, const char *body, const char *want)
{
	char *resp = NULL;

	assert_int_equal(h_post_records(port, token, ctype, body, &resp), 200);
	no_raw("the HTTP answer", resp);
	if (strstr(resp, want) == NULL)
		fail_msg("wanted %s in:\n%s", want, resp);
	free(resp);
}

static void test_file_and_http_store_no_raw(void **state)
{
	const char *pargs[] = {"pseudonym", "--course", NULL};
	const char *aargs[] = {"access", NULL};
	const char *course = h_course(site.key_path, RAW_COURSE);
	char pglog[512], *text;
	struct h_result r;

	(void)state;
	/* By file: NDJSON and CSV, each with a rejection that concerns the
	 * id or course's record. */
	assert_int_equal(ingest(env, "ids.ndjson", course_ndjson,
				"3 accepted, 0 duplicates, 2 rejected"),
			 3);
	assert_int_equal(ingest(env, "ids.csv", course_csv,
				"1 accepted, 0 duplicates, 1 rejected"),
			 3);
	/* Over HTTP, as NDJSON and as a JSON array; then the same again. */
	post("application/x-ndjson", course_ndjson,
	     "\"accepted\":3,\"duplicates\":0");
	post("application/json",
	     "[" EVENT("jens-hansen-slut", "\"at\":\"2026-05-01\",\"type\":"
		       "\"course_ended\",\"exit_status\":\"employment\"") "]",
	     "\"accepted\":1,\"duplicates\":0");
	post("application/x-ndjson", course_ndjson,
	     "\"accepted\":0,\"duplicates\":3");
	refresh(env);

	/* Stored under their pseudonyms: the course's events and responses
	 * meet, from both sources, and the views show it. */
	assert_int_equal(count(site.db, h_sql("SELECT count(*) FROM "
					      "fremdrift.events WHERE course = "
					      "'%s' AND id IN %s",
					      course,
					      h_rids(site.key_path, RAW_ID,
						     "jens-hansen-slut",
						     NULL))),
			 4);
	assert_int_equal(count(site.db, h_sql("SELECT count(*) FROM "
					      "fremdrift.responses WHERE "
					      "course = '%s'",
					      course)),
			 4);
	assert_int_equal(count(site.db, h_sql("SELECT count(*) FROM "
					      "fremdrift.courses WHERE course "
					      "= '%s' AND exit_status = "
					      "'employment'",
					      course)),
			 1);
	assert_int_equal(count(site.db, h_sql("SELECT count(*) FROM "
					      "report.progression WHERE "
					      "course_key = '%s'",
					      course)),
			 1);
	db_has_no_raw(site.db);

	/* Nor in any log. */
	text = h_read_file(log_path);
	assert_non_null(strstr(text, "ready to accept records"));
	no_raw("the server's log", text);
	free(text);
	snprintf(pglog, sizeof(pglog), "%s/log",
		 getenv("FREMDRIFT_TEST_PGDIR"));
	text = h_read_file(pglog);
	no_raw("PostgreSQL's log", text);
	free(text);

	/* The staff's way from a course key to its rows. */
	r = h_run(pargs, env, RAW_COURSE "\n", sizeof(RAW_COURSE));
	assert_int_equal(r.status, 0);
	assert_memory_equal(r.out, course, 64);
	h_result_free(&r);
	/* What the citizen is given: their rows, with the pseudonyms. */
	r = h_run(aargs, env, CPR "\n", sizeof(CPR));
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, course));
	no_raw("access", r.out);
	h_result_free(&r);
}

/* ---- migrate-ids ---- */

static const char second_ndjson[] =
	"{\"kind\":\"event\",\"id\":\"jens-hansen-k2\",\"cpr\":\"610190-1001\","
	"\"course\":\"Vejlevej 3, 2. sal\",\"at\":\"2026-02-01\",\"type\":"
	"\"course_started\",\"department\":\"odense\",\"agreement\":"
	"\"youth_autism\"}\n"
	/* Escapes and non-ASCII: the pseudonym is of the text as read. */
	"{\"kind\":\"event\",\"id\":\"jens-hansen\\\\x\\t\\\"q\\\"\","
	"\"cpr\":\"610190-1001\",\"course\":\"Vejlevej 3, 2. sal\",\"at\":"
	"\"2026-02-02\",\"type\":\"meeting\",\"meeting\":\"conversation\","
	"\"attended\":true}\n";

/* The raw id and course key of every record of course_ndjson and
 * second_ndjson that is stored, and the key file it was stored under
 * (NULL: the site's). */
static struct raw {
	const char *table, *id, *course, *key;
} raws[] = {
	{"events", RAW_ID, RAW_COURSE, NULL},
	{"responses", "jens-hansen-svar-1", RAW_COURSE, NULL},
	{"responses", "jens-hansen-svar-2", RAW_COURSE, NULL},
	{"events", "jens-hansen-k2", "Vejlevej 3, 2. sal", NULL},
	{"events", "jens-hansen\\x\t\"q\"", "Vejlevej 3, 2. sal", NULL},
};
#define NRAWS (sizeof(raws) / sizeof(raws[0]))

static void exec_ok(PGconn *c, const char *sql, int n, const char *const *p)
{
	PGresult *res = n ? PQexecParams(c, sql, n, NULL, p, NULL, NULL, 0)
			  : PQexec(c, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(res);
}

/*
 * Makes the database what an earlier version would have left: every id
 * and course key as sent, no mark, no constraint on those columns, and the
 * derived tables refreshed from them.
 */
static void make_old(struct h_site *s, const char *const *e)
{
	PGconn *c = h_db(s->db);

	exec_ok(c,
		"DELETE FROM fremdrift.ids_pseudonymised; "
		"ALTER TABLE fremdrift.events DROP CONSTRAINT "
		"events_id_pseudonym, DROP CONSTRAINT events_course_pseudonym; "
		"ALTER TABLE fremdrift.responses DROP CONSTRAINT "
		"responses_id_pseudonym, DROP CONSTRAINT "
		"responses_course_pseudonym",
		0, NULL);
	for (size_t i = 0; i < NRAWS; i++) {
		const char *key = raws[i].key ? raws[i].key : s->key_path;
		const char *p[4] = {raws[i].id, raws[i].course,
				    h_rid(key, raws[i].id),
				    h_course(key, raws[i].course)};
		char sql[256];

		snprintf(sql, sizeof(sql),
			 "UPDATE fremdrift.%s SET id = $1, course = $2 WHERE "
			 "id = $3 AND course = $4",
			 raws[i].table);
		exec_ok(c, sql, 4, p);
	}
	PQfinish(c);
	refresh(e);
	c = h_db(s->db);
	for (size_t i = 0; i < NRAWS; i++) {
		const char *p[1] = {raws[i].id};
		char sql[256];
		PGresult *res;

		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM fremdrift.%s WHERE id = $1",
			 raws[i].table);
		res = PQexecParams(c, sql, 1, NULL, p, NULL, NULL, 0);
		assert_string_equal(PQgetvalue(res, 0, 0), "1");
		PQclear(res);
	}
	/* The simulation is faithful: the raw text is everywhere. */
	assert_non_null(h_db_holds(c, RAW_COURSE));
	assert_non_null(h_db_holds(c, RAW_ID));
	assert_string_equal(h_scalar(c, "SELECT count(*) FROM report.progression "
					"WHERE course_key = '" RAW_COURSE "'"),
			    "1");
	PQfinish(c);
}

/* Every row of raws is stored under the pseudonyms of its key. */
static void check_pseudonymised(struct h_site *s)
{
	PGconn *c = h_db(s->db);

	for (size_t i = 0; i < NRAWS; i++) {
		const char *key = raws[i].key ? raws[i].key : s->key_path;

		assert_string_equal(h_scalar(c, h_sql("SELECT count(*) FROM "
						      "fremdrift.%s WHERE id = "
						      "'%s' AND course = '%s'",
						      raws[i].table,
						      h_rid(key, raws[i].id),
						      h_course(key,
							       raws[i].course))),
				    "1");
	}
	PQfinish(c);
}

static struct h_result migrate_ids(const char *const *e, const char *k1,
				   const char *k2)
{
	const char *args[] = {"migrate-ids", k1 ? "--key" : NULL, k1,
			      "--key", k2, NULL};

	return h_run(args, e, NULL, 0);
}

static void test_migrate_ids(void **state)
{
	static struct h_site old;
	char key2[256], env_key2[300], http[64], slog[256], *body = NULL;
	const char *e[] = {old.env_db, old.env_key, NULL};
	const char *e2[] = {old.env_db, env_key2, NULL};
	const char *kargs[] = {"keygen", "--out", key2, NULL};
	const char *add[] = {"key", "add", "--also", NULL};
	const char *senv[] = {old.env_db, old.env_key, http, NULL};
	char before[64], after[64];
	struct h_result r;
	int sport;
	pid_t spid;

	(void)state;
	assert_int_equal(h_site_new(&old, "it_ids_old"), 0);
	/* A database made by this version is marked from the start. */
	assert_int_equal(count(old.db, "SELECT count(*) FROM "
				       "fremdrift.ids_pseudonymised WHERE how "
				       "= 'fresh'"),
			 1);
	/* Records under two keys (a rotation under way): the second
	 * course's under the second key. */
	assert_int_equal(ingest(e, "old1.ndjson", course_ndjson, NULL), 3);
	snprintf(key2, sizeof(key2), "%s/ids-second.key", h_tmpdir());
	snprintf(env_key2, sizeof(env_key2), "FREMDRIFT_KEY_FILE=%s", key2);
	unlink(key2);
	h_run_ok(kargs, e, NULL);
	h_run_ok(add, e2, NULL);
	assert_int_equal(ingest(e2, "old2.ndjson", second_ndjson, NULL), 0);
	raws[3].key = raws[4].key = key2;
	make_old(&old, e);

	/* Nothing is stored in it before it is migrated: not by file ... */
	assert_int_equal(ingest(e, "old3.ndjson", course_ndjson,
				"fremdrift migrate-ids"),
			 2);
	/* ... nor over HTTP, whose health says what to run. */
	sport = h_listen_env(http, slog, "ids-old");
	spid = h_spawn((const char *const[]){"serve", NULL}, senv, slog);
	assert_int_equal(h_wait_status(sport, "/health", 503, 10000), 503);
	for (int i = 0; i < 100; i++) { /* once it has looked */
		assert_int_equal(h_get(sport, "/health", &body), 503);
		if (strstr(body, "fremdrift migrate-ids") != NULL)
			break;
		free(body);
		body = NULL;
		h_sleep_ms(50);
	}
	assert_non_null(body);
	free(body);
	body = NULL;

	/* Without the second key's file it refuses, changing nothing. */
	r = migrate_ids(e, NULL, NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--key"));
	no_raw("migrate-ids", r.err);
	h_result_free(&r);
	assert_int_equal(count(old.db, "SELECT count(*) FROM "
				       "fremdrift.ids_pseudonymised"),
			 0);
	assert_int_equal(count(old.db, "SELECT count(*) FROM fremdrift.events "
				       "WHERE id = '" RAW_ID "'"),
			 1);

	/* With both: done, and the derived tables rebuilt. */
	r = migrate_ids(e, old.key_path, key2);
	if (r.status != 0)
		fail_msg("migrate-ids: %s", r.err);
	assert_non_null(strstr(r.err, "5 rows rewritten"));
	no_raw("migrate-ids", r.err);
	h_result_free(&r);
	db_has_no_raw(old.db);
	check_pseudonymised(&old);
	assert_int_equal(count(old.db, h_sql("SELECT count(*) FROM "
					     "report.progression WHERE "
					     "course_key = '%s'",
					     h_course(old.key_path,
						      RAW_COURSE))),
			 1);
	assert_int_equal(count(old.db, "SELECT count(*) FROM pg_constraint "
				       "WHERE conname LIKE '%_pseudonym' AND "
				       "convalidated"),
			 4);
	assert_int_equal(count(old.db, "SELECT count(*) FROM "
				       "fremdrift.ids_pseudonymised WHERE how "
				       "= 'migrated' AND rows = 5"),
			 1);
	/* The running server notices without a restart. */
	assert_int_equal(h_wait_status(sport, "/health", 200, 10000), 200);
	kill(spid, SIGTERM);
	assert_int_equal(h_wait(spid, 5000), 0);
	body = h_read_file(slog);
	no_raw("the server's log", body);
	free(body);

	/* A second run does nothing. */
	events_md5(old.db, before);
	r = migrate_ids(e, old.key_path, key2);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "nothing to do"));
	h_result_free(&r);
	events_md5(old.db, after);
	assert_string_equal(after, before);

	/* The same records again are duplicates, under either key; a new
	 * event joins its course. */
	assert_int_equal(ingest(e, NULL, course_ndjson,
				"0 accepted, 3 duplicates, 2 rejected"),
			 3);
	assert_int_equal(ingest(e2, NULL, second_ndjson,
				"0 accepted, 2 duplicates"),
			 0);
	assert_int_equal(ingest(e, "old6.csv", course_csv,
				"1 accepted, 0 duplicates, 1 rejected"),
			 3);
	assert_int_equal(count(old.db, h_sql("SELECT count(*) FROM "
					     "fremdrift.events WHERE course = "
					     "'%s'",
					     h_course(old.key_path,
						      RAW_COURSE))),
			 2);
	db_has_no_raw(old.db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_and_http_store_no_raw),
		cmocka_unit_test(test_migrate_ids),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
