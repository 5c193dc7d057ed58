#include "fremdrift/rapi.h"
#include "fremdrift/auth.h"
#include "fremdrift/batch.h"
#include "fremdrift/copy_sink.h"
#include "fremdrift/log.h"

#include <jansson.h>
#include <limits.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FULL_BYTES (8u << 20)
#define FULL_RECORDS 20000

/*
 * A body larger than BIG_BODY is taken a slice at a time, SLICE_RECORDS
 * records (or array elements checked) per loop iteration, so that every
 * other connection, /health included, is served in between (issue 12: a
 * 200,000-record array held the loop for 2.6 s). Smaller bodies are taken
 * at once, as before: the common one-record POST pays nothing for this.
 * A slice of 2,000 records is a few milliseconds of work.
 */
#define BIG_BODY (1u << 20)
#define SLICE_RECORDS 2000

/* A batch whose buffers grew past this (a big body went through it) is
 * freed after its commit instead of kept for reuse, and the memory given
 * back to the system: one large request must not leave the server large. */
#define KEEP_BATCH_BYTES (32u << 20)

/*
 * Batches in flight at once, each in a transaction on a database
 * connection of its own: while one commits, the next group is written
 * beside it, and PostgreSQL flushes the WAL of commits that arrive
 * together once (issue 19). One side more than sinks is filling.
 */
#define NSINKS 2
#define NSIDES (NSINKS + 1)

enum take_stage { TAKE_CHECK, TAKE_ADD };

/*
 * One request to store records: an HTTP request (req), or records the
 * server built itself (rapi_store: recs, answered through cb instead of an
 * HTTP reply). Both go through the same batches, COPY and exactly-once
 * rule, and are answered after their batch's commit.
 */
struct rreq {
	struct records_api *api;
	struct http_req *req;    /* NULL for rapi_store */
	struct record *recs;     /* rapi_store: the records (owned) */
	int nrecs;
	rapi_store_cb cb;
	void *cbdata;
	char source[REC_SOURCE_MAX + 1];
	int accepted, duplicates, rows;
	json_t *rejected; /* made at the first rejection */
	struct rreq *next; /* in the wait queue or the queue of big bodies */
	/* Where taking the body has got to (a big body takes several loop
	 * iterations). The body stays valid until the request is answered. */
	struct rec_ctx ctx;
	const char *body;
	size_t len;
	int ndjson;
	int big;
	enum take_stage stage;
	struct rec_split split; /* a JSON body: the next element */
	size_t pos;             /* an NDJSON body: the next line */
	long index;             /* the index of the next record */
	int owner;              /* its place in the filling side's reqs */
};

struct side {
	struct batch batch;
	struct rreq **reqs;
	int nreqs, cap;
	int sink; /* the sink writing it, or -1 */
};

struct records_api {
	uv_loop_t *loop;
	struct ing_env *env;
	struct pseud_ctx *pseud;
	/* sinks[i] writes over pgs[i]; pgs[0] is shared with tokens, health
	 * and links, the others are the records' own (rapi_add_connection). */
	struct pgc *pgs[NSINKS];
	struct sink *sinks[NSINKS];
	int nsinks;
	struct side sides[NSIDES];
	int filling;        /* the side taking new records */
	uv_check_t check;
	struct rreq *wait_head, *wait_tail;
	struct auth *auth;
	/* The big body being taken (at most one at a time, which bounds the
	 * time a batch is held open for one), and those waiting their turn. */
	struct rreq *taking;
	struct rreq *big_head, *big_tail;
	uv_idle_t idle; /* active while a big body is being taken */
	int open_handles;
};

static void flush(struct records_api *api);

static void on_check(uv_check_t *h) { flush(h->data); }

static void on_idle(uv_idle_t *h);

struct records_api *rapi_new(uv_loop_t *loop, struct pgc *pg,
			     struct ing_env *env, struct auth *auth)
{
	struct records_api *api = fr_xcalloc(1, sizeof(*api));

