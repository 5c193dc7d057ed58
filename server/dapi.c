#include "fremdrift/dapi.h"
#include "fremdrift/buf.h"
#include "fremdrift/log.h"
#include "fremdrift/record.h"
#include "fremdrift/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const views[] = {"overview", "progression", "subgoals",
				    "company",  "mix",         "paid_hours",
				    "belief",   "exits",       "followups"};
#define NVIEWS (sizeof(views) / sizeof(views[0]))

/*
 * The query parameters a view takes, and nothing else: the release has
 * fixed periods and breakdowns (docs/dashboard.md), so there is no other
 * question to ask, and a misspelt name is refused rather than ignored (an
 * ignored filter would answer another question than the one meant).
 */
enum dparam { DP_PERIOD, DP_FROM, DP_TO, DP_DEPARTMENT, DP_TARGET_GROUP, DP_N };
static const char *const pnames[DP_N] = {"period", "from", "to", "department",
					 "target_group"};
#define KNOWN_PARAMS "period, from, to, department, target_group"

struct dreq {
	struct http_req *req;
	struct pgc *pg;
	unsigned timeout_ms;
	int view;
	/* Each parameter: whether it came, and its value once checked (a
	 * period, at most "2025-Q3", or a code of at most REC_CODE_MAX). */
	int given[DP_N];
	char val[DP_N][REC_CODE_MAX + 1];
	/* Why the query is bad, for the 400 (JSON-escaped by
	 * http_respond_error). */
	char why[256];
};

static int all_in(const char *s, size_t len, const char *set)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\0' || strchr(set, s[i]) == NULL)
			return 0;
	return 1;
}

#define DIGITS "0123456789"

/* A year such as 2025 (1000 to 9999: PostgreSQL's make_date takes no year
 * 0) or a quarter such as 2025-Q3. */
int dapi_period_ok(const char *v, size_t len)
{
	if (len != 4 && len != 7)
		return 0;
	if (v[0] < '1' || v[0] > '9' || !all_in(v, 4, DIGITS))
		return 0;
	return len == 4 ||
	       (v[4] == '-' && v[5] == 'Q' && v[6] >= '1' && v[6] <= '4');
}

/* A catalogue code: lowercase letters, digits and _, as rec_build takes
 * them. */
int dapi_code_ok(const char *v, size_t len)
{
	return len <= REC_CODE_MAX &&
	       all_in(v, len, "abcdefghijklmnopqrstuvwxyz" DIGITS "_");
}

/* Checks the shape of parameter p's value and keeps it in d. 0, or -1 with
 * d->why set; the message names the parameter, never echoes the value. */
static int take_value(struct dreq *d, enum dparam p, const char *v, size_t len)
{
	int period = p == DP_PERIOD || p == DP_FROM || p == DP_TO;

	if (d->given[p]) {
		snprintf(d->why, sizeof(d->why), "%s is given more than once",
			 pnames[p]);
		return -1;
	}
	d->given[p] = 1;
	if (len == 0) {
		snprintf(d->why, sizeof(d->why),
			 "%s is empty: give a value or leave the parameter "
			 "out", pnames[p]);
		return -1;
	}
	if (period ? !dapi_period_ok(v, len) : !dapi_code_ok(v, len)) {
		if (period)
			snprintf(d->why, sizeof(d->why),
				 "%s must be a year such as 2025 or a quarter "
				 "such as 2025-Q3", pnames[p]);
		else
			snprintf(d->why, sizeof(d->why),
				 "%s must be a catalogue code: lowercase "
				 "letters, digits and _, at most %d characters "
				 "(docs/formats.md lists them)",
				 pnames[p], REC_CODE_MAX);
		return -1;
	}
	memcpy(d->val[p], v, len);
	d->val[p][len] = '\0';
	return 0;
}

/*
 * The 400 for a parameter no view takes. Its name is shown only if every
 * byte of it is one a URL carries unescaped (or a %-escape's), so the
 * message holds no quote, backslash, control character or invalid UTF-8
 * from the request; otherwise it is described.
 */
static void unknown_param(struct dreq *d, const char *name, size_t len)
{
	if (len > 0 && len <= 40 &&
	    all_in(name, len,
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" DIGITS
		   "_.~-%+"))
		snprintf(d->why, sizeof(d->why),
			 "unknown parameter \"%.*s\" (known: " KNOWN_PARAMS ")",
			 (int)len, name);
	else
		snprintf(d->why, sizeof(d->why),
			 "unknown parameter (%s; known: " KNOWN_PARAMS ")",
			 len == 0 ? "one with an empty name"
				  : "its name is not shown: it is long or has "
				    "characters no parameter has");
}

static int param_index(const char *name, size_t len)
{
	for (int i = 0; i < DP_N; i++)
		if (strlen(pnames[i]) == len && memcmp(name, pnames[i], len) == 0)
			return i;
	return -1;
}

/* One name=value pair of the query (len bytes at s, no '&'). */
static int take_pair(struct dreq *d, const char *s, size_t len)
{
	const char *eq = memchr(s, '=', len);
	size_t nlen = eq ? (size_t)(eq - s) : len;
	int p = param_index(s, nlen);

	if (p < 0) {
		unknown_param(d, s, nlen);
		return -1;
	}
	if (eq == NULL) {
		snprintf(d->why, sizeof(d->why),
			 "%s has no value (write %s=..., or leave it out)",
			 pnames[p], pnames[p]);
		return -1;
	}
	return take_value(d, (enum dparam)p, eq + 1, len - nlen - 1);
}

