/*
 * Issue 15's invitations (docs/links.md): links made over
 * POST /api/v1/invitations and by `fremdrift invite`, the same link for
 * the same round while it is open, refusals that name the field, tokens
 * and roles, revocation, the due list's states (due, remind, overdue with
 * a fresh link; answered rounds and ended courses not listed) as JSON and
 * CSV, erasure and a CPR change, and the token itself nowhere but in the
 * answers: not in any table, not in the server's log; the database holds
 * its hash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fremdrift/link_token.h"
#include "fremdrift/pseudonym.h"

#include "harness.h"

#define PUBLIC "https://fremdrift.example.dk"
#define CPR1 "610190-1001"
#define CPR2 "670761-4285"
#define CPR3 "290272-3317"

static int port;
static pid_t server;
static struct h_site site;
static char env_http[64], log_path[256];
static char ingest_token[80], dash_token[80], other_token[80];
static const char *env[] = {site.env_db, site.env_key, env_http,
			    "FREMDRIFT_PUBLIC_URL=" PUBLIC "/", NULL};

/* Every link seen in an answer: none may be stored or logged. */
static char seen[64][LINK_TOKEN_LEN + 1];
static int nseen;

static void saw(const char *url)
{
	char t[LINK_TOKEN_LEN + 1];

	assert_int_equal(strncmp(url, PUBLIC "/l/", strlen(PUBLIC "/l/")), 0);
	assert_int_equal(link_token_from(url, t), 0);
	if (nseen < 64)
		memcpy(seen[nseen++], t, sizeof(t));
}

