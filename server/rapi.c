#include "fremdrift/rapi.h"
#include "fremdrift/auth.h"
#include "fremdrift/batch.h"
#include "fremdrift/copy_sink.h"
#include "fremdrift/log.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FULL_BYTES (8u << 20)
#define FULL_RECORDS 20000

struct rreq {
	struct records_api *api;
	struct http_req *req;
	char source[REC_SOURCE_MAX + 1];
	int accepted, duplicates, rows;
	json_t *rejected;
	struct rreq *next; /* in the wait queue */
};

struct side {
	struct batch batch;
	struct rreq **reqs;
	int nreqs, cap;
};

struct records_api {
	uv_loop_t *loop;
	struct pgc *pg;
	struct ing_env *env;
	struct pseud_ctx *pseud;
	struct sink *sink;
	struct side sides[2];
	int filling;        /* the side taking new records */
	uv_check_t check;
	struct rreq *wait_head, *wait_tail;
	struct auth *auth;
};

static void flush(struct records_api *api);

static void on_check(uv_check_t *h) { flush(h->data); }

struct records_api *rapi_new(uv_loop_t *loop, struct pgc *pg,
			     struct ing_env *env, struct auth *auth)
{
	struct records_api *api = fr_xcalloc(1, sizeof(*api));

	api->loop = loop;
	api->pg = pg;
	api->env = env;
	api->auth = auth;
	if (pseud_ctx_new(env->key.bytes, env->key.len, &api->pseud, NULL) != 0)
		abort(); /* the self-test passed; this cannot fail */
	api->sink = sink_new(pg);
	for (int i = 0; i < 2; i++)
		batch_init(&api->sides[i].batch, "http");
	uv_check_init(loop, &api->check);
	api->check.data = api;
	uv_check_start(&api->check, on_check);
	return api;
}

static void check_closed(uv_handle_t *h)
{
	struct records_api *api = h->data;

	for (int i = 0; i < 2; i++) {
		batch_free(&api->sides[i].batch);
		free(api->sides[i].reqs);
	}
	sink_free(api->sink);
	pseud_ctx_free(api->pseud);
	free(api);
}

void rapi_close(struct records_api *api)
{
	uv_check_stop(&api->check);
	uv_close((uv_handle_t *)&api->check, check_closed);
}

void rapi_connection_up(struct records_api *api)
{
	sink_connection_up(api->sink);
}

/* ---- answers ---- */

static void answer(struct rreq *r)
{
	json_t *o = json_pack("{s:i, s:i, s:O}", "accepted", r->accepted,
			      "duplicates", r->duplicates, "rejected",
			      r->rejected);
	char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	http_respond(r->req, 200, "application/json", NULL, text, strlen(text));
	free(text);
	json_decref(o);
	json_decref(r->rejected);
	free(r);
}

static void fail_req(struct rreq *r, int status, const char *code,
		     const char *msg)
{
	http_respond_error(r->req, status, code, msg);
	json_decref(r->rejected);
	free(r);
}

static void reject(struct rreq *r, long index, const struct fr_err *err)
{
	json_array_append_new(r->rejected,
			      json_pack("{s:i, s:s, s:s}", "index", (json_int_t)index,
					"field", err->field, "reason", err->msg));
}

/* ---- parsing a request into the filling batch ---- */

static void add_record(struct rreq *r, struct side *side, int owner,
		       long index, int rc, const struct record *rec,
		       const struct fr_err *err)
{
	if (rc != 0) {
		reject(r, index, err);
		return;
	}
	if (strcmp(rec->source, r->source) != 0) {
		/* A token writes only its own source: a record naming another
		 * could otherwise take that source's ids and make its own
		 * records duplicates (issue 12). The name is not echoed. */
		struct fr_err e;

		fr_err_set(&e, FR_EINVAL, "source",
			   "the token's source differs from this record's "
			   "source; a token stores records only in its own "
			   "source");
		reject(r, index, &e);
		return;
	}
	rc = batch_add_at(&side->batch, rec, owner, index);
	if (rc == 0) {
		r->accepted++;
		r->rows++;
	} else if (rc == 1) {
		r->duplicates++;
	} else {
		struct fr_err e;

		fr_err_set(&e, FR_ETOOBIG, "", "the server's batch is full; "
					       "send it again");
		reject(r, index, &e);
	}
}

