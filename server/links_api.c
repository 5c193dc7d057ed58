/*
 * The invitations API (docs/links.md, "HTTP API"): links for the
 * provider's case system, their revocation and the due list. Bearer token
 * of role ingest, looked up through auth.c as the other APIs do. A 400
 * names the field and says why, never quoting a value; a token or a link
 * never reaches a log line.
 */
#include "links_internal.h"

#include "fremdrift/auth.h"
#include "fremdrift/buf.h"
#include "fremdrift/log.h"
#include "fremdrift/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum route { R_CREATE, R_REVOKE, R_DUE };

struct areq {
	struct links *links;
	struct http_req *req;
	enum route route;
	int csv;
	PGresult *due; /* the due list's rows, while links are issued */
	/* The token's source: it reaches only the courses it started. */
	char source[REC_SOURCE_MAX + 1];
};

static const char need_token[] = "a valid ingest token is required "
				 "(Authorization: Bearer <token>)";
static const char db_down[] = "the database is unreachable; try again "
			      "shortly";

static void respond_json(struct http_req *req, int status, json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	http_respond(req, status, "application/json", NULL, text, strlen(text));
	free(text);
	json_decref(o);
}

static void unavailable(struct http_req *req)
{
	http_respond_error(req, 503, "database_unavailable", db_down);
}

/* 400 naming field. */
static void bad_field(struct http_req *req, const char *field,
		      const char *reason)
{
	respond_json(req, 400, json_pack("{s:s, s:s, s:s}", "error",
					 "bad_request", "field", field,
					 "message", reason));
}

static void finish(struct areq *a)
{
	PQclear(a->due);
	free(a);
}

/* ---- POST /api/v1/invitations ---- */

static void on_created(struct pgc *c, PGresult *res, const char *error,
		       void *data)
{
	struct areq *a = data;
	struct links *l = a->links;
	const char *status;
	json_t *o;

	(void)c;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK ||
	    PQntuples(res) != 1) {
		log_error("links", "making a link failed: %s",
			  error ? error : "no result");
		unavailable(a->req);
		goto out;
	}
	status = PQgetvalue(res, 0, 0);
	if (strcmp(status, "unknown_course") == 0)
		http_respond_error(a->req, 404, "unknown_course",
				   "no course_started event has that course");
	else if (strcmp(status, "course_ended") == 0)
		http_respond_error(a->req, 409, "course_ended",
				   "the course has ended: it has no rounds "
				   "left");
	else if (strcmp(status, "unknown_instrument") == 0)
		bad_field(a->req, "instrument",
			  "not an instrument with a cadence for this "
			  "respondent (fremdrift.cadence)");
	else if ((o = links_get_json(res, 0, l->pseud, l->public_url)) == NULL)
		http_respond_error(a->req, 500, "internal", "the link could "
							    "not be made");
	else {
		int fresh = strcmp(status, "created") == 0 ||
			    strcmp(status, "renewed") == 0;

		log_info("links", "invitation %s (%s)", PQgetvalue(res, 0, 1),
			 status);
		respond_json(a->req, fresh ? 201 : 200, o);
	}
out:
	finish(a);
}

/* Reads the body of a create: course, respondent, instrument. 0, or -1
 * answered 400. */
static int read_create(struct areq *a, json_t *body, const char **course,
		       char *respondent, const char **instrument)
{
	const char *k, *resp;
	json_t *v;

	json_object_foreach(body, k, v) {
		if (strcmp(k, "course") != 0 && strcmp(k, "respondent") != 0 &&
		    strcmp(k, "instrument") != 0) {
			/* Named only when it is a plain word: a name could
			 * hold anything, a CPR number included. */
			size_t n = strspn(k, "abcdefghijklmnopqrstuvwxyz_");

			bad_field(a->req, n > 0 && n <= 40 && k[n] == '\0' ? k
									  : "?",
				  "unknown field; use course, respondent and "
				  "instrument");
			return -1;
		}
	}
	*course = json_string_value(json_object_get(body, "course"));
	resp = json_string_value(json_object_get(body, "respondent"));
	v = json_object_get(body, "instrument");
	*instrument = json_string_value(v);
	if (*course == NULL || **course == '\0' ||
	    strlen(*course) > REC_ID_MAX ||
	    !rec_text_ok(*course, strlen(*course))) {
		bad_field(a->req, "course", "required: the course key as the "
					    "case system sends it (text, at "
					    "most 128 characters)");
		return -1;
	}
	if (resp == NULL ||
	    (strcmp(resp, "citizen") != 0 && strcmp(resp, "consultant") != 0)) {
		bad_field(a->req, "respondent",
			  "required: citizen or consultant");
		return -1;
	}
	*respondent = resp[1] == 'i' ? 'c' : 'k';
	if ((v && !json_is_null(v) && *instrument == NULL) ||
	    (*instrument && (strlen(*instrument) >= INSTR_ID_MAX ||
			     !rec_text_ok(*instrument, strlen(*instrument))))) {
		bad_field(a->req, "instrument", "must be an instrument name");
		return -1;
	}
	return 0;
}

