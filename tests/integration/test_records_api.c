/*
 * POST /api/v1/records over real sockets: tokens, media types, limits,
 * counts, duplicates, group commit, and PostgreSQL stopped and started
 * under load (every 200-acknowledged record stored exactly once).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

static int port;
static pid_t server;
static struct h_site site;
static const char *db = site.db;
static char env_http[64], log_path[256];
static char ingest_token[80], dash_token[80];
static const char *env[] = {site.env_db, site.env_key, env_http,
			    "FREMDRIFT_HTTP_MAX_BODY=256KiB", NULL};

#define CPR "610190-1001"
#define EVT(id)                                                                \
	"{\"kind\":\"event\",\"id\":\"" id "\",\"cpr\":\"" CPR "\","           \
	"\"course\":\"H1\",\"at\":\"2026-02-01\",\"type\":\"course_ended\","   \
	"\"exit_status\":\"education\"}"

static int setup(void **state)
{

	(void)state;
	server = h_site_serve(&site, "it_records", env, env_http, log_path,
			      "api-test", ingest_token, &port);
	if (server <= 0)
		return -1;
	return h_token(env, "api-test", "dashboard", dash_token);
}

static int teardown(void **state)
{
	(void)state;
	return h_stop(server, 5000);
}

static int post(const char *token, const char *ctype, const char *body,
		char **resp)
{
	return h_post_records(port, token, ctype, body, resp);
}

static const char *body_of(const char *resp)
{
	const char *b = resp ? strstr(resp, "\r\n\r\n") : NULL;

	return b ? b + 4 : "";
}

static long count(const char *sql)
{
	PGconn *c = h_db(db);
	long n = atol(h_scalar(c, sql));

	PQfinish(c);
	return n;
}

static void test_auth_and_media(void **state)
{
	char *resp = NULL;

	(void)state;
	assert_int_equal(post(NULL, "application/x-ndjson", EVT("a0"), &resp), 401);
	assert_non_null(strstr(resp, "\"error\":\"unauthorized\""));
	free(resp);
	assert_int_equal(post("fr_wrong", "application/x-ndjson", EVT("a0"),
			      &resp),
			 401);
	free(resp);
	assert_int_equal(post(dash_token, "application/x-ndjson", EVT("a0"),
			      &resp),
			 403);
	free(resp);
	assert_int_equal(post(ingest_token, "text/csv", EVT("a0"), &resp), 415);
	assert_non_null(strstr(resp, "unsupported_media_type"));
	free(resp);
	assert_int_equal(post(ingest_token, "application/json", "[{\"kind\":",
			      &resp),
			 400);
	free(resp);
	assert_int_equal(count("SELECT count(*) FROM fremdrift.events"), 0);
}

static void test_counts_and_duplicates(void **state)
{
	char *resp = NULL;

	(void)state;
	assert_int_equal(post(ingest_token, "application/x-ndjson",
			      EVT("n1") "\n" EVT("n2") "\nnot json\n"
					"{\"kind\":\"event\",\"id\":\"n4\"}\n",
			      &resp),
			 200);
	assert_string_equal(
		body_of(resp),
		"{\"accepted\":2,\"duplicates\":0,\"rejected\":["
		"{\"index\":2,\"field\":\"\",\"reason\":\"not valid JSON\"},"
		"{\"index\":3,\"field\":\"type\",\"reason\":\"required field is "
		"missing\"}]}");
	free(resp);
	/* The same again as a JSON array, plus one new: duplicates counted. */
	assert_int_equal(post(ingest_token, "application/json",
			      "[" EVT("n1") "," EVT("n2") "," EVT("n3") "]", &resp),
			 200);
	assert_string_equal(body_of(resp),
			    "{\"accepted\":1,\"duplicates\":2,\"rejected\":[]}");
	free(resp);
	/* The token's source became the records' source. */
	assert_int_equal(count(h_sql("SELECT count(*) FROM fremdrift.events "
				     "WHERE source = 'api-test' AND id IN %s",
				     h_rids(site.key_path, "n1", "n2", "n3",
					    NULL))),
			 3);
}

/*
 * PostgreSQL's own log never receives a record's values: a duplicate makes
 * the COPY fail with a key error whose DETAIL would quote (source, id), so
 * the cluster logs tersely (scripts/pg.sh; docs/privacy.md).
 */
static void test_server_log_holds_no_values(void **state)
{
	char path[600], *resp = NULL, buf[1 << 16];
	FILE *f;
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(post(ingest_token, "application/x-ndjson",
				      EVT("logmark-7731") "\n", &resp),
				 200);
		free(resp);
	}
	snprintf(path, sizeof(path), "%s/log", getenv("FREMDRIFT_TEST_PGDIR"));
	f = fopen(path, "r");
	assert_non_null(f);
	/* The log's tail: what this test made the server write. */
	fseek(f, 0, SEEK_END);
	if (ftell(f) > (long)sizeof(buf) - 1)
		fseek(f, -(long)sizeof(buf) + 1, SEEK_END);
	else
		fseek(f, 0, SEEK_SET);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_non_null(strstr(buf, "duplicate key"));
	assert_null(strstr(buf, "logmark-7731"));
	/* Nor its pseudonym, the form in which the server has it. */
	assert_null(strstr(buf, h_rid(site.key_path, "logmark-7731")));
	assert_null(strstr(buf, "DETAIL"));
}

static void test_body_limit(void **state)
{
	size_t n = 300 * 1024;
	char *body = malloc(n + 1);
	char *resp = NULL;

	(void)state;
	memset(body, ' ', n);
	body[n] = '\0';
	assert_int_equal(post(ingest_token, "application/x-ndjson", body, &resp),
			 413);
	free(resp);
	free(body);
}