static int is_type(const char *ct, const char *want)
{
	size_t n = strlen(want);

	return ct && strncasecmp(ct, want, n) == 0 &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Parses the body into the filling side; answers at once if nothing to
 * store. */
static void take(struct records_api *api, struct rreq *r)
{
	struct side *side = &api->sides[api->filling];
	const char *ct = http_req_header(r->req, "content-type");
	struct rec_ctx ctx;
	struct record rec;
	struct fr_err err;
	size_t len;
	const char *body = http_req_body(r->req, &len);
	int owner = side->nreqs;

	memset(&ctx, 0, sizeof(ctx));
	ctx.cat = &api->env->cat;
	ctx.pseud = api->pseud;
	ctx.key_no = api->env->key_no;
	ctx.default_source = r->source;
	cpr_today(&ctx.today);

	if (is_type(ct, "application/x-ndjson")) {
		const char *p = body, *end = body + len;
		long index = 0;

		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *le = nl ? nl : end;
			size_t n = (size_t)(le - p);

			while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' '))
				n--;
			if (n > 0) {
				int rc;

				fr_err_clear(&err);
				rc = rec_parse_json(p, n, &ctx, &rec, &err);
				add_record(r, side, owner, index, rc, &rec, &err);
			}
			index++;
			p = nl ? nl + 1 : end;
		}
	} else {
		json_error_t jerr;
		json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
		size_t i;
		json_t *v;

		if (doc == NULL || (!json_is_array(doc) && !json_is_object(doc))) {
			char msg[128];

			snprintf(msg, sizeof(msg),
				 "the body is not a JSON array of records "
				 "(line %d, column %d)",
				 jerr.line, jerr.column);
			json_decref(doc);
			fail_req(r, 400, "bad_body", msg);
			return;
		}
		if (json_is_object(doc)) {
			json_t *arr = json_array();

			json_array_append_new(arr, doc);
			doc = arr;
		}
		json_array_foreach(doc, i, v) {
			int rc;

			fr_err_clear(&err);
			rc = rec_from_json_object(v, &ctx, &rec, &err);
			add_record(r, side, owner, (long)i, rc, &rec, &err);
		}
		json_decref(doc);
	}
	if (r->rows == 0) {
		answer(r);
		return;
	}
	if (side->nreqs == side->cap) {
		side->cap = side->cap ? side->cap * 2 : 64;
		side->reqs = fr_xrealloc(side->reqs,
					 (size_t)side->cap * sizeof(*side->reqs));
	}
	side->reqs[side->nreqs++] = r;
}

static int side_full(const struct side *s)
{
	return batch_bytes(&s->batch) >= FULL_BYTES ||
	       batch_count(&s->batch) >= FULL_RECORDS;
}

static void on_written(struct batch *b, int rc, const char *error, void *data)
{
	struct records_api *api = data;
	struct side *side = api->sides[0].batch.id == b->id ? &api->sides[0]
							    : &api->sides[1];

	(void)error;
	for (int i = 0; i < b->nresp; i++)
		if (b->resp_dup[i]) {
			side->reqs[b->resp_owner[i]]->duplicates++;
			side->reqs[b->resp_owner[i]]->accepted--;
		}
	for (int i = 0; i < b->nev; i++)
		if (b->ev_dup[i]) {
			side->reqs[b->ev_owner[i]]->duplicates++;
			side->reqs[b->ev_owner[i]]->accepted--;
		}
	/* A row the database refused is rejected in its own request; the
	 * others in the batch are stored all the same. */
	for (int i = 0; i < b->nrefused; i++) {
		const struct batch_refusal *f = &b->refused[i];
		struct rreq *r = side->reqs[f->is_resp ? b->resp_owner[f->row]
						       : b->ev_owner[f->row]];
		struct fr_err e;

		fr_err_set(&e, FR_EINVAL, f->field, "%s", f->reason);
		r->accepted--;
		reject(r, (long)(f->is_resp ? b->resp_where[f->row]
					    : b->ev_where[f->row]),
		       &e);
	}
	for (int i = 0; i < side->nreqs; i++) {
		if (rc == 0)
			answer(side->reqs[i]);
		else
			fail_req(side->reqs[i], 500, "store_failed",
				 "the database refused the batch; nothing of "
				 "this request was stored");
	}
	side->nreqs = 0;
	batch_reset(b);
	flush(api);
}

