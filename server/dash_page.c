/*
 * The leadership page (dash_page.h): sessions, filters, one query per
 * view, and the answers. The HTML, charts and CSV are dash_render.h's.
 *
 * A page view is one round trip: fremdrift.dash_page_session() checks and
 * touches the session and calls fremdrift.dash_page() only when it is good
 * (an IF in plpgsql, so nothing is read for anyone else).
 * Neither a token nor a session id is ever logged or put in a URL.
 */
#include "fremdrift/dash_page.h"

#include "fremdrift/buf.h"
#include "fremdrift/dapi.h"
#include "fremdrift/dash_render.h"
#include "fremdrift/log.h"
#include "fremdrift/page_render.h"
#include "fremdrift/pseudonym.h"

#include "page_headers.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_MAX (4 * 1024 * 1024)
#define QUERY_TIMEOUT_MS 10000
#define SESSION_HEX 64
#define TOKEN_MAX 256
#define NEXT_MAX 200

struct dpage {
	struct pgc *pg;
	char css[64], dcss[64], js[64];
	char origin[256]; /* the public scheme://authority */
	int secure;
	/* the cookie's name: __Host- when Secure, so no other host of the
	 * domain can set or shadow it */
	const char *cookie;
	/* single sign-on: the header ("" off), the proxy, "Log ud" */
	char sso_header[65];
	unsigned char sso_from[16];
	char sso_logout[256];
};

/* One request while it waits on the database. */
struct dreqp {
	struct dpage *d;
	struct http_req *req;
	int csv;
	/* The filters as asked: "" when not given (all, or the latest). */
	char period[16], department[48], target_group[48];
	char next[NEXT_MAX + 1];
	char session[SESSION_HEX + 1]; /* a new session's id (login) */
	int sso; /* signed in by the single sign-on proxy */
	int signed_in; /* a session or the proxy: the bar offers "Log ud" */
};

struct dpage *dpage_new(struct pgc *pg, const char *css, const char *dcss,
			const char *js, const char *public_url)
{
	struct dpage *d = fr_xcalloc(1, sizeof(*d));
	const char *host = strstr(public_url, "://");
	size_t n = host ? (size_t)(host + 3 - public_url) +
				  strcspn(host + 3, "/?#")
			: 0;

	d->pg = pg;
	snprintf(d->css, sizeof(d->css), "%s", css);
	snprintf(d->dcss, sizeof(d->dcss), "%s", dcss);
	snprintf(d->js, sizeof(d->js), "%s", js);
	snprintf(d->origin, sizeof(d->origin), "%.*s", (int)n, public_url);
	d->secure = strncmp(public_url, "https://", 8) == 0;
	d->cookie = d->secure ? "__Host-" DASH_COOKIE : DASH_COOKIE;
	return d;
}

void dpage_free(struct dpage *d)
{
	free(d);
}

int dpage_sso(struct dpage *d, const char *header, const char *from,
	      const char *logout)
{
	if (http_addr_parse(from, d->sso_from) != 0)
		return -1;
	snprintf(d->sso_header, sizeof(d->sso_header), "%s", header);
	snprintf(d->sso_logout, sizeof(d->sso_logout), "%s",
		 logout ? logout : "");
	return 0;
}

/* 1 when the single sign-on proxy vouches for the request: it comes from
 * the proxy's address with the proxy's header. The header's value (a
 * person's name or id) is neither logged nor kept. */
static int sso_user(const struct dpage *d, const struct http_req *req)
{
	unsigned char peer[16];
	const char *v;

	if (d->sso_header[0] == '\0')
		return 0;
	http_req_peer(req, peer);
	v = http_req_header(req, d->sso_header);
	/* Once exactly: a proxy that adds its header after the client's
	 * (instead of replacing it) must not let the client's count. */
	return memcmp(peer, d->sso_from, 16) == 0 && v && *v &&
	       http_req_header_count(req, d->sso_header) == 1;
}

int dpage_owns(const char *path)
{
	return strncmp(path, "/dashboard", 10) == 0 &&
	       (path[10] == '\0' || path[10] == '/');
}

/* ------------------------------------------------------------------ */
/* Cookies */

/* The session id of the request's cookie (64 lowercase hex digits) into
 * out; 0 when there is none of that shape. An entry of another shape is
 * skipped, so a malformed cookie (set by someone else for a narrower
 * path, say) cannot hide the real one. */
