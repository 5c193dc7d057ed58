/*
 * The leadership page's sessions and refusals over real sockets
 * (docs/dashboard.md, "The page"): signing in makes a session whose id the
 * database holds only as SHA-256; a token of another role, an unknown one,
 * a form from another site and an oversized body are refused without a
 * session; a session ends after an hour unused, at its end, when its token
 * is revoked and at sign-out; filters of a wrong shape or for a period
 * not published are a 400 page; the CSV is a download; and neither a token
 * nor a session id reaches the log. The page's figures against the API
 * are tests/browser/dashboard.test.mjs's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static int port;
static pid_t server;
static struct h_site site;
static char env_http[64], log_path[256];
static char dash_token[80], ingest_token[80];
static const char *env[] = {site.env_db, site.env_key, env_http, NULL};
static PGconn *db;

#define SAME "Sec-Fetch-Site: same-origin\r\n"

static int setup(void **state)
{
	const char *synth[] = {"synth", "--citizens", "600", "--seed", "17",
			       NULL};
	const char *ingest[] = {"ingest", "--source", "synth", "-", NULL};
	const char *refresh[] = {"measure", "refresh", NULL};
	struct h_result r;

	(void)state;
	if (h_site_new(&site, "it_dash_page") != 0)
		return -1;
	port = h_listen_env(env_http, log_path, "dash_page");
	r = h_run(synth, env, NULL, 0);
	if (r.status != 0)
		return -1;
	h_run_ok(ingest, env, r.out);
	h_result_free(&r);
	h_run_ok(refresh, env, NULL);
	if (h_token(env, "leadership", "dashboard", dash_token) != 0 ||
	    h_token(env, "case-system", "ingest", ingest_token) != 0)
		return -1;
	db = h_db(site.db);
	server = h_serve(env, log_path, port);
	return server > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	PQfinish(db);
	return h_stop(server, 5000);
}

/* Signs in with token (form-encoded as is) from extra's origin; the
 * answer. */
static struct h_page sign_in(const char *token, const char *extra)
{
	char body[600];

	snprintf(body, sizeof(body), "token=%s&next=period%%3D2025", token);
	return h_request(port, "POST", "/dashboard/login", extra, body);
}

/* A new session's cookie value (64 hex digits) into out. */
static void session(char out[65])
{
	struct h_page p = sign_in(dash_token, SAME);
	const char *c;

	assert_int_equal(p.status, 303);
	c = h_page_header(&p, "Set-Cookie");
	assert_int_equal(strncmp(c, "fremdrift_session=", 18), 0);
	snprintf(out, 65, "%s", c + 18);
	assert_int_equal(strspn(out, "0123456789abcdef"), 64);
	h_page_free(&p);
}

static struct h_page get_with(const char *path, const char *cookie)
{
	char extra[320];

	snprintf(extra, sizeof(extra),
		 strchr(cookie, '=') ? "Cookie: %s\r\n"
				     : "Cookie: a=b; fremdrift_session=%s\r\n",
		 cookie);
	return h_request(port, "GET", path, extra, NULL);
}

static int shows_figures(const struct h_page *p)
{
	const char *h1 = strstr(h_page_body(p), "<h1");
	int yes = p->status == 200 &&
		  strstr(h_page_body(p), "Ledelsens tal for ") != NULL;

	if (!yes) /* what was shown instead, for a failing assertion */
		fprintf(stderr, "  (status %d: %.80s)\n", p->status,
			h1 ? h1 : "no h1");
	return yes;
}

static int sessions(void)
{
	return atoi(h_scalar(db, "SELECT count(*) FROM fremdrift.web_sessions"));
}