static void create(struct areq *a, json_t *body)
{
	struct links *l = a->links;
	char course[PSEUD_HEX_LEN + 1], resp[2] = {0, 0};
	char nonce[2 * LINK_NONCE_LEN + 1], hash[2 * LINK_HASH_LEN + 1];
	const char *key, *instrument, *params[6];

	if (read_create(a, body, &key, &resp[0], &instrument) != 0)
		goto fail;
	if (pseud_ident_hex(l->pseud, PSEUD_COURSE, key, strlen(key),
			    course) != 0 ||
	    links_fresh(l->pseud, nonce, hash) != 0) {
		http_respond_error(a->req, 500, "internal",
				   "the link could not be made");
		goto fail;
	}
	params[0] = course;
	params[1] = instrument ? instrument : "";
	params[2] = resp;
	params[3] = nonce;
	params[4] = hash;
	params[5] = a->source;
	if (pgc_query(l->pg, link_sql_get, 6, params, LINKS__DB_TIMEOUT_MS,
		      on_created, a) == 0)
		return;
	unavailable(a->req);
fail:
	finish(a);
}

/* ---- POST /api/v1/invitations/revoke ---- */

static void on_revoked(struct pgc *c, PGresult *res, const char *error,
		       void *data)
{
	struct areq *a = data;

	(void)c;
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		log_error("links", "revoking a link failed: %s",
			  error ? error : "no result");
		unavailable(a->req);
	} else if (atoi(PQcmdTuples(res)) == 0)
		http_respond_error(a->req, 404, "unknown_link",
				   "no open link has that token");
	else {
		log_info("links", "a link was revoked");
		respond_json(a->req, 200, json_pack("{s:i}", "revoked", 1));
	}
	finish(a);
}

static void revoke_link(struct areq *a, json_t *body)
{
	const char *url = json_string_value(json_object_get(body, "url"));
	const char *tok = json_string_value(json_object_get(body, "token"));
	const char *field = url ? "url" : "token";
	char token[LINK_TOKEN_LEN + 1], hex[2 * LINK_HASH_LEN + 1];
	unsigned char hash[LINK_HASH_LEN];
	const char *params[1] = {hex};

	if ((url == NULL) == (tok == NULL) ||
	    link_token_from(url ? url : tok, token) != 0) {
		bad_field(a->req, field, "give url (a link) or token, one of "
					 "them, as made by this server");
		goto fail;
	}
	if (link_token_hash(token, hash) != 0) {
		http_respond_error(a->req, 500, "internal", "hashing failed");
		goto fail;
	}
	memset(token, 0, sizeof(token));
	pseud_hex(hash, sizeof(hash), hex);
	if (pgc_query(a->links->pg, link_sql_revoke, 1, params,
		      LINKS__DB_TIMEOUT_MS, on_revoked, a) == 0)
		return;
	unavailable(a->req);
fail:
	finish(a);
}

/* ---- GET /api/v1/invitations/due ---- */

static void answer_due(struct areq *a, PGresult *issued)
{
	struct links *l = a->links;
	json_t *rows = links_due_json(a->due, issued, l->pseud, l->public_url);

	if (a->csv) {
		char *csv = links_due_csv(rows);

		http_respond(a->req, 200, "text/csv; charset=utf-8", NULL, csv,
			     strlen(csv));
		free(csv);
		json_decref(rows);
	} else
		respond_json(a->req, 200, json_pack("{s:o}", "due", rows));
	finish(a);
}