static int cookie_session(const struct dpage *d, const struct http_req *req,
			  char *out)
{
	const char *p = http_req_header(req, "cookie");
	size_t n = strlen(d->cookie);

	while (p && *p) {
		p += strspn(p, " ;");
		if (strncmp(p, d->cookie, n) == 0 && p[n] == '=' &&
		    strspn(p + n + 1, "0123456789abcdef") == SESSION_HEX &&
		    strchr("; ", p[n + 1 + SESSION_HEX]) != NULL) {
			memcpy(out, p + n + 1, SESSION_HEX);
			out[SESSION_HEX] = '\0';
			return 1;
		}
		p = strchr(p, ';');
	}
	return 0;
}

int dpage_has_cookie(const struct dpage *d, const struct http_req *req)
{
	char id[SESSION_HEX + 1];

	return cookie_session(d, req, id);
}

/* "\x" and the hex SHA-256 of s: a bytea parameter. */
static void sha256_param(const char *s, size_t len, char out[2 + 64 + 1])
{
	unsigned char hash[32];
	unsigned int n = 0;

	EVP_Digest(s, len, hash, &n, EVP_sha256(), NULL);
	memcpy(out, "\\x", 2);
	pseud_hex(hash, 32, out + 2);
}

static void set_cookie(const struct dpage *d, const char *id, char *out,
		       size_t size)
{
	snprintf(out, size,
		 "Set-Cookie: %s=%s; Path=/; HttpOnly; SameSite=Strict; "
		 "Max-Age=%d%s\r\n",
		 d->cookie, id ? id : "", id ? DASH_SESSION_HOURS * 3600 : 0,
		 d->secure ? "; Secure" : "");
}

/* ------------------------------------------------------------------ */
/* Answers */

static void send_html(struct http_req *req, int status, const char *extra,
		 const struct fr_buf *b)
{
	char headers[1024];

	snprintf(headers, sizeof(headers), "%s%s%s", SECURITY_HEADERS,
		 NO_STORE, extra ? extra : "");
	http_respond(req, status, HTML, headers, b->data, b->len);
}

static void ctx_of(const struct dreqp *q, struct dr_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->css = q->d->css;
	c->dcss = q->d->dcss;
	c->sso = q->sso;
	c->signed_in = q->signed_in;
	c->sso_logout = q->d->sso_logout[0] ? q->d->sso_logout : NULL;
	c->js = q->d->js;
}

static void signin(struct dreqp *q, int status, enum dr_signin_msg m,
		   int clear)
{
	struct fr_buf b;
	struct dr_ctx c;
	char cookie[256] = "";

	ctx_of(q, &c);
	if (clear)
		set_cookie(q->d, NULL, cookie, sizeof(cookie));
	fr_buf_init(&b, PAGE_MAX);
	if (dr_signin(&b, &c, m, q->next) != 0)
		fr_buf_reset(&b);
	send_html(q->req, status, cookie, &b);
	fr_buf_free(&b);
}

static void problem(struct dreqp *q, int status, const char *title,
		    const char *text)
{
	struct fr_buf b;
	struct dr_ctx c;

	ctx_of(q, &c);
	fr_buf_init(&b, PAGE_MAX);
	if (dr_problem(&b, &c, title, text) != 0)
		fr_buf_reset(&b);
	send_html(q->req, status,
		  status == 503   ? "Retry-After: 30\r\n"
		  : status == 405 ? "Allow: GET, POST\r\n"
				  : NULL,
		  &b);
	fr_buf_free(&b);
}

static void see_other(struct http_req *req, const char *location,
		      const char *extra)
{
	char headers[1024];

	snprintf(headers, sizeof(headers), "%s%sLocation: %s\r\n%s",
		 SECURITY_HEADERS, NO_STORE, location, extra ? extra : "");
	http_respond(req, 303, NULL, headers, NULL, 0);
}

