#include "fremdrift/dapi.h"
#include "fremdrift/buf.h"
#include "fremdrift/civil.h"
#include "fremdrift/record.h"
#include "fremdrift/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const views[] = {"overview", "progression", "subgoals",
				    "company",  "mix",         "paid_hours",
				    "belief",   "exits",       "followups"};
#define NVIEWS (sizeof(views) / sizeof(views[0]))

struct dreq {
	struct http_req *req;
	struct pgc *pg;
	unsigned timeout_ms;
	int view;
	char from[11], to[11], department[REC_CODE_MAX + 1],
		target_group[REC_CODE_MAX + 1];
};

/* Reads one query parameter's raw value (no %-decoding: dates and codes
 * never need it). 1 if present. */
static int param(const char *query, const char *name, char *out, size_t max,
		 int *bad)
{
	size_t nl = strlen(name);
	const char *p = query;

	while (p && *p) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);

		if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			size_t vl = len - nl - 1;

			if (vl == 0)
				return 0;
			if (vl >= max) {
				*bad = 1;
				return 0;
			}
			memcpy(out, p + nl + 1, vl);
			out[vl] = '\0';
			return 1;
		}
		p = amp ? amp + 1 : NULL;
	}
	return 0;
}

static void on_rows(struct pgc *c, PGresult *res, const char *error,
		    void *data)
{
	struct dreq *d = data;
	struct fr_buf out;

	(void)c;
	(void)error;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK ||
	    PQntuples(res) != 1) {
		http_respond_error(d->req, 503, "database_unavailable",
				   "the dashboard could not be read; try again "
				   "shortly (has `fremdrift measure refresh` "
				   "run?)");
		free(d);
		return;
	}
	fr_buf_init(&out, 64u << 20);
	fr_buf_printf(&out,
		      "{\"view\":\"%s\",\"from\":%s%s%s,\"to\":%s%s%s,"
		      "\"department\":%s%s%s,\"target_group\":%s%s%s,"
		      "\"min_cell\":5,\"rows\":%s}",
		      views[d->view], d->from[0] ? "\"" : "",
		      d->from[0] ? d->from : "null", d->from[0] ? "\"" : "",
		      d->to[0] ? "\"" : "", d->to[0] ? d->to : "null",
		      d->to[0] ? "\"" : "", d->department[0] ? "\"" : "",
		      d->department[0] ? d->department : "null",
		      d->department[0] ? "\"" : "", d->target_group[0] ? "\"" : "",
		      d->target_group[0] ? d->target_group : "null",
		      d->target_group[0] ? "\"" : "", PQgetvalue(res, 0, 0));
	http_respond(d->req, 200, "application/json", NULL, out.data, out.len);
	fr_buf_free(&out);
	free(d);
}

static int code_ok(const char *s)
{
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(s);
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

/* A date parameter: absent, or a real date. 0 when fine. */
static int date_param(const char *query, const char *name, char out[11],
		      int *bad)
{
	long days;

	if (!param(query, name, out, 11, bad))
		return 0;
	return fr_date_parse(out, &days);
}

/*
 * Reads the filters into d. The dashboard counts whole months (see
 * docs/dashboard.md): from snaps to the first of its month and to to the
 * last, and the answer echoes them. NULL or the reason the query is bad.
 */
static const char *read_filters(struct dreq *d, const char *query)
{
	int bad = 0;

	if (date_param(query, "from", d->from, &bad) ||
	    date_param(query, "to", d->to, &bad) || bad)
		return "from and to are dates such as 2026-01-31";
	if (d->from[0])
		memcpy(d->from + 8, "01", 2);
	if (d->to[0]) {
		int y = atoi(d->to), m = atoi(d->to + 5);

		fr_date_str(fr_days_from_civil(m == 12 ? y + 1 : y,
					       m == 12 ? 1 : m + 1, 1) - 1,
			    d->to);
	}
	if (d->from[0] && d->to[0] && strcmp(d->from, d->to) > 0)
		return "from is after to";
	if ((param(query, "department", d->department, sizeof(d->department),
		   &bad) && !code_ok(d->department)) ||
	    (param(query, "target_group", d->target_group,
		   sizeof(d->target_group), &bad) &&
	     !code_ok(d->target_group)) || bad)
		return "department and target_group are catalogue codes "
		       "(docs/formats.md)";
	return NULL;
}

static int view_index(const char *name)
{
	for (size_t i = 0; i < NVIEWS; i++)
		if (strcmp(name, views[i]) == 0)
			return (int)i;
	return -1;
}

/* The token is good: the view, its filters, then the query. */
static void run_view(struct dreq *d)
{
	const char *name = http_req_path(d->req) + strlen("/api/v1/dashboard");
	const char *why, *params[4];
	char sql[256];

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
	if ((why = read_filters(d, http_req_query(d->req))) != NULL) {
		http_respond_error(d->req, 400, "bad_parameter", why);
		goto done;
	}
	params[0] = d->from[0] ? d->from : NULL;
	params[1] = d->to[0] ? d->to : NULL;
	params[2] = d->department[0] ? d->department : NULL;
	params[3] = d->target_group[0] ? d->target_group : NULL;
	/* The view name comes from the fixed list, never from the request. */
	snprintf(sql, sizeof(sql),
		 "SELECT coalesce(json_agg(t), '[]'::json)::text FROM "
		 "dashboard.%s($1::date, $2::date, $3, $4) t",
		 views[d->view]);
	if (pgc_query(d->pg, sql, 4, params, d->timeout_ms, on_rows, d) == 0)
		return; /* on_rows answers and frees d */
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