	api->loop = loop;
	api->pgs[0] = pg;
	api->env = env;
	api->auth = auth;
	if (pseud_ctx_new(env->key.bytes, env->key.len, &api->pseud, NULL) != 0)
		abort(); /* the self-test passed; this cannot fail */
	api->sinks[0] = sink_new(pg);
	api->nsinks = 1;
	for (int i = 0; i < NSIDES; i++) {
		batch_init(&api->sides[i].batch, "http");
		api->sides[i].sink = -1;
	}
	uv_check_init(loop, &api->check);
	api->check.data = api;
	uv_check_start(&api->check, on_check);
	uv_idle_init(loop, &api->idle);
	api->idle.data = api;
	api->open_handles = 2;
	return api;
}

static void handle_closed(uv_handle_t *h)
{
	struct records_api *api = h->data;

	if (--api->open_handles > 0)
		return;
	for (int i = 0; i < NSIDES; i++) {
		batch_free(&api->sides[i].batch);
		free(api->sides[i].reqs);
	}
	for (int i = 0; i < api->nsinks; i++)
		sink_free(api->sinks[i]);
	pseud_ctx_free(api->pseud);
	free(api);
}

void rapi_close(struct records_api *api)
{
	uv_check_stop(&api->check);
	uv_idle_stop(&api->idle);
	uv_close((uv_handle_t *)&api->check, handle_closed);
	uv_close((uv_handle_t *)&api->idle, handle_closed);
}

int rapi_add_connection(struct records_api *api, struct pgc *pg)
{
	if (api->nsinks == NSINKS)
		return FR_ESTATE;
	api->pgs[api->nsinks] = pg;
	api->sinks[api->nsinks++] = sink_new(pg);
	return 0;
}

void rapi_connection_up(struct records_api *api)
{
	/* A sink whose own connection is still down stays waiting. */
	for (int i = 0; i < api->nsinks; i++)
		if (pgc_is_up(api->pgs[i]))
			sink_connection_up(api->sinks[i]);
}

/* 1 if some connection can take a batch. */
static int any_up(const struct records_api *api)
{
	for (int i = 0; i < api->nsinks; i++)
		if (pgc_is_up(api->pgs[i]))
			return 1;
	return 0;
}

/* ---- answers ---- */

/* Gives freed heap memory back to the system. glibc keeps freed memory for
 * reuse, and after a big body (thousands of rejection objects, a batch of
 * tens of MiB) that would leave the server large for ever. Called only
 * after big bodies: it walks the heap. */
static void give_back_memory(void)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

/* The answer to a rapi_store request: the first rejection, if any, says
 * why it failed. */
static void answer_cb(struct rreq *r)
{
	json_t *first = json_array_get(r->rejected, 0);
	char why[160];
	int rc = 0;

	why[0] = '\0';
	if (first) {
		snprintf(why, sizeof(why), "%s: %s",
			 json_string_value(json_object_get(first, "field")),
			 json_string_value(json_object_get(first, "reason")));
		rc = FR_EINVAL;
	}
	r->cb(rc, r->accepted, r->duplicates, rc ? why : NULL, r->cbdata);
	json_decref(r->rejected);
	free(r->recs);
	free(r);
}

static void answer(struct rreq *r)
{
	json_t *o;
	char *text;
	int big = r->big;

	if (r->cb) {
		answer_cb(r);
		return;
	}
	if (r->rejected == NULL) {
		/* The common answer, without building a document. */
		char small[96];
		int n = snprintf(small, sizeof(small),
				 "{\"accepted\":%d,\"duplicates\":%d,"
				 "\"rejected\":[]}",
				 r->accepted, r->duplicates);

		http_respond(r->req, 200, "application/json", NULL, small,
			     (size_t)n);
		free(r);
		return;
	}
	o = json_pack("{s:i, s:i, s:O}", "accepted", r->accepted, "duplicates",
		      r->duplicates, "rejected", r->rejected);
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	http_respond(r->req, 200, "application/json", NULL, text, strlen(text));
	free(text);
	json_decref(o);
	json_decref(r->rejected);
	free(r);
	if (big)
		give_back_memory();
}

