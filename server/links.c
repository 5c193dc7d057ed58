/*
 * Link state (docs/links.md): a token looked up by its hash, wrong tokens
 * answered slowly and counted per client, the draft kept as answers come,
 * and the draft stored as the round's response through the records
 * pipeline (rapi_store). The invitations API is links_api.c's.
 */
#include "links_internal.h"

#include "fremdrift/buf.h"
#include "fremdrift/log.h"
#include "fremdrift/rapi.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>


struct links *links_new(uv_loop_t *loop, struct pgc *pg, struct ing_env *env,
			struct records_api *api, struct auth *auth,
			const char *public_url)
{
	struct links *l;
	const char *host;
	size_t n;

	/* The origin is scheme://authority: what a browser sends as Origin. */
	host = strstr(public_url, "://");
	if (host == NULL || host[3] == '\0')
		return NULL;
	n = (size_t)(host + 3 - public_url) + strcspn(host + 3, "/?#");
	if (n >= LINKS_URL_MAX - LINK_TOKEN_LEN - 64)
		return NULL;
	l = fr_xcalloc(1, sizeof(*l));
	l->loop = loop;
	l->pg = pg;
	l->env = env;
	l->api = api;
	l->auth = auth;
	l->public_url = fr_xstrdup(public_url);
	for (size_t k = strlen(l->public_url); k > 0 &&
					       l->public_url[k - 1] == '/';
	     k--)
		l->public_url[k - 1] = '\0';
	memcpy(l->origin, public_url, n);
	l->origin[n] = '\0';
	if (pseud_ctx_new(env->key.bytes, env->key.len, &l->pseud, NULL) != 0)
		abort(); /* the self-test passed; this cannot fail */
	return l;
}

static void links_free_now(struct links *l)
{
	pseud_ctx_free(l->pseud);
	free(l->public_url);
	free(l);
}

void links_close(struct links *l)
{
	if (l == NULL)
		return;
	l->closing = 1;
	if (l->timers == 0)
		links_free_now(l);
}

const char *links_public_url(const struct links *l) { return l->public_url; }

void links_free(struct link *lk)
{
	if (lk == NULL)
		return;
	json_decref(lk->draft);
	OPENSSL_cleanse(lk->token, sizeof(lk->token));
	free(lk);
}

/* ---- wrong tokens ---- */

/* The slot of addr's window (a fresh or reused one when it has none). */
static struct links__miss *miss_slot(struct links *l,
				     const unsigned char addr[16])
{
	uint64_t now = uv_now(l->loop);
	struct links__miss *oldest = &l->misses[0];

	for (int i = 0; i < LINKS__MISS_SLOTS; i++) {
		struct links__miss *m = &l->misses[i];

		if (m->since && now - m->since >= LINKS_MISS_WINDOW_MS)
			m->since = 0; /* its window has passed */
		if (m->since && memcmp(m->addr, addr, 16) == 0)
			return m;
		if (m->since < oldest->since)
			oldest = m;
	}
	memcpy(oldest->addr, addr, 16);
	oldest->since = now ? now : 1;
	oldest->n = 0;
	return oldest;
}

/* 1 when addr has had more than LINKS_MISS_MAX misses in its window. */
static int limited(struct links *l, const unsigned char addr[16])
{
	uint64_t now = uv_now(l->loop);

	for (int i = 0; i < LINKS__MISS_SLOTS; i++) {
		struct links__miss *m = &l->misses[i];

		if (m->since && now - m->since < LINKS_MISS_WINDOW_MS &&
		    memcmp(m->addr, addr, 16) == 0)
			return m->n > LINKS_MISS_MAX;
	}
	return 0;
}

struct lookup {
	struct links *links;
	struct link *lk;
	links_open_cb cb;
	void *data;
	unsigned char addr[16];
	uv_timer_t timer;
};