static void test_sign_in(void **state)
{
	struct h_page p = h_request(port, "GET", "/dashboard", NULL, NULL);
	char id[65], sql[256];

	(void)state;
	assert_int_equal(p.status, 200);
	h_assert_page_headers(&p, 1);
	assert_non_null(strstr(h_page_body(&p), "action=\"/dashboard/login\""));
	assert_null(strstr(h_page_body(&p), "Ledelsens tal for "));
	h_page_free(&p);

	p = sign_in(dash_token, SAME);
	assert_int_equal(p.status, 303);
	assert_string_equal(h_page_header(&p, "Location"),
			    "/dashboard?period=2025");
	assert_non_null(strstr(h_page_header(&p, "Set-Cookie"),
			       "; Path=/; HttpOnly; SameSite=Strict; "
			       "Max-Age=28800"));
	snprintf(id, sizeof(id), "%s", h_page_header(&p, "Set-Cookie") + 18);
	h_page_free(&p);
	/* the database holds SHA-256 of the id, never the id */
	assert_null(h_db_holds(db, id));
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM fremdrift.web_sessions WHERE id_sha256 "
		 "= sha256('%s'::bytea)",
		 id);
	assert_string_equal(h_scalar(db, sql), "1");

	p = get_with("/dashboard", id);
	assert_true(shows_figures(&p));
	h_assert_page_headers(&p, 1);
	h_page_free(&p);
	/* what a browser sends from a page with no referrer: Origin null */
	p = sign_in(dash_token, "Origin: null\r\n" SAME);
	assert_int_equal(p.status, 303);
	h_page_free(&p);
	/* a malformed cookie of the same name before the real one (as one
	 * set for a narrower path would be) does not hide it */
	{
		char two[200];

		snprintf(two, sizeof(two), "x; fremdrift_session=zz; "
					   "fremdrift_session=%s", id);
		p = get_with("/dashboard", two);
		assert_true(shows_figures(&p));
		h_page_free(&p);
	}
	/* the server's address sends a signed-in leader to the page */
	p = get_with("/", id);
	assert_int_equal(p.status, 303);
	assert_string_equal(h_page_header(&p, "Location"), "/dashboard");
	h_page_free(&p);
}

static void test_refused(void **state)
{
	int before = sessions();
	struct h_page p = sign_in(ingest_token, SAME);
	char big[512];

	(void)state;
	assert_int_equal(p.status, 403);
	assert_non_null(strstr(h_page_body(&p), "role=\"alert\""));
	assert_string_equal(h_page_header(&p, "Set-Cookie"), "");
	h_page_free(&p);
	p = sign_in("not-a-token", SAME);
	assert_int_equal(p.status, 401);
	h_page_free(&p);
	p = sign_in("", SAME);
	assert_int_equal(p.status, 401);
	h_page_free(&p);
	/* the token and something else beside it */
	snprintf(big, sizeof(big), "%%20%s%%20junk", dash_token);
	p = sign_in(big, SAME);
	assert_int_equal(p.status, 401);
	h_page_free(&p);
	/* a good token in a form from another site */
	p = sign_in(dash_token, "Origin: https://evil.example\r\n");
	assert_int_equal(p.status, 403);
	h_page_free(&p);
	p = sign_in(dash_token, "Sec-Fetch-Site: cross-site\r\n");
	assert_int_equal(p.status, 403);
	h_page_free(&p);
	/* a body past 64 KiB is refused before it is read */
	snprintf(big, sizeof(big),
		 "POST /dashboard/login HTTP/1.1\r\nHost: x\r\n" SAME
		 "Content-Type: application/x-www-form-urlencoded\r\n"
		 "Content-Length: 70000\r\nConnection: close\r\n\r\n");
	assert_int_equal(h_http(port, big, strlen(big), &p.text), 413);
	h_page_free(&p);
	assert_int_equal(sessions(), before);
	/* a cookie of the wrong shape is no session */
	p = get_with("/dashboard", "../../etc");
	assert_int_equal(p.status, 200);
	assert_false(shows_figures(&p));
	h_page_free(&p);
}

static void expect_signed_out(const char *id)
{
	struct h_page p = get_with("/dashboard", id);

	assert_int_equal(p.status, 200);
	assert_false(shows_figures(&p));
	assert_non_null(strstr(h_page_body(&p), "action=\"/dashboard/login\""));
	assert_non_null(strstr(h_page_header(&p, "Set-Cookie"), "Max-Age=0"));
	h_page_free(&p);
}

static void age(const char *id, const char *set)
{
	char sql[300];

	snprintf(sql, sizeof(sql),
		 "UPDATE fremdrift.web_sessions SET %s WHERE id_sha256 = "
		 "sha256('%s'::bytea) RETURNING 1",
		 set, id);
	assert_string_equal(h_scalar(db, sql), "1");
}

