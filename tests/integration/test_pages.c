/*
 * The citizen's and the consultant's pages over real sockets (docs/links.md,
 * "Pages"): the whole questionnaire by plain form posts (as a browser with
 * JavaScript off sends them), one response stored under the course's
 * pseudonym however often it is sent, resuming where one stopped, the kind
 * pages of a used, expired, revoked or wrong link, forms refused without
 * their csrf value or from another site, the security headers on every
 * page, the progress page's words after three rounds, and a consultant's
 * goals stored as events.
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
#include <time.h>

#include "harness.h"

static int port;
static pid_t server;
static struct h_site site;
static char env_http[64], log_path[256];
static char ingest_token[80];
static char progress_tok[32]; /* test_progress's answered link */
static const char *env[] = {site.env_db, site.env_key, env_http, NULL};

#define CPR "610190-1001"
#define CPR2 "020285-1234"

static struct h_page request(const char *method, const char *path,
			     const char *extra, const char *body)
{
	return h_request(port, method, path, extra, body);
}

static struct h_page get(const char *path)
{
	return request("GET", path, NULL, NULL);
}

static struct h_page post(const char *path, const char *body)
{
	return request("POST", path, "Sec-Fetch-Site: same-origin\r\n", body);
}

/* A date days before today, YYYY-MM-DD (static, one of 4). */
static const char *days_ago(int days)
{
	static char out[4][16];
	static int at;
	time_t t = time(NULL) - (time_t)days * 86400;
	struct tm tm;
	char *o = out[at++ % 4];

	gmtime_r(&t, &tm);
	strftime(o, 16, "%Y-%m-%d", &tm);
	return o;
}

/* Started by the source whose token makes the links: a token reaches
 * only its own source's courses. */
static void start_course(const char *cpr, const char *course, int days)
{
	char line[512];
	struct h_result r;

	snprintf(line, sizeof(line),
		 "{\"kind\":\"event\",\"id\":\"cs-%s\",\"cpr\":\"%s\","
		 "\"source\":\"case-system\",\"course\":\"%s\",\"at\":\"%s\","
		 "\"type\":\"course_started\","
		 "\"department\":\"aarhus\",\"agreement\":\"sick_listed\"}\n",
		 course, cpr, course, days_ago(days));
	r = h_cmd(env, "ingest", "-", line);
	assert_int_equal(r.status, 0);
	h_result_free(&r);
}

/* A new link for course; its token into out. */
static void invite(const char *course, const char *respondent,
		   char out[32])
{
	char body[256], raw[1024];
	char *resp = NULL;
	const char *u;
	int n = snprintf(body, sizeof(body),
			 "{\"course\":\"%s\",\"respondent\":\"%s\"}", course,
			 respondent);
	int m = snprintf(raw, sizeof(raw),
			 "POST /api/v1/invitations HTTP/1.1\r\nHost: x\r\n"
			 "Authorization: Bearer %s\r\nContent-Type: "
			 "application/json\r\nContent-Length: %d\r\n"
			 "Connection: close\r\n\r\n%s",
			 ingest_token, n, body);
	int status = h_http(port, raw, (size_t)m, &resp);

	assert_true(status == 201 || status == 200);
	u = strstr(resp, "/l/");
	assert_non_null(u);
	snprintf(out, 32, "%.22s", u + 3);
	free(resp);
}

/* The csrf value of a page's form (static). */
static const char *csrf_of(const struct h_page *p)
{
	static char out[40];
	const char *c = strstr(h_page_body(p), "name=\"csrf\" value=\"");

	assert_non_null(c);
	c += strlen("name=\"csrf\" value=\"");
	snprintf(out, sizeof(out), "%.*s", (int)strcspn(c, "\""), c);
	return out;
}

static const char *path(const char *tok, const char *rest)
{
	static char out[8][128];
	static int at;
	char *o = out[at++ % 8];

	snprintf(o, 128, "/l/%s%s", tok, rest);
	return o;
}

static long count(const char *sql)
{
	PGconn *c = h_db(site.db);
	long n = atol(h_scalar(c, sql));

	PQfinish(c);
	return n;
}

/* Answers screen n with fields (form text after csrf); expects a 303 to
 * location (the link's path + want). */