static void lookup_closed(uv_handle_t *h)
{
	struct lookup *q = h->data;
	struct links *l = q->links;

	free(q);
	if (--l->timers == 0 && l->closing)
		links_free_now(l);
}

static void on_miss_timer(uv_timer_t *t)
{
	struct lookup *q = t->data;

	q->cb(q->lk, q->data);
	uv_close((uv_handle_t *)t, lookup_closed);
}

/* No link for the token: counted, and answered LINK_UNKNOWN a second
 * later, so that guessing costs the guesser time and not the loop. */
static void miss(struct lookup *q)
{
	struct links *l = q->links;

	miss_slot(l, q->addr)->n++;
	q->lk->state = LINK_UNKNOWN;
	uv_timer_init(l->loop, &q->timer);
	q->timer.data = q;
	l->timers++;
	uv_timer_start(&q->timer, on_miss_timer, LINKS_MISS_DELAY_MS, 0);
}

/* ---- looking a token up ---- */

static const char sql_lookup[] =
	"SELECT id, course, instrument, version, respondent, round, "
	"to_char(expires_at AT TIME ZONE 'UTC', "
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	"coalesce(to_char(answered_at AT TIME ZONE 'UTC', "
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), revoked_at IS NOT NULL, "
	"expires_at <= now(), draft::text, encode(pseudonym, 'hex'), key_no, "
	"birth_year, sex FROM fremdrift.invitations "
	"WHERE token_hash = decode($1, 'hex')";

enum { L_ID, L_COURSE, L_INSTRUMENT, L_VERSION, L_RESPONDENT, L_ROUND,
       L_EXPIRES, L_ANSWERED, L_REVOKED, L_EXPIRED, L_DRAFT, L_PSEUDONYM,
       L_KEY_NO, L_BIRTH_YEAR, L_SEX };

/* Fills lk from row 0 of res; 0, or -1 when the row cannot be used. */
static int fill_link(struct links *l, struct link *lk, PGresult *res)
{
	const char *instr = PQgetvalue(res, 0, L_INSTRUMENT);

	lk->id = atoll(PQgetvalue(res, 0, L_ID));
	snprintf(lk->course, sizeof(lk->course), "%s",
		 PQgetvalue(res, 0, L_COURSE));
	lk->instr = catalog_instrument(&l->env->cat, instr, strlen(instr),
				       atoi(PQgetvalue(res, 0, L_VERSION)));
	lk->respondent = *PQgetvalue(res, 0, L_RESPONDENT);
	lk->round = atoi(PQgetvalue(res, 0, L_ROUND));
	snprintf(lk->expires_at, sizeof(lk->expires_at), "%s",
		 PQgetvalue(res, 0, L_EXPIRES));
	snprintf(lk->answered_at, sizeof(lk->answered_at), "%s",
		 PQgetvalue(res, 0, L_ANSWERED));
	lk->draft = json_loads(PQgetvalue(res, 0, L_DRAFT), 0, NULL);
	lk->key_no = atoi(PQgetvalue(res, 0, L_KEY_NO));
	lk->birth_year = atoi(PQgetvalue(res, 0, L_BIRTH_YEAR));
	lk->sex = *PQgetvalue(res, 0, L_SEX);
	if (lk->instr == NULL || !json_is_object(lk->draft) ||
	    pseud_unhex(PQgetvalue(res, 0, L_PSEUDONYM), PSEUD_HEX_LEN,
			lk->pseudonym, PSEUD_LEN) != 0 ||
	    link_csrf(l->pseud, lk->token, lk->csrf) != 0)
		return -1;
	if (*PQgetvalue(res, 0, L_REVOKED) == 't')
		lk->state = LINK_REVOKED;
	else if (*PQgetvalue(res, 0, L_EXPIRED) == 't')
		lk->state = LINK_EXPIRED;
	else if (lk->answered_at[0])
		lk->state = LINK_ANSWERED;
	else
		lk->state = LINK_OPEN;
	return 0;
}