static void test_session_ends(void **state)
{
	char id[65];
	struct h_page p;
	const char *revoke[] = {"token", "revoke", "--source", "leadership-2",
				NULL};
	char other[80], cookie[160];

	(void)state;
	/* an hour unused */
	session(id);
	age(id, "last_seen = now() - interval '61 minutes'");
	expect_signed_out(id);
	/* used within the hour: still good */
	session(id);
	age(id, "last_seen = now() - interval '59 minutes'");
	p = get_with("/dashboard", id);
	assert_true(shows_figures(&p));
	h_page_free(&p);
	/* past its end, however recently used */
	age(id, "expires_at = now() - interval '1 second'");
	expect_signed_out(id);
	/* sign-out deletes it */
	session(id);
	snprintf(cookie, sizeof(cookie),
		 "Cookie: fremdrift_session=%s\r\n" SAME, id);
	p = h_request(port, "POST", "/dashboard/logout", cookie, "");
	assert_int_equal(p.status, 200);
	assert_non_null(strstr(h_page_body(&p), "Du er logget ud"));
	assert_non_null(strstr(h_page_header(&p, "Set-Cookie"), "Max-Age=0"));
	h_page_free(&p);
	expect_signed_out(id);
	/* revoking the token ends its sessions */
	assert_int_equal(h_token(env, "leadership-2", "dashboard", other), 0);
	p = sign_in(other, SAME);
	assert_int_equal(p.status, 303);
	snprintf(id, sizeof(id), "%s", h_page_header(&p, "Set-Cookie") + 18);
	h_page_free(&p);
	p = get_with("/dashboard", id);
	assert_true(shows_figures(&p));
	h_page_free(&p);
	h_run_ok(revoke, env, NULL);
	expect_signed_out(id);
}

static void test_filters_and_csv(void **state)
{
	char id[65];
	struct h_page p;

	(void)state;
	session(id);
	p = get_with("/dashboard?period=2025-13", id);
	assert_int_equal(p.status, 400);
	h_page_free(&p);
	p = get_with("/dashboard?period=1999", id);
	assert_int_equal(p.status, 400);
	assert_non_null(strstr(h_page_body(&p), "ikke offentliggjort"));
	h_page_free(&p);
	p = get_with("/dashboard?department=nowhere", id);
	assert_int_equal(p.status, 400);
	assert_non_null(strstr(h_page_body(&p), "Afdelingen findes ikke"));
	h_page_free(&p);
	p = get_with("/dashboard?period=2025&department=aarhus&target_group=",
		     id);
	assert_true(shows_figures(&p));
	assert_non_null(strstr(h_page_body(&p),
			       "<option value=\"aarhus\" selected>"));
	h_page_free(&p);
	p = get_with("/dashboard/csv?period=2025&department=aarhus", id);
	assert_int_equal(p.status, 200);
	assert_string_equal(h_page_header(&p, "Content-Type"),
			    "text/csv; charset=utf-8");
	assert_string_equal(h_page_header(&p, "Content-Disposition"),
			    "attachment; filename=\"fremdrift-2025-aarhus-"
			    "alle.csv\"");
	assert_memory_equal(h_page_body(&p), "\xEF\xBB\xBF" "Afsnit;", 10);
	h_page_free(&p);
	/* without a session: the sign-in page, never figures */
	p = h_request(port, "GET", "/dashboard/csv?period=2025", NULL, NULL);
	assert_int_equal(p.status, 200);
	assert_null(strstr(h_page_body(&p), "Afsnit;"));
	h_page_free(&p);
}

/* A page view with a session that is no good calls nothing that reads
 * figures: fremdrift.dash_page() runs only for a good one (counted by
 * PostgreSQL's function statistics, in the transaction itself). */
static void test_bad_session_reads_nothing(void **state)
{
	char id[65], sql[512];
	const char *calls =
		"SELECT coalesce(pg_stat_get_xact_function_calls("
		"'fremdrift.dash_page(text,text,text)'::regprocedure), 0)";

	(void)state;
	session(id);
	h_scalar(db, "SET track_functions = 'pl'");
	h_scalar(db, "BEGIN");
	assert_string_equal(h_scalar(db, "SELECT ok::text FROM "
					 "fremdrift.dash_page_session(sha256("
					 "'nobody'::bytea), 60, NULL, NULL, "
					 "NULL)"),
			    "false");
	assert_string_equal(h_scalar(db, calls), "0");
	snprintf(sql, sizeof(sql),
		 "SELECT ok::text || status FROM fremdrift.dash_page_session("
		 "sha256('%s'::bytea), 60, NULL, NULL, NULL)",
		 id);
	assert_string_equal(h_scalar(db, sql), "true200");
	assert_string_equal(h_scalar(db, calls), "1");
	h_scalar(db, "ROLLBACK");
}

/* A server behind a single sign-on proxy at from: its port; *pid and
 * log (256 bytes) for h_stop and reading. */
static int sso_server(const char *from, pid_t *pid, char *log)
{
	char http[64], from_var[80];
	const char *e[] = {site.env_db, site.env_key, http,
			   "FREMDRIFT_DASH_SSO_HEADER=X-Remote-User",
			   "FREMDRIFT_DASH_SSO_LOGOUT=https://sso.example/out",
			   from_var, NULL};
	int p = h_listen_env(http, log, from[0] == '1' && from[1] == '2'
					       ? "dash_sso"
					       : "dash_sso_other");

	snprintf(from_var, sizeof(from_var), "FREMDRIFT_DASH_SSO_FROM=%s", from);
	*pid = h_serve(e, log, p);
	assert_true(*pid > 0);
	return p;
}