static void fail_req(struct rreq *r, int status, const char *code,
		     const char *msg)
{
	int big = r->big;

	if (r->cb) {
		(void)status;
		(void)code;
		r->cb(FR_EDB, 0, 0, msg, r->cbdata);
		json_decref(r->rejected);
		free(r->recs);
		free(r);
		return;
	}
	http_respond_error(r->req, status, code, msg);
	json_decref(r->rejected);
	free(r);
	if (big)
		give_back_memory();
}

static void reject(struct rreq *r, long index, const struct fr_err *err)
{
	if (r->rejected == NULL)
		r->rejected = json_array();
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

/* Takes up to max NDJSON lines into the filling side; 1 if lines remain. */
static int add_ndjson(struct records_api *api, struct rreq *r, long max)
{
	struct side *side = &api->sides[api->filling];
	const char *end = r->body + r->len;

	for (long k = 0; k < max && r->pos < r->len; k++) {
		const char *p = r->body + r->pos;
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		size_t n = (size_t)(le - p);

		while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' '))
			n--;
		if (n > 0) {
			struct record rec;
			struct fr_err err;
			int rc;

			fr_err_clear(&err);
			rc = rec_parse_json(p, n, &r->ctx, &rec, &err);
			add_record(r, side, r->owner, r->index, rc, &rec, &err);
		}
		r->index++;
		r->pos = nl ? (size_t)(nl + 1 - r->body) : r->len;
	}
	return r->pos < r->len;
}

/* Takes up to max elements of a JSON body already checked whole
 * (check_json) into the filling side; 1 if elements remain. */
static int add_json(struct records_api *api, struct rreq *r, long max)
{
	struct side *side = &api->sides[api->filling];

	for (long k = 0; k < max; k++) {
		struct record rec;
		struct fr_err err;
		const char *elem;
		size_t elen;
		int rc;

		if (rec_split_next(&r->split, &elem, &elen, &err) != 1)
			return 0;
		fr_err_clear(&err);
		rc = rec_parse_json(elem, elen, &r->ctx, &rec, &err);
		add_record(r, side, r->owner, r->index++, rc, &rec, &err);
	}
	return 1;
}

/*
 * Checks up to max elements of a JSON body, before any record of it is
 * taken, so that a body that is not JSON is refused whole (400, saying
 * where), as it was when jansson parsed it whole. 1 if elements remain, 0
 * when the body is good (the splitter is then rewound for add_json), or
 * FR_EPARSE with the request answered.
 */
static int check_json(struct rreq *r, long max)
{
	struct fr_err err;
	const char *elem;
	size_t elen;
	int rc = 1;

	fr_err_clear(&err);
	for (long k = 0; k < max && rc == 1; k++)
		rc = rec_split_next(&r->split, &elem, &elen, &err);
	if (rc < 0) {
		fail_req(r, 400, "bad_body", err.msg);
		return rc;
	}
	if (rc == 0)
		rec_split_init(&r->split, r->body, r->len);
	return rc;
}

/* The two queues of requests (waiting for room, waiting to be taken). */
static void enqueue(struct rreq **head, struct rreq **tail, struct rreq *r)
{
	r->next = NULL;
	if (*tail)
		(*tail)->next = r;
	else
		*head = r;
	*tail = r;
}

static struct rreq *dequeue(struct rreq **head, struct rreq **tail)
{
	struct rreq *r = *head;

	if (r) {
		*head = r->next;
		if (*head == NULL)
			*tail = NULL;
	}
	return r;
}

/* Takes the records of a rapi_store request into the filling side. */
static void add_built(struct records_api *api, struct rreq *r)
{
	struct side *side = &api->sides[api->filling];

	for (int i = 0; i < r->nrecs; i++)
		add_record(r, side, r->owner, i, 0, &r->recs[i], NULL);
}

static int add_some(struct records_api *api, struct rreq *r, long max)
{
	return r->ndjson ? add_ndjson(api, r, max) : add_json(api, r, max);
}

static void push_req(struct side *side, struct rreq *r)
{
	if (side->nreqs == side->cap) {
		side->cap = side->cap ? side->cap * 2 : 64;
		side->reqs = fr_xrealloc(side->reqs,
					 (size_t)side->cap * sizeof(*side->reqs));
	}
	side->reqs[side->nreqs++] = r;
}