static void on_issued(struct pgc *c, PGresult *res, const char *error,
		      void *data)
{
	struct areq *a = data;

	(void)c;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_error("links", "making the due list's links failed: %s",
			  error ? error : "no result");
		unavailable(a->req);
		finish(a);
		return;
	}
	answer_due(a, res);
}

/* The due rounds are in: rounds without an open link get one (one query
 * for all), then the list is answered. */
static void on_due(struct pgc *c, PGresult *res, const char *error,
		   void *data)
{
	struct areq *a = data;
	char *params[5];
	int n, rc;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_error("links", "the due list failed: %s",
			  error ? error : "no result");
		unavailable(a->req);
		finish(a);
		return;
	}
	/* res is cleared when this returns: keep a copy of the rows. */
	a->due = PQcopyResult(res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
	n = links_due_need(a->due, a->links->pseud, params);
	if (n <= 0) {
		if (n == 0)
			for (int k = 0; k < 5; k++)
				free(params[k]);
		answer_due(a, NULL);
		return;
	}
	rc = pgc_query(c, link_sql_issue, 5, (const char *const *)params,
		       LINKS__DB_TIMEOUT_MS, on_issued, a);
	for (int k = 0; k < 5; k++)
		free(params[k]);
	if (rc != 0) {
		unavailable(a->req);
		finish(a);
	}
}

static void due(struct areq *a)
{
	const char *q = http_req_query(a->req);
	const char *src[1] = {a->source};

	a->csv = strcmp(q, "format=csv") == 0;
	if (*q && !a->csv && strcmp(q, "format=json") != 0) {
		bad_field(a->req, "format", "json or csv");
		finish(a);
		return;
	}
	if (pgc_query(a->links->pg, link_sql_due, 1, src, LINKS__DB_TIMEOUT_MS,
		      on_due, a) != 0) {
		unavailable(a->req);
		finish(a);
	}
}

/* ---- routing ---- */

static void run(struct areq *a)
{
	size_t len;
	const char *text;
	json_t *body;

	if (!a->links->env->ready) {
		http_respond_error(a->req, 503, "database_unavailable",
				   "the database cannot take links yet");
		finish(a);
		return;
	}
	if (a->route == R_DUE) {
		due(a);
		return;
	}
	text = http_req_body(a->req, &len);
	body = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(body)) {
		bad_field(a->req, "", "the body must be a JSON object");
		finish(a);
	} else if (a->route == R_CREATE)
		create(a, body);
	else
		revoke_link(a, body);
	json_decref(body);
}

static void after_auth(const char *source, const char *role, void *data)
{
	struct areq *a = data;

	if (role == NULL) {
		http_respond_error(a->req, 401, "unauthorized", need_token);
		finish(a);
	} else if (strcmp(role, "ingest") != 0) {
		http_respond_error(a->req, 403, "forbidden",
				   "this token may not make links");
		finish(a);
	} else {
		snprintf(a->source, sizeof(a->source), "%s", source);
		run(a);
	}
}

/* The route of path and method, or -1 answered (404, 405). */
static int route_of(struct http_req *req)
{
	const char *path = http_req_path(req) + strlen("/api/v1/invitations");
	const char *method = http_req_method(req);
	int want_get = strcmp(path, "/due") == 0;
	int r = *path == '\0'		      ? R_CREATE
		: strcmp(path, "/revoke") == 0 ? R_REVOKE
		: want_get		      ? R_DUE
					      : -1;

	if (r < 0) {
		http_respond_error(req, 404, "not_found", "no such resource");
		return -1;
	}
	if (strcmp(method, want_get ? "GET" : "POST") != 0) {
		char body[80];
		int n = snprintf(body, sizeof(body),
				 "{\"error\":\"method_not_allowed\","
				 "\"message\":\"use %s\"}",
				 want_get ? "GET" : "POST");

		http_respond(req, 405, "application/json",
			     want_get ? "Allow: GET\r\n" : "Allow: POST\r\n",
			     body, (size_t)n);
		return -1;
	}
	return r;
}

void links_handle_api(struct links *l, struct http_req *req)
{
	struct areq *a;
	int r = route_of(req);

	if (r < 0)
		return;
	a = fr_xcalloc(1, sizeof(*a));
	a->links = l;
	a->req = req;
	a->route = (enum route)r;
	if (auth_check(l->auth, http_req_header(req, "authorization"),
		       after_auth, a) != 0) {
		unavailable(req);
		free(a);
	}
}