static void test_single_sign_on(void **state)
{
	char log[256];
	pid_t pid;
	int p = sso_server("127.0.0.1", &pid, log);
	struct h_page a;
	char *text;

	(void)state;
	/* vouched for by the proxy: figures, no session, sign-out at the
	 * single sign-on */
	a = h_request(p, "GET", "/dashboard?period=2025",
		      "X-Remote-User: leder.hansen\r\n", NULL);
	assert_true(shows_figures(&a));
	assert_string_equal(h_page_header(&a, "Set-Cookie"), "");
	assert_non_null(strstr(h_page_body(&a),
			       "href=\"https://sso.example/out\">Log ud</a>"));
	assert_null(strstr(h_page_body(&a), "/dashboard/logout"));
	h_page_free(&a);
	a = h_request(p, "GET", "/dashboard/csv?period=2025",
		      "X-Remote-User: leder.hansen\r\n", NULL);
	assert_int_equal(a.status, 200);
	assert_string_equal(h_page_header(&a, "Content-Type"),
			    "text/csv; charset=utf-8");
	h_page_free(&a);
	/* the header twice (a proxy that adds instead of replacing): no */
	a = h_request(p, "GET", "/dashboard",
		      "X-Remote-User: mallory\r\nX-Remote-User: leder.hansen\r\n",
		      NULL);
	assert_false(shows_figures(&a));
	h_page_free(&a);
	/* without the header (or with it empty): sign in as usual */
	a = h_request(p, "GET", "/dashboard", "X-Remote-User: \r\n", NULL);
	assert_false(shows_figures(&a));
	h_page_free(&a);
	assert_int_equal(h_stop(pid, 5000), 0);
	text = h_read_file(log);
	assert_non_null(text);
	assert_null(strstr(text, "leder.hansen"));
	free(text);

	/* the header from anywhere but the proxy's address counts for
	 * nothing */
	p = sso_server("10.9.9.9", &pid, log);
	a = h_request(p, "GET", "/dashboard", "X-Remote-User: leder\r\n", NULL);
	assert_int_equal(a.status, 200);
	assert_false(shows_figures(&a));
	h_page_free(&a);
	assert_int_equal(h_stop(pid, 5000), 0);
}

/* Behind https the cookie is Secure and named __Host-, so no other host
 * of the domain can set or shadow it. */
static void test_https_cookie(void **state)
{
	char http[64], log[256];
	const char *e[] = {site.env_db, site.env_key, http,
			   "FREMDRIFT_PUBLIC_URL=https://fremdrift.example.dk",
			   NULL};
	int p = h_listen_env(http, log, "dash_https");
	pid_t pid = h_serve(e, log, p);
	struct h_page a;
	char body[160], cookie[200];

	(void)state;
	assert_true(pid > 0);
	snprintf(body, sizeof(body), "token=%s", dash_token);
	a = h_request(p, "POST", "/dashboard/login",
		      "Origin: https://fremdrift.example.dk\r\n", body);
	assert_int_equal(a.status, 303);
	assert_int_equal(strncmp(h_page_header(&a, "Set-Cookie"),
				 "__Host-fremdrift_session=", 25),
			 0);
	assert_non_null(strstr(h_page_header(&a, "Set-Cookie"), "; Secure"));
	snprintf(cookie, sizeof(cookie), "Cookie: %.*s\r\n", 25 + 64,
		 h_page_header(&a, "Set-Cookie"));
	h_page_free(&a);
	a = h_request(p, "GET", "/dashboard", cookie, NULL);
	assert_true(shows_figures(&a));
	h_page_free(&a);
	assert_int_equal(h_stop(pid, 5000), 0);
}

/* Last: everything above has signed in and out. */
static void test_log_holds_no_secret(void **state)
{
	char *log = h_read_file(log_path);
	char id[65];

	(void)state;
	session(id);
	free(log);
	log = h_read_file(log_path);
	assert_non_null(log);
	assert_non_null(strstr(log, "signed in with a dashboard token of "
				    "leadership"));
	assert_null(strstr(log, dash_token));
	assert_null(strstr(log, id));
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_in),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_session_ends),
		cmocka_unit_test(test_filters_and_csv),
		cmocka_unit_test(test_bad_session_reads_nothing),
		cmocka_unit_test(test_single_sign_on),
		cmocka_unit_test(test_https_cookie),
		cmocka_unit_test(test_log_holds_no_secret),
	};

	return cmocka_run_group_tests_name("dash_page", tests, setup, teardown);
}