static void on_lookup(struct pgc *c, PGresult *res, const char *error,
		      void *data)
{
	struct lookup *q = data;

	(void)c;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_error("links", "looking a link up failed: %s",
			  error ? error : "no result");
		q->lk->state = LINK_ERROR;
	} else if (PQntuples(res) == 0) {
		miss(q);
		return;
	} else if (fill_link(q->links, q->lk, res) != 0) {
		/* An instrument this binary does not have, say. */
		log_error("links", "invitation %s cannot be used by this "
				   "server", PQgetvalue(res, 0, L_ID));
		q->lk->state = LINK_ERROR;
	}
	q->cb(q->lk, q->data);
	free(q);
}

void links_open(struct links *l, struct http_req *req, const char *token,
		links_open_cb cb, void *data)
{
	struct lookup *q = fr_xcalloc(1, sizeof(*q));
	unsigned char hash[LINK_HASH_LEN];
	char hex[2 * LINK_HASH_LEN + 1];
	const char *params[1] = {hex};

	q->links = l;
	q->lk = fr_xcalloc(1, sizeof(*q->lk));
	q->cb = cb;
	q->data = data;
	if (req)
		http_req_peer(req, q->addr);
	if (limited(l, q->addr)) {
		q->lk->state = LINK_LIMITED;
		goto now;
	}
	if (token == NULL || !link_token_shaped(token, strlen(token))) {
		miss(q);
		return;
	}
	memcpy(q->lk->token, token, LINK_TOKEN_LEN + 1);
	if (link_token_hash(token, hash) != 0) {
		q->lk->state = LINK_ERROR;
		goto now;
	}
	pseud_hex(hash, sizeof(hash), hex);
	if (pgc_query(l->pg, sql_lookup, 1, params, LINKS__DB_TIMEOUT_MS,
		      on_lookup, q) == 0)
		return;
	q->lk->state = LINK_ERROR;
now:
	cb(q->lk, data);
	free(q);
}

/* ---- forged POSTs ---- */

int links_csrf_ok(const struct links *l, const struct link *lk,
		  struct http_req *req, const char *csrf)
{
	if (csrf == NULL || strlen(csrf) != LINK_CSRF_LEN ||
	    CRYPTO_memcmp(csrf, lk->csrf, LINK_CSRF_LEN) != 0)
		return 0;
	return http_req_same_origin(req, l->origin);
}

/* ---- saving answers ---- */

/* Checks one "answers" member: an item of the instrument, 0 (spring
 * over), a value on the item's scale, or null (taken back). */
static const char *check_answer(const struct instrument *ins,
				const char *item, json_t *v)
{
	int k = instr_find_item(ins, item, strlen(item));
	json_int_t x;

	if (k < 0)
		return "answers: not an item of this questionnaire";
	if (json_is_null(v))
		return NULL;
	if (!json_is_integer(v))
		return "answers: an answer must be a whole number 0 to 5";
	x = json_integer_value(v);
	if (x != 0 && (x < 0 || x > 5 || !instr_in_range(&ins->items[k],
							 (int)x)))
		return "answers: an answer must be 0 (spring over) or on the "
		       "item's scale";
	return NULL;
}

/* 1 if v is null or an integer within lo..hi. */
static int int_or_null(json_t *v, int lo, int hi)
{
	return json_is_null(v) ||
	       (json_is_integer(v) && json_integer_value(v) >= lo &&
		json_integer_value(v) <= hi);
}

static const char *check_goal(const struct catalog *cat, const char *code,
			      json_t *g)
{
	const char *k;
	json_t *v;

	if (!catalog_has(cat, CAT_SUBGOAL, code, strlen(code)))
		return "goals: not a sub-goal of the catalogue";
	if (json_is_null(g))
		return NULL;
	if (!json_is_object(g))
		return "goals: each goal must be an object of weight and level";
	json_object_foreach(g, k, v) {
		if (strcmp(k, "weight") == 0 && !int_or_null(v, 1, 3))
			return "goals.weight: must be 1 to 3";
		if (strcmp(k, "level") == 0 && !int_or_null(v, -2, 2))
			return "goals.level: must be -2 to 2";
		if (strcmp(k, "weight") != 0 && strcmp(k, "level") != 0)
			return "goals: a goal has only weight and level";
	}
	return NULL;
}