/* "YYYY-MM-DD" of today minus days, in Copenhagen (as the SQL counts). */
static void day(int days, char out[11])
{
	time_t t = time(NULL) - (time_t)days * 86400;
	struct tm tm;

	setenv("TZ", "Europe/Copenhagen", 1);
	tzset();
	localtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static char *course_events(void)
{
	char today[11], ago40[11], ago100[11], soon[11];
	char *s = malloc(4096);

	day(0, today);
	day(40, ago40);
	day(100, ago100);
	day(-5, soon);
	snprintf(s, 4096,
		 "{\"kind\":\"event\",\"id\":\"s1\",\"cpr\":\"" CPR1 "\","
		 "\"course\":\"K-1\",\"at\":\"%s\",\"type\":\"course_started\","
		 "\"department\":\"aarhus\",\"agreement\":\"sick_listed\"}\n"
		 "{\"kind\":\"event\",\"id\":\"s2\",\"cpr\":\"" CPR2 "\","
		 "\"course\":\"K-2\",\"at\":\"%s\",\"type\":\"course_started\","
		 "\"department\":\"odense\",\"agreement\":\"sick_listed\"}\n"
		 "{\"kind\":\"event\",\"id\":\"s3\",\"cpr\":\"" CPR3 "\","
		 "\"course\":\"K-3\",\"at\":\"%s\",\"type\":\"course_started\","
		 "\"department\":\"odense\",\"agreement\":\"sick_listed\"}\n"
		 "{\"kind\":\"event\",\"id\":\"e3\",\"cpr\":\"" CPR3 "\","
		 "\"course\":\"K-3\",\"at\":\"%s\",\"type\":\"course_ended\","
		 "\"exit_status\":\"education\"}\n"
		 "{\"kind\":\"event\",\"id\":\"s4\",\"cpr\":\"" CPR3 "\","
		 "\"course\":\"K-4\",\"at\":\"%s\",\"type\":\"course_started\","
		 "\"department\":\"odense\",\"agreement\":\"sick_listed\"}\n",
		 today, ago40, ago100, today, soon);
	return s;
}

static int setup(void **state)
{
	char *events, *resp = NULL;
	int st;

	(void)state;
	if (h_site_new(&site, "it_invitations") != 0)
		return -1;
	port = h_listen_env(env_http, log_path, "invitations");
	if (h_token(env, "crm", "ingest", ingest_token) != 0 ||
	    h_token(env, "crm", "dashboard", dash_token) != 0 ||
	    h_token(env, "other", "ingest", other_token) != 0)
		return -1;
	server = h_serve(env, log_path, port);
	if (server <= 0)
		return -1;
	events = course_events();
	st = h_post_records(port, ingest_token, "application/x-ndjson", events,
			    &resp);
	free(events);
	if (st != 200 || strstr(resp, "\"accepted\":5") == NULL) {
		fprintf(stderr, "setup: %d %s\n", st, resp ? resp : "");
		free(resp);
		return -1;
	}
	free(resp);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return h_stop(server, 5000);
}

/* One request; returns the status, *body the answer's body (caller
 * frees). */
static int api(const char *method, const char *path, const char *token,
	       const char *body, char **out)
{
	char req[4096], *resp = NULL;
	const char *b;
	int n, st;

	n = snprintf(req, sizeof(req),
		     "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		     "%s%s%sContent-Type: application/json\r\n"
		     "Content-Length: %zu\r\n\r\n%s",
		     method, path, token ? "Authorization: Bearer " : "",
		     token ? token : "", token ? "\r\n" : "",
		     body ? strlen(body) : 0, body ? body : "");
	st = h_http(port, req, (size_t)n, &resp);
	b = resp ? strstr(resp, "\r\n\r\n") : NULL;
	*out = strdup(b ? b + 4 : "");
	free(resp);
	return st;
}

static json_t *create(const char *body, int want)
{
	char *out;
	json_t *o;

	assert_int_equal(api("POST", "/api/v1/invitations", ingest_token, body,
			     &out),
			 want);
	o = json_loads(out, 0, NULL);
	free(out);
	assert_non_null(o);
	if (json_object_get(o, "url"))
		saw(json_string_value(json_object_get(o, "url")));
	return o;
}

static const char *str(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	assert_non_null(v);
	return v;
}

static void test_create_same_round_same_link(void **state)
{
	json_t *a, *b, *k;

	(void)state;
	a = create("{\"course\":\"K-1\",\"respondent\":\"citizen\"}", 201);
	assert_string_equal(str(a, "course"), h_course(site.key_path, "K-1"));
	assert_string_equal(str(a, "instrument"), "borger");
	assert_string_equal(str(a, "respondent"), "citizen");
	assert_int_equal(json_integer_value(json_object_get(a, "round")), 1);
	assert_non_null(strstr(str(a, "expires_at"), "T"));
	b = create("{\"course\":\"K-1\",\"respondent\":\"citizen\","
		   "\"instrument\":\"borger\"}",
		   200);
	assert_string_equal(str(a, "url"), str(b, "url"));
	k = create("{\"course\":\"K-1\",\"respondent\":\"consultant\"}", 201);
	assert_string_equal(str(k, "instrument"), "konsulent");
	assert_string_not_equal(str(a, "url"), str(k, "url"));
	json_decref(a);
	json_decref(b);
	json_decref(k);
}

/* A refusal: status, and the error code or field in the body. */
static void refused(const char *token, const char *method, const char *path,
		    const char *body, int want, const char *needle)
{
	char *out;

	assert_int_equal(api(method, path, token, body, &out), want);
	if (needle && strstr(out, needle) == NULL)
		fail_msg("%d %s: %s lacks %s", want, path, out, needle);
	/* A value is never echoed. */
	assert_null(strstr(out, "NOPE-77"));
	free(out);
}

static void test_refusals(void **state)
{
	const char *p = "/api/v1/invitations";

	(void)state;
	refused(ingest_token, "POST", p,
		"{\"course\":\"NOPE-77\",\"respondent\":\"citizen\"}", 404,
		"\"unknown_course\"");
	refused(ingest_token, "POST", p,
		"{\"course\":\"K-3\",\"respondent\":\"citizen\"}", 409,
		"\"course_ended\"");
	refused(ingest_token, "POST", p,
		"{\"course\":\"K-1\",\"respondent\":\"NOPE-77\"}", 400,
		"\"field\":\"respondent\"");
	refused(ingest_token, "POST", p, "{\"respondent\":\"citizen\"}", 400,
		"\"field\":\"course\"");
	refused(ingest_token, "POST", p,
		"{\"course\":\"K-1\",\"respondent\":\"citizen\","
		"\"instrument\":\"NOPE-77\"}",
		400, "\"field\":\"instrument\"");
	/* The consultant's instrument for a citizen. */
	refused(ingest_token, "POST", p,
		"{\"course\":\"K-1\",\"respondent\":\"citizen\","
		"\"instrument\":\"konsulent\"}",
		400, "\"field\":\"instrument\"");
	refused(ingest_token, "POST", p,
		"{\"course\":\"K-1\",\"respondent\":\"citizen\","
		"\"NOPE-77\":1}",
		400, "unknown field");
	refused(ingest_token, "POST", p,
		"{\"course\":\"K-1\",\"respondent\":\"citizen\","
		"\"colour\":1}",
		400, "\"field\":\"colour\"");
	refused(ingest_token, "POST", p, "[1]", 400, "JSON object");
	refused(dash_token, "POST", p,
		"{\"course\":\"K-1\",\"respondent\":\"citizen\"}", 403,
		"forbidden");
	refused(NULL, "POST", p,
		"{\"course\":\"K-1\",\"respondent\":\"citizen\"}", 401,
		"unauthorized");
	refused(NULL, "GET", "/api/v1/invitations/due", NULL, 401,
		"unauthorized");
	refused(dash_token, "GET", "/api/v1/invitations/due", NULL, 403,
		"forbidden");
	refused(ingest_token, "GET", p, NULL, 405, "use POST");
	refused(ingest_token, "POST", "/api/v1/invitations/due", NULL, 405,
		"use GET");
	refused(ingest_token, "GET", "/api/v1/invitations/nope", NULL, 404,
		NULL);
	refused(ingest_token, "POST", "/api/v1/invitations/revoke",
		"{\"url\":\"NOPE-77\"}", 400, "\"field\":\"url\"");
}

/* While a send is being stored, a save from another device is refused
 * (it would be acknowledged and then be in neither the response nor the
 * draft); once the hold has passed, saves are taken again. */
static void test_no_save_while_sending(void **state)
{
	/* An open link the tests before made. */
	static const char open_one[] =
		"(SELECT min(id) FROM fremdrift.invitations WHERE answered_at "
		"IS NULL AND revoked_at IS NULL AND expires_at > now())";
	PGconn *c = h_db(site.db);

	(void)state;
	assert_non_null(h_scalar(c, h_sql("UPDATE fremdrift.invitations SET "
					  "sending_until = now() + interval "
					  "'1 min' WHERE id = %s RETURNING id",
					  open_one)));
	assert_string_equal(h_scalar(c, h_sql("SELECT count(fremdrift."
					      "invitation_save(%s, '{}'))",
					      open_one)),
			    "0");
	assert_non_null(h_scalar(c, h_sql("UPDATE fremdrift.invitations SET "
					  "sending_until = now() - interval "
					  "'1 s' WHERE id = %s RETURNING id",
					  open_one)));
	assert_string_equal(h_scalar(c, h_sql("SELECT count(fremdrift."
					      "invitation_save(%s, '{}'))",
					      open_one)),
			    "1");
	PQfinish(c);
}

/* An ingest token reaches only the courses its own source started: a
 * token of another source can neither make a link for crm's course nor
 * see crm's rounds (a link would read the citizen's scores and answer
 * for them). */
static void test_other_source_reaches_nothing(void **state)
{
	char *out;

	(void)state;
	refused(other_token, "POST", "/api/v1/invitations",
		"{\"course\":\"K-1\",\"respondent\":\"citizen\"}", 404,
		"\"unknown_course\"");
	assert_int_equal(api("GET", "/api/v1/invitations/due", other_token,
			     NULL, &out),
			 200);
	assert_string_equal(out, "{\"due\":[]}");
	free(out);
	assert_int_equal(api("GET", "/api/v1/invitations/due", ingest_token,
			     NULL, &out),
			 200);
	assert_non_null(strstr(out, "\"url\""));
	free(out);
}

static void test_revoke(void **state)
{
	json_t *a, *b;
	char body[256], *out;
	struct h_result r;

	(void)state;
	a = create("{\"course\":\"K-2\",\"respondent\":\"citizen\"}", 201);
	snprintf(body, sizeof(body), "{\"url\":\"%s\"}", str(a, "url"));
	assert_int_equal(api("POST", "/api/v1/invitations/revoke",
			     ingest_token, body, &out),
			 200);
	assert_string_equal(out, "{\"revoked\":1}");
	free(out);
	assert_int_equal(api("POST", "/api/v1/invitations/revoke",
			     ingest_token, body, &out),
			 404);
	free(out);
	/* The round gets a new link; the revoked one is gone. */
	b = create("{\"course\":\"K-2\",\"respondent\":\"citizen\"}", 201);
	assert_string_not_equal(str(a, "url"), str(b, "url"));
	/* And the command revokes by token. */
	r = h_run((const char *const[]){"invite", "--revoke",
					seen[nseen - 1], NULL},
		  env, NULL, 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "revoked 1 link"));
	h_result_free(&r);
	json_decref(a);
	json_decref(b);
}