static void answer(const char *tok, const char *csrf, int n,
		   const char *fields, const char *want)
{
	char rest[16], body[2048];
	struct h_page p;

	snprintf(rest, sizeof(rest), "/q/%d", n);
	snprintf(body, sizeof(body), "csrf=%s&%s&go=next", csrf, fields);
	p = post(path(tok, rest), body);
	assert_int_equal(p.status, 303);
	assert_string_equal(h_page_header(&p, "Location"), path(tok, want));
	h_assert_page_headers(&p, 1);
	h_page_free(&p);
}

/* Answers all 24 items of a citizen's link, item i with value(i). */
static void answer_all(const char *tok, int (*value)(int i))
{
	struct h_page p = get(path(tok, "/q/1"));
	char csrf[40];

	assert_int_equal(p.status, 200);
	snprintf(csrf, sizeof(csrf), "%s", csrf_of(&p));
	h_page_free(&p);
	for (int i = 1; i <= 24; i++) {
		char fields[32], want[16];

		snprintf(fields, sizeof(fields), "b%02d=%d", i, value(i));
		if (i < 24)
			snprintf(want, sizeof(want), "/q/%d", i + 1);
		else
			snprintf(want, sizeof(want), "/se");
		answer(tok, csrf, i, fields, want);
	}
}

/* From the last look, "Send svar" pressed times times: each a 303 to the
 * progress page. */
static void send_from_review(const char *tok, int times)
{
	struct h_page p = get(path(tok, "/se"));
	char body[64];

	assert_int_equal(p.status, 200);
	snprintf(body, sizeof(body), "csrf=%s&go=send", csrf_of(&p));
	h_page_free(&p);
	for (int i = 0; i < times; i++) {
		p = post(path(tok, "/send"), body);
		assert_int_equal(p.status, 303);
		assert_string_equal(h_page_header(&p, "Location"),
				    path(tok, "/udvikling"));
		h_page_free(&p);
	}
}

static int setup(void **state)
{
	(void)state;
	server = h_site_serve(&site, "it_pages", env, env_http, log_path,
			      "case-system", ingest_token, &port);
	return server > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return h_stop(server, 5000);
}

static void test_root_and_assets(void **state)
{
	struct h_page p = get("/");
	char css[128];
	const char *href;

	(void)state;
	assert_int_equal(p.status, 200);
	h_assert_page_headers(&p, 0);
	assert_non_null(strstr(h_page_body(&p), "Brug det link, du har fået"));
	assert_non_null(strstr(h_page_body(&p), "<html lang=\"da\">"));
	href = strstr(h_page_body(&p), "/static/app.css?v=");
	assert_non_null(href);
	snprintf(css, sizeof(css), "%.*s", (int)strcspn(href, "\""), href);
	h_page_free(&p);

	p = request("GET", "/", "Accept-Language: en-GB,en;q=0.9\r\n", NULL);
	assert_non_null(strstr(h_page_body(&p), "<html lang=\"en\">"));
	assert_non_null(strstr(h_page_body(&p), "Use the link you were given"));
	h_page_free(&p);

	p = get(css);
	assert_int_equal(p.status, 200);
	assert_string_equal(h_page_header(&p, "Cache-Control"),
			    "public, max-age=31536000, immutable");
	assert_non_null(strstr(h_page_header(&p, "Content-Type"), "text/css"));
	h_page_free(&p);
	p = get("/static/app.js");
	assert_int_equal(p.status, 200);
	assert_string_equal(h_page_header(&p, "Cache-Control"), "public, max-age=300");
	h_page_free(&p);
	p = get("/static/nothing.js");
	assert_int_equal(p.status, 404);
	h_page_free(&p);
}

static int value_of(int i)
{
	return i % 6; /* 1..5 and some 0 (spring over) */
}

/* All 24 items by form posts, the last look, sending twice: one response
 * under the course's pseudonym, and the link then says thank you. */