/* Fifty requests at once share a few transactions, not fifty. */
static void test_group_commit(void **state)
{
	enum { N = 50 };
	int fds[N];
	long batches_before = count("SELECT count(*) FROM fremdrift.ingest_batches");
	long batches;

	(void)state;
	for (int i = 0; i < N; i++) {
		char body[512], req[1024];
		int bl = snprintf(body, sizeof(body),
				  "{\"kind\":\"event\",\"id\":\"g%d\",\"cpr\":\"" CPR
				  "\",\"course\":\"G\",\"at\":\"2026-02-01\","
				  "\"type\":\"course_ended\",\"exit_status\":"
				  "\"education\"}",
				  i);
		int rl = snprintf(req, sizeof(req),
				  "POST /api/v1/records HTTP/1.1\r\nHost: x\r\n"
				  "Authorization: Bearer %s\r\nContent-Type: "
				  "application/x-ndjson\r\nContent-Length: %d"
				  "\r\n\r\n%s",
				  ingest_token, bl, body);

		fds[i] = h_connect(port);
		assert_true(fds[i] >= 0);
		assert_int_equal(send(fds[i], req, (size_t)rl, 0), rl);
	}
	for (int i = 0; i < N; i++) {
		char *resp = NULL;

		assert_int_equal(h_read_response(fds[i], &resp, 5000), 200);
		assert_non_null(strstr(resp, "\"accepted\":1"));
		free(resp);
		close(fds[i]);
	}
	assert_int_equal(count(h_sql("SELECT count(*) FROM fremdrift.events "
				     "WHERE course = '%s'",
				     h_course(site.key_path, "G"))),
			 N);
	batches = count("SELECT count(*) FROM fremdrift.ingest_batches") -
		  batches_before;
	assert_true(batches >= 1);
	assert_true(batches < N / 2);
}

static volatile int outage_done;

static void *outage(void *arg)
{
	(void)arg;
	h_sleep_ms(400);
	h_pg("stop");
	h_sleep_ms(1200);
	h_pg("start");
	outage_done = 1;
	return NULL;
}

/* Every acknowledged record is stored exactly once across an outage. */
static void test_database_outage_under_load(void **state)
{
	pthread_t t;
	int acked = 0, unavailable = 0, sent = 0;
	char (*ids)[16] = calloc(5000, 16);
	long long end;

	(void)state;
	outage_done = 0;
	pthread_create(&t, NULL, outage, NULL);
	end = h_now_ms() + 20000;
	while (h_now_ms() < end && sent < 5000) {
		char body[512], *resp = NULL;
		int status;

		snprintf(ids[sent], 16, "o%d", sent);
		snprintf(body, sizeof(body),
			 "{\"kind\":\"event\",\"id\":\"%s\",\"cpr\":\"" CPR
			 "\",\"course\":\"O\",\"at\":\"2026-02-01\",\"type\":"
			 "\"course_ended\",\"exit_status\":\"education\"}",
			 ids[sent]);
		status = post(ingest_token, "application/x-ndjson", body, &resp);
		if (status == 200 && strstr(resp, "\"accepted\":1")) {
			acked++;
		} else if (status == 503) {
			unavailable++;
			ids[sent][0] = '\0'; /* not acknowledged */
			h_sleep_ms(20);
		} else {
			ids[sent][0] = '\0';
		}
		free(resp);
		sent++;
		if (outage_done && unavailable > 0 && acked > 200 &&
		    h_now_ms() > end - 15000)
			break;
	}
	pthread_join(t, NULL);
	/* The outage hit the server: either requests were turned away with
	 * 503, or a batch in flight was interrupted and replayed (a single
	 * client waits in that request). */
	{
		FILE *f = fopen(log_path, "r");
		static char logtext[1 << 16];
		size_t n = f ? fread(logtext, 1, sizeof(logtext) - 1, f) : 0;

		if (f)
			fclose(f);
		logtext[n] = '\0';
		assert_non_null(strstr(logtext, "database connection lost"));
		assert_true(unavailable > 0 ||
			    strstr(logtext, "batch interrupted") != NULL);
	}
	assert_true(acked > 100);
	/* After the outage the server recovers by itself. */
	assert_int_equal(h_wait_status(port, "/health", 200, 15000), 200);
	{
		PGconn *c = h_db(db);
		int missing = 0;

		for (int i = 0; i < sent; i++) {
			char sql[192];

			if (!ids[i][0])
				continue;
			snprintf(sql, sizeof(sql),
				 "SELECT count(*) FROM fremdrift.events WHERE "
				 "id = '%s'",
				 h_rid(site.key_path, ids[i]));
			if (strcmp(h_scalar(c, sql), "1") != 0)
				missing++;
		}
		assert_int_equal(missing, 0);
		/* And nothing is stored twice (the key forbids it anyway). */
		assert_string_equal(h_scalar(c, "SELECT count(*) - count(DISTINCT "
						"(source, id)) FROM fremdrift.events"),
				    "0");
		PQfinish(c);
	}
	free(ids);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auth_and_media),
		cmocka_unit_test(test_counts_and_duplicates),
		cmocka_unit_test(test_server_log_holds_no_values),
		cmocka_unit_test(test_body_limit),
		cmocka_unit_test(test_group_commit),
		cmocka_unit_test(test_database_outage_under_load),
	};
	return cmocka_run_group_tests_name("records_api", tests, setup, teardown);
}