/* Once per loop iteration: write the filling side if the sink is free,
 * then let waiting requests in. */
static void flush(struct records_api *api)
{
	struct side *side = &api->sides[api->filling];

	if (!sink_busy(api->sink) && side->nreqs > 0) {
		if (sink_submit(api->sink, &side->batch, on_written, api) == 0)
			api->filling = 1 - api->filling;
		side = &api->sides[api->filling];
	}
	while (api->wait_head && !side_full(side)) {
		struct rreq *r = api->wait_head;

		api->wait_head = r->next;
		if (api->wait_head == NULL)
			api->wait_tail = NULL;
		take(api, r);
	}
}

/* ---- the handler ---- */

static const char need_token[] = "a valid ingest token is required "
				 "(Authorization: Bearer <token>)";

/* Stores the records of r, whose token was accepted on its headers, for
 * source. */
static void store(struct rreq *r, const char *source)
{
	struct records_api *api = r->api;

	if (!pgc_is_up(api->pg) || !api->env->ready) {
		fail_req(r, 503, "database_unavailable",
			 "the database is unreachable; try again shortly");
		return;
	}
	snprintf(r->source, sizeof(r->source), "%s", source);
	if (api->wait_head || side_full(&api->sides[api->filling])) {
		/* No room: wait, unparsed, until a batch is written. */
		if (api->wait_tail)
			api->wait_tail->next = r;
		else
			api->wait_head = r;
		api->wait_tail = r;
		return;
	}
	take(api, r);
}

/* The token looked up on the headers: only an ingest token's request has
 * its body read; the source goes to rapi_handle as the request's note. */
static void after_auth(const char *source, const char *role, void *data)
{
	struct http_req *req = data;

	if (source == NULL) {
		http_req_headers_done(req, 401, "unauthorized", need_token);
		return;
	}
	if (strcmp(role, "ingest") != 0) {
		http_req_headers_done(req, 403, "forbidden",
				      "this token may not store records");
		return;
	}
	http_req_set_note(req, source);
	http_req_headers_done(req, 0, NULL, NULL);
}

/* "Bearer fr_" and 64 lower-case hex digits, as tokens.c makes them. */
static int token_shaped(const char *a)
{
	size_t n;

	if (a == NULL || strncasecmp(a, "Bearer ", 7) != 0)
		return 0;
	a += 7;
	while (*a == ' ')
		a++;
	if (strncmp(a, "fr_", 3) != 0)
		return 0;
	n = strspn(a + 3, "0123456789abcdef");
	return n == 64 && a[3 + n] == '\0';
}

int rapi_check_headers(struct records_api *api, struct http_req *req,
		       const char **code, const char **message)
{
	const char *a = http_req_header(req, "authorization");

	if (strcmp(http_req_method(req), "POST") != 0)
		return 0; /* answered 405 without a body */
	if (!token_shaped(a)) {
		*code = "unauthorized";
		*message = need_token;
		return 401;
	}
	/* A cached token answers inside this call; another is looked up
	 * while the connection waits, unread, holding no body. */
	if (auth_check(api->auth, a, after_auth, req) != 0) {
		*code = "database_unavailable";
		*message = "the database is unreachable; try again shortly";
		return 503;
	}
	return HTTP_HEADERS_LATER;
}

void rapi_handle(struct records_api *api, struct http_req *req)
{
	const char *ct = http_req_header(req, "content-type");
	const char *source = http_req_note(req);
	struct rreq *r;

	static const char use_post[] =
		"{\"error\":\"method_not_allowed\",\"message\":\"use POST\"}";

	if (strcmp(http_req_method(req), "POST") != 0) {
		http_respond(req, 405, "application/json", "Allow: POST\r\n",
			     use_post, sizeof(use_post) - 1);
		return;
	}
	if (*source == '\0') {
		/* Not checked on its headers (rapi_check_headers): refuse
		 * rather than trust. */
		http_respond_error(req, 401, "unauthorized", need_token);
		return;
	}
	if (!is_type(ct, "application/x-ndjson") &&
	    !is_type(ct, "application/json")) {
		http_respond_error(req, 415, "unsupported_media_type",
				   "send application/x-ndjson or "
				   "application/json");
		return;
	}
	r = fr_xcalloc(1, sizeof(*r));
	r->api = api;
	r->req = req;
	r->rejected = json_array();
	store(r, source);
}