static void test_cli_link_is_the_api_link(void **state)
{
	json_t *a;
	struct h_result r;
	char want[300];

	(void)state;
	a = create("{\"course\":\"K-1\",\"respondent\":\"citizen\"}", 200);
	r = h_run((const char *const[]){"invite", "--course", "K-1",
					"--respondent", "citizen", NULL},
		  env, NULL, 0);
	assert_int_equal(r.status, 0);
	snprintf(want, sizeof(want), "%s\n", str(a, "url"));
	assert_string_equal(r.out, want);
	h_result_free(&r);
	r = h_run((const char *const[]){"invite", "--course", "NOPE-77",
					"--respondent", "citizen", NULL},
		  env, NULL, 0);
	assert_int_not_equal(r.status, 0);
	assert_null(strstr(r.err, "NOPE-77"));
	h_result_free(&r);
	json_decref(a);
}

/* The due list's row for course key and respondent, or NULL. */
static json_t *due_row(json_t *due, const char *key, const char *resp)
{
	size_t i;
	json_t *row;

	json_array_foreach(json_object_get(due, "due"), i, row) {
		if (strcmp(str(row, "course"), h_course(site.key_path, key)) ==
			    0 &&
		    strcmp(str(row, "respondent"), resp) == 0)
			return row;
	}
	return NULL;
}