/* The page or the CSV from a good answer of dash_page(). */
static void show(struct dreqp *q, const char *body, size_t len)
{
	struct dr_model *m = fr_xcalloc(1, sizeof(*m));
	struct fr_err err;
	struct fr_buf b;
	struct dr_ctx c;
	int rc;

	fr_err_clear(&err);
	if (dr_model_parse(body, len, m, &err) != 0) {
		log_error("dashpage", "%s", err.msg);
		dr_model_free(m);
		free(m);
		problem(q, 500, "Tallene kan ikke vises",
			"Der gik noget galt hos os. Prøv igen om lidt.");
		return;
	}
	if (m->dropped)
		log_warning("dashpage", "%d figures not shown: a view has more "
					"than %d categories",
			    m->dropped, DR_MAX_KEYS);
	ctx_of(q, &c);
	fr_buf_init(&b, PAGE_MAX);
	rc = q->csv ? dr_csv(&b, m) : dr_page(&b, &c, m);
	if (rc != 0) {
		log_error("dashpage", "the page did not fit in %d bytes",
			  PAGE_MAX);
		problem(q, 500, "Tallene kan ikke vises",
			"Siden blev for stor. Vælg færre tal.");
	} else if (q->csv) {
		char headers[1024], name[160];

		dr_csv_name(m, name, sizeof(name));
		snprintf(headers, sizeof(headers),
			 "%s%sContent-Disposition: attachment; "
			 "filename=\"%s\"\r\n",
			 SECURITY_HEADERS, NO_STORE, name);
		http_respond(q->req, 200, "text/csv; charset=utf-8", headers,
			     b.data, b.len);
	} else
		send_html(q->req, 200, NULL, &b);
	fr_buf_free(&b);
	dr_model_free(m);
	free(m);
}

/* A 400 or 503 of dash_page(), in Danish. */
static void refused(struct dreqp *q, int status, const char *body)
{
	if (status == 503)
		problem(q, 503, "Der er ingen tal endnu",
			"Tallene laves hver nat, og et kvartal vises først, "
			"når det er slut. Kom tilbage senere.");
	else if (strstr(body, "department"))
		problem(q, 400, "Afdelingen findes ikke",
			"Vælg en afdeling på listen.");
	else if (strstr(body, "target_group"))
		problem(q, 400, "Målgruppen findes ikke",
			"Vælg en målgruppe på listen.");
	else
		problem(q, 400, "Perioden er ikke offentliggjort",
			"Et kvartal eller et år vises først, når det er slut. "
			"Vælg en periode på listen.");
}

static void on_view(struct pgc *c, PGresult *res, const char *error,
		    void *data)
{
	struct dreqp *q = data;

	(void)c;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK ||
	    PQntuples(res) != 1) {
		log_warning("dashpage", "the page could not be read: %s",
			    error ? error : "no answer");
		problem(q, 503, "Tallene kan ikke vises lige nu",
			"Databasen svarer ikke. Prøv igen om lidt.");
	} else if (strcmp(PQgetvalue(res, 0, 0), "t") != 0)
		signin(q, 200, DR_SIGNIN_EXPIRED, 1);
	else if (strcmp(PQgetvalue(res, 0, 1), "200") == 0)
		show(q, PQgetvalue(res, 0, 2), (size_t)PQgetlength(res, 0, 2));
	else
		refused(q, atoi(PQgetvalue(res, 0, 1)), PQgetvalue(res, 0, 2));
	free(q);
}

/* ------------------------------------------------------------------ */
/* Filters */

/* Reads filter name of the query into out ("" when absent or empty).
 * 0, or -1 when the value has the wrong shape. */
static int filter(const char *query, const char *name, int period, char *out,
		  size_t size)
{
	int got = pr_form_get(query, strlen(query), name, out, size);

	if (got <= 0) {
		out[0] = '\0';
		return got;
	}
	if (out[0] == '\0')
		return 0;
	return (period ? dapi_period_ok(out, strlen(out))
		       : dapi_code_ok(out, strlen(out)))
		       ? 0
		       : -1;
}

static int read_filters(struct dreqp *q, const char *query)
{
	int bad = 0;

	bad |= filter(query, "period", 1, q->period, sizeof(q->period));
	bad |= filter(query, "department", 0, q->department,
		      sizeof(q->department));
	bad |= filter(query, "target_group", 0, q->target_group,
		      sizeof(q->target_group));
	return bad ? -1 : 0;
}

/* The query to come back to after signing in: kept only when made of the
 * characters the filters use. */
static void keep_next(struct dreqp *q, const char *query)
{
	size_t n = strlen(query);

	q->next[0] = '\0';
	if (n <= NEXT_MAX &&
	    strspn(query, "abcdefghijklmnopqrstuvwxyzQ0123456789_=&-") == n)
		memcpy(q->next, query, n + 1);
}