static void test_citizen_answers_all(void **state)
{
	char tok[32];
	struct h_page p;
	const char *course = h_course(site.key_path, "P-1");

	(void)state;
	start_course(CPR, "P-1", 20);
	invite("P-1", "citizen", tok);
	p = get(path(tok, ""));
	assert_int_equal(p.status, 200);
	h_assert_page_headers(&p, 1);
	assert_non_null(strstr(h_page_body(&p), ">Start</a>"));
	h_page_free(&p);

	answer_all(tok, value_of);
	p = get(path(tok, "/se"));
	assert_int_equal(p.status, 200);
	h_assert_page_headers(&p, 1);
	assert_non_null(strstr(h_page_body(&p), "Et sidste kig"));
	assert_non_null(strstr(h_page_body(&p), "<b>Slet ikke</b>"));
	assert_non_null(strstr(h_page_body(&p), "<b>Sprunget over</b>"));
	assert_null(strstr(h_page_body(&p), "Ikke besvaret"));
	h_page_free(&p);
	send_from_review(tok, 2);
	assert_int_equal(count(h_sql("SELECT count(*) FROM fremdrift.responses "
				     "WHERE course = '%s' AND source = 'link' "
				     "AND respondent = 'c'",
				     course)),
			 1);
	/* Item 6 was "spring over": stored as not answered. */
	assert_int_equal(count(h_sql("SELECT answers[1] * 10 + answers[5] "
				     "FROM fremdrift.responses WHERE course = "
				     "'%s' AND answers[6] IS NULL",
				     course)),
			 15);
	p = get(path(tok, ""));
	assert_int_equal(p.status, 200);
	assert_non_null(strstr(h_page_body(&p), "Tak, du har allerede svaret"));
	assert_non_null(strstr(h_page_body(&p), "/udvikling\""));
	h_page_free(&p);
	p = get(path(tok, "/udvikling"));
	assert_int_equal(p.status, 200);
	h_assert_page_headers(&p, 1);
	assert_non_null(strstr(h_page_body(&p), ">Din udvikling</h1>"));
	assert_null(strstr(h_page_body(&p), "610190"));
	h_page_free(&p);
}

/* Stopping half-way: the draft is kept, the welcome says Fortsæt and
 * leads to the first unanswered screen, and a screen shows its answer. */
static void test_resume(void **state)
{
	char tok[32], csrf[40];
	struct h_page p;

	(void)state;
	start_course(CPR2, "P-2", 10);
	invite("P-2", "citizen", tok);
	p = get(path(tok, "/q/1"));
	snprintf(csrf, sizeof(csrf), "%s", csrf_of(&p));
	h_page_free(&p);
	answer(tok, csrf, 1, "b01=4", "/q/2");
	answer(tok, csrf, 2, "b02=0", "/q/3");
	/* The script's way: one answer at once, 204. */
	{
		char body[96];

		snprintf(body, sizeof(body), "item=b03&value=2&csrf=%s", csrf);
		p = post(path(tok, "/a"), body);
		assert_int_equal(p.status, 204);
		h_page_free(&p);
	}
	p = get(path(tok, ""));
	assert_non_null(strstr(h_page_body(&p), "/q/4\">Fortsæt</a>"));
	h_page_free(&p);
	p = get(path(tok, "/q/1"));
	assert_non_null(strstr(h_page_body(&p), "value=\"4\" checked>"));
	h_page_free(&p);
	/* Tilbage from screen 1 goes to the welcome. */
	{
		char body[96];

		snprintf(body, sizeof(body), "csrf=%s&go=back", csrf);
		p = post(path(tok, "/q/1"), body);
		assert_int_equal(p.status, 303);
		assert_string_equal(h_page_header(&p, "Location"), path(tok, ""));
		h_page_free(&p);
	}
}

/* A POST without the right csrf value, or from another site, is 403 and
 * changes nothing. */
static void test_csrf(void **state)
{
	char tok[32], csrf[40], body[96];
	struct h_page p;

	(void)state;
	start_course(CPR2, "P-3", 10);
	invite("P-3", "citizen", tok);
	p = get(path(tok, "/q/1"));
	snprintf(csrf, sizeof(csrf), "%s", csrf_of(&p));
	h_page_free(&p);

	p = post(path(tok, "/q/1"), "csrf=0000000000000000&b01=5&go=next");
	assert_int_equal(p.status, 403);
	h_assert_page_headers(&p, 1);
	assert_non_null(strstr(h_page_body(&p), "<h1"));
	h_page_free(&p);
	p = post(path(tok, "/q/1"), "b01=5&go=next");
	assert_int_equal(p.status, 403);
	h_page_free(&p);
	snprintf(body, sizeof(body), "csrf=%s&b01=5&go=next", csrf);
	p = request("POST", path(tok, "/q/1"), "Sec-Fetch-Site: cross-site\r\n",
		    body);
	assert_int_equal(p.status, 403);
	h_page_free(&p);
	p = request("POST", path(tok, "/q/1"),
		    "Origin: https://evil.example\r\n", body);
	assert_int_equal(p.status, 403);
	h_page_free(&p);
	assert_int_equal(count(h_sql("SELECT count(*) FROM fremdrift."
				     "invitations WHERE course = '%s' AND "
				     "draft ? 'answers'",
				     h_course(site.key_path, "P-3"))),
			 0);
	/* With no-referrer a browser sends Origin: null; that is fine. */
	p = request("POST", path(tok, "/q/1"),
		    "Origin: null\r\nSec-Fetch-Site: same-origin\r\n", body);
	assert_int_equal(p.status, 303);
	h_page_free(&p);
}