static json_t *get_due(void)
{
	char *out;
	json_t *o;
	size_t i;
	json_t *row;

	assert_int_equal(api("GET", "/api/v1/invitations/due", ingest_token,
			     NULL, &out),
			 200);
	o = json_loads(out, 0, NULL);
	free(out);
	assert_non_null(o);
	json_array_foreach(json_object_get(o, "due"), i, row)
		saw(str(row, "url"));
	return o;
}

static void sql(const char *text)
{
	PGconn *c = h_db(site.db);
	PGresult *res = PQexec(c, text);

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", text, PQerrorMessage(c));
	PQclear(res);
	PQfinish(c);
}

static void test_due_states(void **state)
{
	json_t *due, *row, *a, *again;
	char old_url[300], opens[11];

	(void)state;
	a = create("{\"course\":\"K-1\",\"respondent\":\"citizen\"}", 200);
	/* K-2 started 40 days ago: round 2 opened 12 days ago (remind). */
	due = get_due();
	row = due_row(due, "K-1", "citizen");
	assert_non_null(row);
	assert_string_equal(str(row, "state"), "due");
	assert_string_equal(str(row, "url"), str(a, "url"));
	assert_int_equal(json_integer_value(json_object_get(row, "round")), 1);
	row = due_row(due, "K-2", "consultant");
	assert_non_null(row);
	assert_string_equal(str(row, "state"), "remind");
	assert_int_equal(json_integer_value(json_object_get(row, "round")), 2);
	day(12, opens);
	assert_string_equal(str(row, "opens_on"), opens);
	/* The ended course has no round to send, nor one yet to start. */
	assert_null(due_row(due, "K-3", "citizen"));
	assert_null(due_row(due, "K-4", "citizen"));
	json_decref(due);

	/* K-1's consultant link expired unanswered: overdue, a fresh link,
	 * and it stays overdue with that link. */
	due = get_due();
	snprintf(old_url, sizeof(old_url), "%s",
		 str(due_row(due, "K-1", "consultant"), "url"));
	json_decref(due);
	sql(h_sql("UPDATE fremdrift.invitations SET expires_at = now() - "
		  "interval '1 day' WHERE course = '%s' AND respondent = 'k'",
		  h_course(site.key_path, "K-1")));
	due = get_due();
	row = due_row(due, "K-1", "consultant");
	assert_string_equal(str(row, "state"), "overdue");
	assert_string_not_equal(str(row, "url"), old_url);
	again = get_due();
	assert_string_equal(str(due_row(again, "K-1", "consultant"), "state"),
			    "overdue");
	assert_string_equal(str(due_row(again, "K-1", "consultant"), "url"),
			    str(row, "url"));
	json_decref(again);
	json_decref(due);
	json_decref(a);
}