/* A body fully taken: answered at once if nothing of it is to be stored,
 * otherwise it waits in the filling side for its batch's commit. A big
 * body already holds its place there (begin_add). */
static void taken(struct records_api *api, struct rreq *r)
{
	struct side *side = &api->sides[api->filling];

	/* A rapi_store request whose records are all duplicates of rows
	 * already in this batch waits for the batch's commit all the same:
	 * its caller acts on the records being stored. */
	if (r->rows == 0 && r->cb && batch_count(&side->batch) > 0) {
		push_req(side, r);
		return;
	}
	if (r->rows == 0) {
		if (r->big && r->owner == side->nreqs - 1)
			side->nreqs--;
		else if (r->big)
			side->reqs[r->owner] = NULL; /* skipped by on_written */
		answer(r);
		return;
	}
	if (!r->big)
		push_req(side, r);
}

/* A big body starts going into the filling side: it takes its place among
 * the side's requests now, so that requests taken meanwhile come after
 * it, and the side is not written until the body is all in (flush). */
static void begin_add(struct records_api *api, struct rreq *r)
{
	struct side *side = &api->sides[api->filling];

	r->stage = TAKE_ADD;
	r->owner = side->nreqs;
	push_req(side, r);
}

/* Starts the next big body waiting, if any, and no other is being taken. */
static void next_big(struct records_api *api)
{
	struct rreq *r;

	if (api->taking || api->big_head == NULL)
		return;
	r = dequeue(&api->big_head, &api->big_tail);
	api->taking = r;
	if (r->ndjson)
		begin_add(api, r);
	uv_idle_start(&api->idle, on_idle);
}

/* One slice of the big body being taken, once per loop iteration. An
 * active idle handle also keeps the loop from sleeping in poll: other
 * connections are served between slices without waiting. */
static void on_idle(uv_idle_t *h)
{
	struct records_api *api = h->data;
	struct rreq *r = api->taking;
	int rc;

	if (r->stage == TAKE_CHECK) {
		rc = check_json(r, SLICE_RECORDS);
		if (rc == 0) {
			begin_add(api, r);
			return; /* its records go in from the next slice on */
		}
	} else {
		rc = add_some(api, r, SLICE_RECORDS);
		if (rc == 0)
			taken(api, r);
	}
	if (rc == 1)
		return;
	api->taking = NULL;
	uv_idle_stop(h);
	next_big(api);
	/* With the idle handle stopped the loop may now sleep in poll before
	 * the check handle runs: write the batch now. */
	flush(api);
}

/* Takes the body into the filling side: at once when it is small
 * (answered at once if nothing is to be stored), a slice per loop
 * iteration when it is big. */
static void take(struct records_api *api, struct rreq *r)
{
	if (r->recs) {
		r->owner = api->sides[api->filling].nreqs;
		add_built(api, r);
		taken(api, r);
		return;
	}
	r->body = http_req_body(r->req, &r->len);
	r->ndjson = is_type(http_req_header(r->req, "content-type"),
			    "application/x-ndjson");
	rec_split_init(&r->split, r->body, r->len);
	r->stage = r->ndjson ? TAKE_ADD : TAKE_CHECK;
	r->ctx.cat = &api->env->cat;
	r->ctx.pseud = api->pseud;
	r->ctx.key_no = api->env->key_no;
	r->ctx.default_source = r->source;
	cpr_today(&r->ctx.today);
	if (r->len > BIG_BODY) {
		r->big = 1;
		enqueue(&api->big_head, &api->big_tail, r);
		next_big(api);
		return;
	}
	if (!r->ndjson && check_json(r, LONG_MAX) < 0)
		return;
	r->owner = api->sides[api->filling].nreqs;
	add_some(api, r, LONG_MAX);
	taken(api, r);
}

static int side_full(const struct side *s)
{
	return batch_bytes(&s->batch) >= FULL_BYTES ||
	       batch_count(&s->batch) >= FULL_RECORDS;
}