/* Wrong, revoked and expired links: kind words, slowly for a wrong one. */
static void test_gone(void **state)
{
	char tok[32], body[96], raw[512];
	struct h_page p;
	long long t0 = h_now_ms();
	char *resp = NULL;
	int n;

	(void)state;
	p = get("/l/AAAAAAAAAAAAAAAAAAAAAA");
	assert_int_equal(p.status, 404);
	assert_true(h_now_ms() - t0 >= 900);
	h_assert_page_headers(&p, 1);
	assert_non_null(strstr(h_page_body(&p), "Linket virker ikke længere. "
					   "Kontakt din konsulent, så får "
					   "du et nyt."));
	h_page_free(&p);

	start_course(CPR, "P-4", 10);
	invite("P-4", "citizen", tok);
	snprintf(body, sizeof(body), "{\"token\":\"%s\"}", tok);
	n = snprintf(raw, sizeof(raw),
		     "POST /api/v1/invitations/revoke HTTP/1.1\r\nHost: x\r\n"
		     "Authorization: Bearer %s\r\nContent-Type: application/"
		     "json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n"
		     "%s",
		     ingest_token, strlen(body), body);
	assert_int_equal(h_http(port, raw, (size_t)n, &resp), 200);
	free(resp);
	p = get(path(tok, ""));
	assert_int_equal(p.status, 410);
	assert_non_null(strstr(h_page_body(&p), "Kontakt din konsulent"));
	h_page_free(&p);

	start_course(CPR, "P-5", 10);
	invite("P-5", "citizen", tok);
	{
		PGconn *c = h_db(site.db);

		h_scalar(c, h_sql("UPDATE fremdrift.invitations SET expires_at "
				  "= now() - interval '1 day' WHERE course = "
				  "'%s' RETURNING 1",
				  h_course(site.key_path, "P-5")));
		PQfinish(c);
	}
	p = get(path(tok, "/q/1"));
	assert_int_equal(p.status, 410);
	assert_non_null(strstr(h_page_body(&p), "Linket virker ikke længere"));
	h_page_free(&p);
	/* The token never reaches the log. */
	{
		char *log = h_read_file(log_path);

		assert_null(strstr(log, tok));
		free(log);
	}
}

static int improving(int i)
{
	/* tro (b01-b04, b04 reversed) at the top, everything else 3. */
	return i <= 3 ? 5 : i == 4 ? 1 : 3;
}

/* Two earlier rounds through `fremdrift ingest`, the third by the link:
 * "tro" rose 50 points, reliably; the others stayed. */