static void test_due_csv_and_command(void **state)
{
	char *out, line[512];
	struct h_result r;
	json_t *due = get_due(), *row;

	(void)state;
	assert_int_equal(api("GET", "/api/v1/invitations/due?format=csv",
			     ingest_token, NULL, &out),
			 200);
	assert_int_equal(strncmp(out, "course,instrument,respondent,round,"
				      "opens_on,state,url,expires_at\n",
				 62),
			 0);
	row = due_row(due, "K-1", "citizen");
	snprintf(line, sizeof(line), "\n%s,borger,citizen,1,%s,due,%s,%s\n",
		 str(row, "course"), str(row, "opens_on"), str(row, "url"),
		 str(row, "expires_at"));
	assert_non_null(strstr(out, line));
	/* The command prints the same list. */
	r = h_run((const char *const[]){"invite", "--due", NULL}, env, NULL, 0);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, out);
	h_result_free(&r);
	free(out);
	json_decref(due);
}

static void test_answered_round_not_listed(void **state)
{
	json_t *due;

	(void)state;
	sql(h_sql("UPDATE fremdrift.invitations SET answered_at = now() "
		  "WHERE course = '%s' AND respondent = 'c'",
		  h_course(site.key_path, "K-1")));
	due = get_due();
	assert_null(due_row(due, "K-1", "citizen"));
	assert_non_null(due_row(due, "K-1", "consultant"));
	json_decref(due);
	/* Asking for the answered round gives its link as it is. */
	json_decref(create("{\"course\":\"K-1\",\"respondent\":\"citizen\"}",
			   200));
}

static void test_token_only_as_hash(void **state)
{
	PGconn *c = h_db(site.db);
	char *log = h_read_file(log_path);

	(void)state;
	assert_true(nseen >= 8);
	for (int i = 0; i < nseen; i++) {
		unsigned char hash[LINK_HASH_LEN];
		char hex[2 * LINK_HASH_LEN + 1];
		const char *where = h_db_holds(c, seen[i]);

		if (where)
			fail_msg("a link token is stored in %s", where);
		if (strstr(log, seen[i]))
			fail_msg("a link token is in the server's log");
		assert_int_equal(link_token_hash(seen[i], hash), 0);
		pseud_hex(hash, sizeof(hash), hex);
		/* Revoked and replaced links have left; most are there. */
		if (i == 0)
			assert_int_equal(
				h_num(c, h_sql("SELECT count(*) FROM "
					       "fremdrift.invitations WHERE "
					       "token_hash = '\\x%s'",
					       hex)),
				1);
	}
	assert_int_equal(h_num(c, "SELECT count(*) FROM fremdrift.invitations "
				  "WHERE length(token_hash) <> 32 OR "
				  "length(nonce) <> 16"),
			 0);
	free(log);
	PQfinish(c);
}