static const char *or_null(const char *s)
{
	return s[0] ? s : NULL;
}

/* The page's one query: for a leader the single sign-on proxy vouched
 * for, the figures alone; else the session checked (and kept alive) and
 * then the figures, in one statement. */
static void view(struct dreqp *q, const char *session)
{
	char hash[2 + 64 + 1], idle[16];
	const char *params[5] = {hash, or_null(q->period), or_null(q->department),
				 or_null(q->target_group), idle};
	int rc;

	if (q->sso)
		rc = pgc_query(q->d->pg,
			       "SELECT true, d.status, d.body FROM "
			       "fremdrift.dash_page($1, $2, $3) d",
			       3, params + 1, QUERY_TIMEOUT_MS, on_view, q);
	else {
		sha256_param(session, SESSION_HEX, hash);
		snprintf(idle, sizeof(idle), "%d", DASH_SESSION_IDLE_MIN);
		rc = pgc_query(q->d->pg,
			       "SELECT ok, status, body FROM "
			       "fremdrift.dash_page_session($1, $5, $2, $3, $4)",
			       5, params, QUERY_TIMEOUT_MS, on_view, q);
	}
	if (rc == 0)
		return;
	problem(q, 503, "Tallene kan ikke vises lige nu",
		"Databasen svarer ikke. Prøv igen om lidt.");
	free(q);
}

static void handle_get(struct dreqp *q, const char *rest)
{
	char session[SESSION_HEX + 1];
	const char *query = http_req_query(q->req);

	keep_next(q, query);
	q->csv = strcmp(rest, "/csv") == 0;
	if (rest[0] != '\0' && !q->csv) {
		problem(q, 404, "Siden findes ikke",
			"Ledelsens tal ligger på /dashboard.");
		free(q);
		return;
	}
	q->sso = sso_user(q->d, q->req);
	q->signed_in = q->sso || cookie_session(q->d, q->req, session);
	if (!q->signed_in) {
		signin(q, 200, DR_SIGNIN, 0);
		free(q);
		return;
	}
	if (read_filters(q, query) != 0) {
		problem(q, 400, "Filteret kan ikke bruges",
			"En periode skrives som 2025 eller 2025-Q3, en afdeling "
			"og en målgruppe vælges på listen.");
		free(q);
		return;
	}
	view(q, session);
}

/* ------------------------------------------------------------------ */
/* Signing in and out */

static void on_login(struct pgc *c, PGresult *res, const char *error,
		     void *data)
{
	struct dreqp *q = data;
	char cookie[256], location[16 + NEXT_MAX];

	(void)c;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK ||
	    PQntuples(res) != 1) {
		log_warning("dashpage", "sign-in failed: %s",
			    error ? error : "no answer");
		problem(q, 503, "Du kan ikke logge ind lige nu",
			"Databasen svarer ikke. Prøv igen om lidt.");
	} else if (PQgetisnull(res, 0, 0))
		signin(q, 401, DR_SIGNIN_UNKNOWN, 0);
	else if (strcmp(PQgetvalue(res, 0, 0), "dashboard") != 0)
		signin(q, 403, DR_SIGNIN_ROLE, 0);
	else {
		log_info("dashpage", "signed in with a dashboard token of %s",
			 PQgetvalue(res, 0, 1));
		set_cookie(q->d, q->session, cookie, sizeof(cookie));
		snprintf(location, sizeof(location), "/dashboard%s%s",
			 q->next[0] ? "?" : "", q->next);
		see_other(q->req, location, cookie);
	}
	free(q);
}