static void test_progress(void **state)
{
	char tok[32], line[2048], *l = line;
	struct h_page p;
	struct h_result r;
	PGconn *c;

	(void)state;
	start_course(CPR2, "P-6", 70);
	for (int k = 0; k < 2; k++) {
		l += sprintf(l, "{\"kind\":\"response\",\"id\":\"r6-%d\",\"cpr\":"
				"\"%s\",\"instrument\":\"borger\",\"version\":1,"
				"\"respondent\":\"citizen\",\"answered_at\":"
				"\"%sT10:00:00Z\",\"course\":\"P-6\","
				"\"answers\":{",
			     k, CPR2, days_ago(60 - 28 * k));
		for (int i = 1; i <= 24; i++)
			l += sprintf(l, "%s\"b%02d\":3", i > 1 ? "," : "", i);
		l += sprintf(l, "}}\n");
	}
	r = h_cmd(env, "ingest", "-", line);
	assert_int_equal(r.status, 0);
	h_result_free(&r);
	/* The baseline spread measure refresh would find in a real
	 * population; with it the RCI can be judged. */
	c = h_db(site.db);
	h_scalar(c, "INSERT INTO fremdrift.dimension_reliability (instrument, "
		    "version, dimension, alpha, n, sd_baseline) SELECT "
		    "instrument, version, dimension, NULL, 0, 12 FROM "
		    "fremdrift.instrument_dimensions WHERE instrument = "
		    "'borger' ON CONFLICT DO NOTHING RETURNING 1");
	PQfinish(c);

	invite("P-6", "citizen", tok);
	answer_all(tok, improving);
	send_from_review(tok, 1);
	memcpy(progress_tok, tok, sizeof(progress_tok));
	p = get(path(tok, "/udvikling"));
	assert_int_equal(p.status, 200);
	h_assert_page_headers(&p, 1);
	assert_non_null(strstr(h_page_body(&p), ">Din udvikling</h1>"));
	/* Once, for "Tro på mig selv og lyst", and nowhere else. */
	{
		const char *b = h_page_body(&p);
		const char *tro = strstr(b, "Tro på mig selv og lyst");
		const char *next = strstr(b, "Fællesskab og tillid");
		const char *yes = strstr(b, "Du er gået tydeligt frem");

		assert_non_null(tro);
		assert_non_null(yes);
		assert_true(yes > tro && yes < next);
		assert_null(strstr(yes + 1, "Du er gået tydeligt frem"));
		assert_non_null(strstr(next, "Omtrent som sidst"));
	}
	assert_non_null(strstr(h_page_body(&p), "<svg"));
	assert_non_null(strstr(h_page_body(&p), "<table>"));
	assert_non_null(strstr(h_page_body(&p), "<td>100</td>"));
	assert_non_null(strstr(h_page_body(&p), "<td>50</td>"));
	assert_non_null(strstr(h_page_body(&p), "Tro på egne evner"));
	h_page_free(&p);
}

/* Issue 19: no page waits on a refresh. A refresh is one long
 * transaction; here it is held in the middle (after it has replaced the
 * reliability the progress page reads) by a lock this test takes on a
 * table it needs later, and every page, the dashboard API and the
 * records API must answer meanwhile. A page that waited on the refresh
 * would wait for as long as the test holds the lock, and h_request gives
 * up after 5 s. */
static void test_pages_during_refresh(void **state)
{
	const char *refresh[] = {"measure", "refresh", NULL};
	const char *meetings = "SELECT count(*) FROM fremdrift.events WHERE "
			       "type = 'meeting'";
	long before;
	char tok[32], dash[80], auth[160], rlog[256], *resp = NULL;
	struct h_result r;
	struct h_page p;
	PGconn *hold, *c;
	pid_t pid;
	int waiting = 0;

	(void)state;
	assert_true(progress_tok[0] != '\0'); /* test_progress ran first */
	start_course(CPR, "P-9", 10);
	invite("P-9", "citizen", tok);
	assert_int_equal(h_token(env, "board", "dashboard", dash), 0);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s\r\n", dash);
	r = h_cmd(env, "measure", "refresh", NULL); /* a release to read */
	assert_int_equal(r.status, 0);
	h_result_free(&r);

	hold = h_db(site.db);
	h_scalar(hold, "BEGIN");
	h_scalar(hold, "LOCK TABLE fremdrift.dash_cells IN ACCESS EXCLUSIVE MODE");
	snprintf(rlog, sizeof(rlog), "%s/refresh-held.log", h_tmpdir());
	pid = h_spawn(refresh, env, rlog);
	c = h_db(site.db);
	waiting = h_await_count(c, "SELECT count(*) FROM pg_stat_activity "
				   "WHERE datname = current_database() AND "
				   "wait_event_type = 'Lock'");
	assert_int_equal(waiting, 1); /* the refresh, held mid-way */

	p = get(path(progress_tok, "/udvikling"));
	assert_int_equal(p.status, 200);
	assert_non_null(strstr(h_page_body(&p), ">Din udvikling</h1>"));
	h_page_free(&p);
	p = get(path(tok, "/q/1"));
	assert_int_equal(p.status, 200);
	h_page_free(&p);
	p = request("GET", "/api/v1/dashboard/overview", auth, NULL);
	assert_int_equal(p.status, 200);
	h_page_free(&p);
	assert_int_equal(h_get(port, "/health", NULL), 200);
	before = count(meetings);
	assert_int_equal(h_post_records(port, ingest_token,
					"application/x-ndjson",
					"{\"kind\":\"event\",\"id\":\"held-1\","
					"\"cpr\":\"" CPR "\",\"course\":\"P-9\","
					"\"at\":\"2026-01-05\",\"type\":\"meeting\","
					"\"meeting\":\"conversation\","
					"\"attended\":true}\n",
					&resp),
			 200);
	free(resp);
	/* Answered after its commit, while the refresh still waits. */
	assert_int_equal(atoi(h_scalar(c, "SELECT count(*) FROM pg_stat_activity "
					  "WHERE datname = current_database() AND "
					  "wait_event_type = 'Lock'")),
			 1);
	assert_int_equal(count(meetings), before + 1);
	/* The refresh has written the course facts and the progression by
	 * now: the analysts' views read the previous rows meanwhile (a
	 * TRUNCATE there would hold them until the commit). */
	assert_non_null(h_scalar(c, "SET lock_timeout = '3s'"));
	assert_non_null(h_scalar(c, "SELECT count(*) FROM report.progression"));
	assert_non_null(h_scalar(c, "SELECT count(*) FROM fremdrift.courses"));

	h_scalar(hold, "ROLLBACK");
	PQfinish(hold);
	PQfinish(c);
	assert_int_equal(h_wait(pid, 120000), 0);
}