/*
 * Reads the query into d: each pair once, by name, checked for shape.
 * Values are taken raw, without %-decoding: periods and codes never need
 * it, so a '%' or '+' is simply a bad shape. Empty pairs ("a=1&&b=2", a
 * trailing '&') are skipped. 0, or -1 with d->why set.
 */
static int read_params(struct dreq *d, const char *query)
{
	const char *p = query;

	while (*p) {
		size_t len = strcspn(p, "&");

		if (len > 0 && take_pair(d, p, len) != 0)
			return -1;
		p += len;
		if (*p == '&')
			p++;
	}
	if (d->given[DP_PERIOD] && (d->given[DP_FROM] || d->given[DP_TO])) {
		snprintf(d->why, sizeof(d->why),
			 "period cannot be combined with from or to: ask for "
			 "one period, or a range from=...&to=...");
		return -1;
	}
	return 0;
}

static void on_answer(struct pgc *c, PGresult *res, const char *error,
		      void *data)
{
	struct dreq *d = data;
	long status = 0;

	(void)c;
	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK &&
	    PQntuples(res) == 1 && PQnfields(res) == 2 &&
	    !PQgetisnull(res, 0, 0) && !PQgetisnull(res, 0, 1))
		status = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	if (status < 200 || status > 599) {
		log_warning("dapi", "dashboard %s: %s", views[d->view],
			    error ? error : "no answer from dash_answer");
		http_respond_error(d->req, 503, "database_unavailable",
				   "the dashboard could not be read; try again "
				   "shortly");
		free(d);
		return;
	}
	http_respond(d->req, (int)status, "application/json", NULL,
		     PQgetvalue(res, 0, 1), (size_t)PQgetlength(res, 0, 1));
	free(d);
}

static void list_views(struct http_req *req)
{
	struct fr_buf b;

	fr_buf_init(&b, 4096);
	fr_buf_printf(&b, "{\"views\":[");
	for (size_t i = 0; i < NVIEWS; i++)
		fr_buf_printf(&b, "%s\"%s\"", i ? "," : "", views[i]);
	fr_buf_printf(&b, "]}");
	http_respond(req, 200, "application/json", NULL, b.data, b.len);
	fr_buf_free(&b);
}

static int view_index(const char *name)
{
	for (size_t i = 0; i < NVIEWS; i++)
		if (strcmp(name, views[i]) == 0)
			return (int)i;
	return -1;
}

static const char *given_or_null(const struct dreq *d, enum dparam p)
{
	return d->given[p] ? d->val[p] : NULL;
}

/* The token is good: the view, its parameters, then the release's answer
 * (fremdrift.dash_answer checks the codes against the catalogues, the
 * periods' kinds and order, and builds the whole body). */
static void run_view(struct dreq *d)
{
	const char *name = http_req_path(d->req) + strlen("/api/v1/dashboard");
	const char *params[5];

	if (*name == '/')
		name++;
	if (*name == '\0') {
		list_views(d->req);
		goto done;
	}
	d->view = view_index(name);
	if (d->view < 0) {
		http_respond_error(d->req, 404, "not_found",
				   "no such dashboard view (GET /api/v1/dashboard "
				   "lists them)");
		goto done;
	}
	if (read_params(d, http_req_query(d->req)) != 0) {
		http_respond_error(d->req, 400, "bad_parameter", d->why);
		goto done;
	}
	/* The view name comes from the fixed list, never from the request. */
	params[0] = views[d->view];
	/* One period is the range from it to itself. */
	params[1] = given_or_null(d, d->given[DP_PERIOD] ? DP_PERIOD : DP_FROM);
	params[2] = given_or_null(d, d->given[DP_PERIOD] ? DP_PERIOD : DP_TO);
	params[3] = given_or_null(d, DP_DEPARTMENT);
	params[4] = given_or_null(d, DP_TARGET_GROUP);
	if (pgc_query(d->pg,
		      "SELECT status, body FROM fremdrift.dash_answer($1, $2, "
		      "$3, $4, $5)",
		      5, params, d->timeout_ms, on_answer, d) == 0)
		return; /* on_answer answers and frees d */
	http_respond_error(d->req, 503, "database_unavailable",
			   "the database is unreachable; try again shortly");
done:
	free(d);
}

/* The token comes first: without a good one, nothing about the views or
 * the parameters is said (issue 12). */
static void after_auth(const char *source, const char *role, void *data)
{
	struct dreq *d = data;

	if (source == NULL) {
		http_respond_error(d->req, 401, "unauthorized",
				   "a valid dashboard token is required "
				   "(Authorization: Bearer <token>)");
		free(d);
		return;
	}
	if (strcmp(role, "dashboard") != 0) {
		http_respond_error(d->req, 403, "forbidden",
				   "this token may not read the dashboard");
		free(d);
		return;
	}
	run_view(d);
}

void dapi_handle(struct auth *auth, struct pgc *pg, unsigned timeout_ms,
		 struct http_req *req)
{
	struct dreq *d;

	if (strcmp(http_req_method(req), "GET") != 0) {
		http_respond_error(req, 405, "method_not_allowed", "use GET");
		return;
	}
	d = fr_xcalloc(1, sizeof(*d));
	d->req = req;
	d->pg = pg;
	d->timeout_ms = timeout_ms;
	if (auth_check(auth, http_req_header(req, "authorization"), after_auth,
		       d) != 0) {
		free(d);
		http_respond_error(req, 503, "database_unavailable",
				   "the database is unreachable; try again "
				   "shortly");
	}
}