/* Why member k (value v) of a patch cannot be saved, or NULL. */
static const char *check_member(const struct links *l, const struct link *lk,
				const char *k, json_t *v)
{
	const char *g, *why = NULL;
	json_t *a;

	if (strcmp(k, "answers") == 0) {
		if (!json_is_object(v))
			return "answers: must be an object of item: answer";
		json_object_foreach(v, g, a) {
			if (why == NULL)
				why = check_answer(lk->instr, g, a);
		}
		return why;
	}
	if (strcmp(k, "job_chance") != 0 && strcmp(k, "goals") != 0)
		return "a draft has only answers, job_chance and goals";
	if (lk->respondent != 'k')
		return "only a consultant's link takes a job chance or goals";
	if (strcmp(k, "job_chance") == 0)
		return int_or_null(v, 1, 5) ? NULL
					    : "job_chance: must be 1 to 5";
	if (!json_is_object(v))
		return "goals: must be an object of sub-goal: {weight, level}";
	json_object_foreach(v, g, a) {
		if (why == NULL)
			why = check_goal(&l->env->cat, g, a);
	}
	return why;
}

/* Why patch cannot be saved into lk's draft, or NULL when it can. */
static const char *check_patch(const struct links *l, const struct link *lk,
			       json_t *patch)
{
	const char *k, *why = NULL;
	json_t *v;

	if (!json_is_object(patch))
		return "the answers must be a JSON object";
	json_object_foreach(patch, k, v) {
		if (why == NULL)
			why = check_member(l, lk, k, v);
	}
	return why;
}


static void on_saved(struct pgc *c, PGresult *res, const char *error,
		     void *data)
{
	struct links__op *o = data;
	json_t *draft;

	(void)c;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_error("links", "saving a draft failed: %s",
			  error ? error : "no result");
		o->cb(FR_EDB, "the answer could not be saved; try again",
		      o->data);
	} else if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0)) {
		o->cb(FR_ESTATE, "the link is no longer open", o->data);
	} else if ((draft = json_loads(PQgetvalue(res, 0, 0), 0, NULL))) {
		json_decref(o->lk->draft);
		o->lk->draft = draft;
		o->cb(0, NULL, o->data);
	} else
		o->cb(FR_EDB, "the saved draft could not be read", o->data);
	free(o);
}

int links_save(struct links *l, struct link *lk, json_t *patch,
	       links_done_cb cb, void *data, const char **why)
{
	static const char sql[] =
		"SELECT fremdrift.invitation_save($1, $2::jsonb)::text";
	const char *reason, *params[2];
	char id[24], *text;
	struct links__op *o;
	int rc;

	if (lk->state != LINK_OPEN) {
		if (why)
			*why = "the link is no longer open";
		return FR_ESTATE;
	}
	if ((reason = check_patch(l, lk, patch)) != NULL) {
		if (why)
			*why = reason;
		return FR_EINVAL;
	}
	snprintf(id, sizeof(id), "%lld", lk->id);
	text = json_dumps(patch, JSON_COMPACT);
	params[0] = id;
	params[1] = text;
	o = fr_xcalloc(1, sizeof(*o));
	*o = (struct links__op){.links = l, .lk = lk, .cb = cb, .data = data};
	rc = pgc_query(l->pg, sql, 2, params, LINKS__DB_TIMEOUT_MS, on_saved,
		       o);
	free(text);
	if (rc != 0) {
		free(o);
		if (why)
			*why = "the database is unreachable; try again shortly";
		return FR_EDB;
	}
	return 0;
}