/* A consultant: the items, then goals chosen, weighted and rated; sent,
 * they are goal_set, goal_rated and job_chance_rated events. */
static void test_consultant_goals(void **state)
{
	char tok[32], csrf[40], fields[512];
	struct h_page p;
	const char *course = h_course(site.key_path, "P-1");

	(void)state;
	invite("P-1", "consultant", tok);
	p = get(path(tok, "/q/1"));
	assert_int_equal(p.status, 200);
	assert_non_null(strstr(h_page_body(&p), "Meget sandsynligt"));
	snprintf(csrf, sizeof(csrf), "%s", csrf_of(&p));
	h_page_free(&p);
	answer(tok, csrf, 1, "k01=4", "/q/2");
	fields[0] = '\0';
	for (int i = 2; i <= 11; i++)
		sprintf(fields + strlen(fields), "%sk%02d=3", i > 2 ? "&" : "",
			i);
	answer(tok, csrf, 2, fields, "/q/3");
	p = get(path(tok, "/q/3"));
	assert_int_equal(p.status, 200);
	assert_non_null(strstr(h_page_body(&p), "Meget mere end forventet"));
	assert_non_null(strstr(h_page_body(&p), "name=\"w_belief\""));
	h_page_free(&p);
	answer(tok, csrf, 3,
	       "w_belief=2&l_belief=1&w_skills=3&l_skills=-1&w_trust=0",
	       "/se");
	p = get(path(tok, "/se"));
	assert_non_null(strstr(h_page_body(&p), "(Vigtigt, Mere end forventet)"));
	h_page_free(&p);
	send_from_review(tok, 1);
	assert_int_equal(count(h_sql("SELECT count(*) FROM fremdrift.events "
				     "WHERE course = '%s' AND type = 'goal_set'",
				     course)),
			 2);
	assert_int_equal(count(h_sql("SELECT sum(level) FROM fremdrift.events "
				     "WHERE course = '%s' AND type = "
				     "'goal_rated'",
				     course)),
			 0);
	assert_int_equal(count(h_sql("SELECT level FROM fremdrift.events "
				     "WHERE course = '%s' AND type = "
				     "'job_chance_rated'",
				     course)),
			 4);
	/* The consultant sees the citizen's chart for the course. */
	p = get(path(tok, "/udvikling"));
	assert_int_equal(p.status, 200);
	assert_non_null(strstr(h_page_body(&p), "Borgerens udvikling"));
	assert_non_null(strstr(h_page_body(&p), "Tro på mig selv og lyst"));
	h_page_free(&p);
}