static void test_roles_cannot_read(void **state)
{
	PGconn *c = h_db(site.db);

	(void)state;
	assert_string_equal(
		h_scalar(c, "SELECT has_table_privilege('dashboard', "
			    "'fremdrift.invitations', 'SELECT') OR "
			    "has_table_privilege('analyst', "
			    "'fremdrift.invitations', 'SELECT') OR "
			    "has_table_privilege('analyst', "
			    "'fremdrift.cadence', 'SELECT') OR "
			    "has_schema_privilege('analyst', 'fremdrift', "
			    "'USAGE')"),
		"f");
	PQfinish(c);
}

static void test_erase_deletes_invitations(void **state)
{
	PGconn *c = h_db(site.db);
	const char *k2 = h_course(site.key_path, "K-2");
	struct h_result r;

	(void)state;
	assert_true(h_num(c, h_sql("SELECT count(*) FROM fremdrift.invitations "
				   "WHERE course = '%s'",
				   k2)) > 0);
	r = h_cmd(env, "erase", NULL, CPR2 "\n");
	assert_int_equal(r.status, 0);
	h_result_free(&r);
	assert_int_equal(h_num(c, h_sql("SELECT count(*) FROM "
					"fremdrift.invitations WHERE "
					"course = '%s'",
					k2)),
			 0);
	/* The other citizen's stay. */
	assert_true(h_num(c, h_sql("SELECT count(*) FROM fremdrift.invitations "
				   "WHERE course = '%s'",
				   h_course(site.key_path, "K-1"))) > 0);
	PQfinish(c);
}

static void test_cpr_change_moves_invitations(void **state)
{
	PGconn *c = h_db(site.db);
	const char *k1 = h_course(site.key_path, "K-1");
	struct h_result r, p;

	(void)state;
	p = h_cmd(env, "pseudonym", NULL, "150584-2213\n");
	assert_int_equal(p.status, 0);
	p.out[strcspn(p.out, "\n")] = '\0';
	r = h_cmd(env, "cpr-change", NULL, CPR1 " 150584-2213\n");
	assert_int_equal(r.status, 0);
	h_result_free(&r);
	/* K-1's links now belong to the new number's pseudonym (a response
	 * made through them is stored under it), with its birth year. */
	assert_int_equal(h_num(c, h_sql("SELECT count(*) FROM "
					"fremdrift.invitations WHERE "
					"course = '%s' AND (pseudonym <> "
					"'\\x%s' OR birth_year <> 1984)",
					k1, p.out)),
			 0);
	assert_true(h_num(c, h_sql("SELECT count(*) FROM fremdrift.invitations "
				   "WHERE course = '%s'",
				   k1)) > 0);
	h_result_free(&p);
	PQfinish(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_same_round_same_link),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_revoke),
		cmocka_unit_test(test_cli_link_is_the_api_link),
		cmocka_unit_test(test_due_states),
		cmocka_unit_test(test_due_csv_and_command),
		cmocka_unit_test(test_answered_round_not_listed),
		cmocka_unit_test(test_token_only_as_hash),
		cmocka_unit_test(test_roles_cannot_read),
		cmocka_unit_test(test_erase_deletes_invitations),
		cmocka_unit_test(test_cpr_change_moves_invitations),
		cmocka_unit_test(test_no_save_while_sending),
		/* Last: its due list makes links the others count on making. */
		cmocka_unit_test(test_other_source_reaches_nothing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