static void login(struct dreqp *q)
{
	size_t len;
	const char *body = http_req_body(q->req, &len);
	char token[TOKEN_MAX + 1], next[NEXT_MAX + 1], thash[2 + 64 + 1];
	char shash[2 + 64 + 1], idle[16], hours[16];
	unsigned char raw[32];
	const char *params[4], *tok;
	size_t tl;

	if (pr_form_get(body, len, "next", next, sizeof(next)) == 1)
		keep_next(q, next);
	if (pr_form_get(body, len, "token", token, sizeof(token)) != 1) {
		signin(q, 401, DR_SIGNIN_UNKNOWN, 0);
		free(q);
		return;
	}
	/* The token as pasted: without the blanks around it, and nothing
	 * else beside it. */
	tok = token + strspn(token, " \t\r\n");
	tl = strcspn(tok, " \t\r\n");
	if (tl == 0 || tok[tl + strspn(tok + tl, " \t\r\n")] != '\0') {
		OPENSSL_cleanse(token, sizeof(token));
		signin(q, 401, DR_SIGNIN_UNKNOWN, 0);
		free(q);
		return;
	}
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		problem(q, 503, "Du kan ikke logge ind lige nu",
			"Prøv igen om lidt.");
		free(q);
		return;
	}
	pseud_hex(raw, sizeof(raw), q->session);
	sha256_param(q->session, SESSION_HEX, shash);
	sha256_param(tok, tl, thash);
	OPENSSL_cleanse(token, sizeof(token));
	snprintf(idle, sizeof(idle), "%d", DASH_SESSION_IDLE_MIN);
	snprintf(hours, sizeof(hours), "%d", DASH_SESSION_HOURS);
	params[0] = shash;
	params[1] = thash;
	params[2] = idle;
	params[3] = hours;
	if (pgc_query(q->d->pg,
		      "WITH t AS (SELECT token_sha256, role, source FROM "
		      "fremdrift.api_tokens WHERE token_sha256 = $2 AND "
		      "revoked_at IS NULL), gc AS (DELETE FROM "
		      "fremdrift.web_sessions WHERE expires_at < now() OR "
		      "last_seen < now() - make_interval(mins => $3::integer)), "
		      "ins AS (INSERT INTO fremdrift.web_sessions (id_sha256, "
		      "token_sha256, expires_at) SELECT $1, token_sha256, now() "
		      "+ make_interval(hours => $4::integer) FROM t WHERE role "
		      "= 'dashboard' RETURNING 1) SELECT (SELECT role FROM t), "
		      "(SELECT source FROM t), (SELECT count(*) FROM ins)",
		      4, params, QUERY_TIMEOUT_MS, on_login, q) == 0)
		return;
	problem(q, 503, "Du kan ikke logge ind lige nu",
		"Databasen svarer ikke. Prøv igen om lidt.");
	free(q);
}

static void on_logout(struct pgc *c, PGresult *res, const char *error,
		      void *data)
{
	struct dreqp *q = data;

	(void)c;
	(void)res;
	if (error)
		log_warning("dashpage", "sign-out: %s", error);
	signin(q, 200, DR_SIGNED_OUT, 1);
	free(q);
}

static void logout(struct dreqp *q)
{
	char session[SESSION_HEX + 1], hash[2 + 64 + 1];
	const char *params[1] = {hash};

	if (!cookie_session(q->d, q->req, session)) {
		signin(q, 200, DR_SIGNED_OUT, 1);
		free(q);
		return;
	}
	sha256_param(session, SESSION_HEX, hash);
	if (pgc_query(q->d->pg,
		      "DELETE FROM fremdrift.web_sessions WHERE id_sha256 = $1",
		      1, params, QUERY_TIMEOUT_MS, on_logout, q) == 0)
		return;
	problem(q, 503, "Du kan ikke logge ud lige nu",
		"Databasen svarer ikke. Luk browseren, så er du logget ud, "
		"når sessionen udløber.");
	free(q);
}

static void handle_post(struct dreqp *q, const char *rest)
{
	int in = strcmp(rest, "/login") == 0, out = strcmp(rest, "/logout") == 0;

	if (!in && !out) {
		problem(q, 405, "Siden findes ikke", "Brug formularen på siden.");
		free(q);
	} else if (!http_req_same_origin(q->req, q->d->origin)) {
		problem(q, 403, "Formularen kom fra en anden side",
			"Log ind fra fremdrifts egen side.");
		free(q);
	} else if (in)
		login(q);
	else
		logout(q);
}

void dpage_handle(struct dpage *d, struct http_req *req)
{
	const char *method = http_req_method(req);
	const char *rest = http_req_path(req) + 10;
	struct dreqp *q = fr_xcalloc(1, sizeof(*q));

	q->d = d;
	q->req = req;
	if (strcmp(method, "GET") == 0)
		handle_get(q, rest);
	else if (strcmp(method, "POST") == 0)
		handle_post(q, rest);
	else {
		problem(q, 405, "Siden findes ikke", "Brug siden i en browser.");
		free(q);
	}
}