/* Empties a written batch for reuse, or frees it when a big body made it
 * large (KEEP_BATCH_BYTES). */
static void release_batch(struct batch *b)
{
	if (b->resp.cap + b->ev.cap + b->keys.cap <= KEEP_BATCH_BYTES) {
		batch_reset(b);
		return;
	}
	batch_free(b);
	batch_init(b, "http");
	give_back_memory();
}

static void on_written(struct batch *b, int rc, const char *error, void *data)
{
	struct records_api *api = data;
	struct side *side = &api->sides[0];

	(void)error;
	for (int i = 1; i < NSIDES; i++)
		if (api->sides[i].batch.id == b->id)
			side = &api->sides[i];
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
		if (side->reqs[i] == NULL)
			continue; /* a big body with nothing to store */
		if (rc == 0)
			answer(side->reqs[i]);
		else
			fail_req(side->reqs[i], 500, "store_failed",
				 "the database refused the batch; nothing of "
				 "this request was stored");
	}
	side->nreqs = 0;
	side->sink = -1;
	release_batch(b);
	flush(api);
}

/* A free sink on a connection that is up, the records' own first (the
 * shared one carries tokens, health and links too); -1 if none. */
static int free_sink(const struct records_api *api)
{
	for (int i = api->nsinks - 1; i >= 0; i--)
		if (!sink_busy(api->sinks[i]) && pgc_is_up(api->pgs[i]))
			return i;
	return -1;
}

/* A side that no sink is writing, other than the filling one. */
static int next_side(const struct records_api *api)
{
	for (int i = 0; i < NSIDES; i++)
		if (i != api->filling && api->sides[i].sink < 0)
			return i;
	abort(); /* NSIDES is one more than the sinks that can hold one */
}

/* Once per loop iteration: write the filling side if the sink is free,
 * then let waiting requests in. */
static void flush(struct records_api *api)
{
	struct side *side = &api->sides[api->filling];

	/* Not while a big body is going into the filling side: its records
	 * must all be in one transaction, and it is answered after that. */
	int adding = api->taking && api->taking->stage == TAKE_ADD;
	int k = adding || side->nreqs == 0 ? -1 : free_sink(api);

	if (k >= 0 &&
	    sink_submit(api->sinks[k], &side->batch, on_written, api) == 0) {
		side->sink = k;
		api->filling = next_side(api);
		side = &api->sides[api->filling];
	}
	while (api->wait_head && !side_full(side))
		take(api, dequeue(&api->wait_head, &api->wait_tail));
}

/* ---- the handler ---- */

static const char need_token[] = "a valid ingest token is required "
				 "(Authorization: Bearer <token>)";

/* Stores the records of r, whose token was accepted on its headers, for
 * source. */
static void store(struct rreq *r, const char *source)
{
	struct records_api *api = r->api;

	if (!any_up(api) || !api->env->ready) {
		fail_req(r, 503, "database_unavailable",
			 "the database is unreachable; try again shortly");
		return;
	}
	snprintf(r->source, sizeof(r->source), "%s", source);
	if (api->wait_head || side_full(&api->sides[api->filling])) {
		/* No room: wait, unparsed, until a batch is written. */
		enqueue(&api->wait_head, &api->wait_tail, r);
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

int rapi_store(struct records_api *api, const struct record *recs, int n,
	       const char *source, rapi_store_cb cb, void *data)
{
	struct rreq *r;

	if (!any_up(api) || !api->env->ready)
		return FR_EDB;
	r = fr_xcalloc(1, sizeof(*r));
	r->api = api;
	r->cb = cb;
	r->cbdata = data;
	r->rejected = json_array();
	r->recs = fr_xmalloc((size_t)(n > 0 ? n : 1) * sizeof(*recs));
	memcpy(r->recs, recs, (size_t)n * sizeof(*recs));
	r->nrecs = n;
	snprintf(r->source, sizeof(r->source), "%s", source);
	if (api->wait_head || side_full(&api->sides[api->filling]))
		enqueue(&api->wait_head, &api->wait_tail, r);
	else
		take(api, r);
	return 0;
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
	store(r, source);
}