/* What a form cannot send is refused without saving; English pages. */
static void test_refusals_and_english(void **state)
{
	char tok[32], csrf[40], body[128];
	struct h_page p;

	(void)state;
	start_course(CPR, "P-7", 5);
	invite("P-7", "citizen", tok);
	{
		/* A big body is refused on its headers, before any token
		 * is looked up or a byte of it read. */
		static const char big[] =
			"POST /l/AAAAAAAAAAAAAAAAAAAAAA/a HTTP/1.1\r\nHost: x\r\n"
			"Content-Type: application/x-www-form-urlencoded\r\n"
			"Content-Length: 70000\r\nConnection: close\r\n\r\n";
		char *resp = NULL;

		assert_int_equal(h_http(port, big, sizeof(big) - 1, &resp),
				 413);
		free(resp);
	}
	p = request("GET", path(tok, "/q/2"), "Accept-Language: en\r\n", NULL);
	assert_int_equal(p.status, 200);
	assert_non_null(strstr(h_page_body(&p), "<html lang=\"en\">"));
	assert_non_null(strstr(h_page_body(&p), "Question 2 of 24"));
	assert_non_null(strstr(h_page_body(&p), "I know what I am good at."));
	snprintf(csrf, sizeof(csrf), "%s", csrf_of(&p));
	h_page_free(&p);
	/* Off the scale, another screen's item, a goal on a citizen's link. */
	snprintf(body, sizeof(body), "csrf=%s&b02=6&go=next", csrf);
	p = post(path(tok, "/q/2"), body);
	assert_int_equal(p.status, 400);
	h_page_free(&p);
	snprintf(body, sizeof(body), "item=w_belief&value=2&csrf=%s", csrf);
	p = post(path(tok, "/a"), body);
	assert_int_equal(p.status, 400);
	h_page_free(&p);
	snprintf(body, sizeof(body), "item=b99&value=2&csrf=%s", csrf);
	p = post(path(tok, "/a"), body);
	assert_int_equal(p.status, 400);
	h_page_free(&p);
	p = get(path(tok, "/q/25"));
	assert_int_equal(p.status, 404);
	h_page_free(&p);
	assert_int_equal(count(h_sql("SELECT count(*) FROM fremdrift."
				     "invitations WHERE course = '%s' AND "
				     "draft ? 'answers'",
				     h_course(site.key_path, "P-7"))),
			 0);
	/* A screen posted with nothing chosen moves on, saving nothing. */
	snprintf(body, sizeof(body), "csrf=%s&go=next", csrf);
	p = post(path(tok, "/q/2"), body);
	assert_int_equal(p.status, 303);
	assert_string_equal(h_page_header(&p, "Location"), path(tok, "/q/3"));
	h_page_free(&p);
}

static void test_not_found(void **state)
{
	struct h_page p = get("/l/AAAAAAAAAAAAAAAAAAAAAA/nothing");

	(void)state;
	assert_int_equal(p.status, 404);
	h_assert_page_headers(&p, 1);
	h_page_free(&p);
	p = request("DELETE", "/", NULL, NULL);
	assert_int_equal(p.status, 405);
	h_page_free(&p);
}

static void *miss(void *arg)
{
	struct h_page p = get("/l/BBBBBBBBBBBBBBBBBBBBBB");

	*(int *)arg = p.status;
	h_page_free(&p);
	return NULL;
}

/* More than 20 wrong tokens from one address: 429 and kind words. Last,
 * since the address stays limited for ten minutes. */
static void test_rate_limited(void **state)
{
	pthread_t th[21];
	int status[21];
	struct h_page p;

	(void)state;
	/* In parallel: each miss is answered after a second. */
	for (int i = 0; i < 21; i++)
		assert_int_equal(pthread_create(&th[i], NULL, miss, &status[i]),
				 0);
	for (int i = 0; i < 21; i++) {
		pthread_join(th[i], NULL);
		assert_true(status[i] == 404 || status[i] == 429);
	}
	p = get("/l/BBBBBBBBBBBBBBBBBBBBBB");
	assert_int_equal(p.status, 429);
	h_assert_page_headers(&p, 1);
	assert_non_null(strstr(h_page_body(&p), "Vent lidt"));
	h_page_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_and_assets),
		cmocka_unit_test(test_citizen_answers_all),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_csrf),
		cmocka_unit_test(test_gone),
		cmocka_unit_test(test_progress),
		cmocka_unit_test(test_pages_during_refresh),
		cmocka_unit_test(test_consultant_goals),
		cmocka_unit_test(test_refusals_and_english),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_rate_limited),
	};

	return cmocka_run_group_tests_name("pages", tests, setup, teardown);
}
