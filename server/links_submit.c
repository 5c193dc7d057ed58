/*
 * A link's draft stored as the round's response (docs/links.md, "One
 * response per round"): the records are built here, from the invitation
 * row and the draft, and go through the records pipeline (rapi_store), so
 * they are checked, written by COPY and kept exactly once like records
 * that come in over POST /api/v1/records. Their ids follow from the round,
 * so a second submit is a duplicate, never a second response.
 */
#include "links_internal.h"

#include "fremdrift/buf.h"
#include "fremdrift/log.h"
#include "fremdrift/rapi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LINK_SOURCE "link"
/* The response, the job chance, and a goal_set and goal_rated per goal:
 * room for more goals than the catalogue or the pages allow (40). */
#define MAX_RECORDS (2 + 2 * 64)

/* Now as RFC 3339 in UTC, to the second. */
static void now_utc(char out[REC_TIME_MAX + 1])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, REC_TIME_MAX + 1, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The parts every record of lk shares; id from "link/<course>/<instr>/
 * <c|k>/<round>" and suffix ("" for the response). */
static int base_record(struct links *l, const struct link *lk,
		       const char *suffix, const char *now, struct record *r)
{
	char name[256];
	int n;

	memset(r, 0, sizeof(*r));
	n = snprintf(name, sizeof(name), "link/%s/%s/%c/%d%s", lk->course,
		     lk->instr->name, lk->respondent, lk->round, suffix);
	if (n < 0 || (size_t)n >= sizeof(name) ||
	    pseud_ident_hex(l->pseud, PSEUD_RECORD_ID, name, (size_t)n,
			    r->id) != 0)
		return FR_ECRYPTO;
	snprintf(r->source, sizeof(r->source), "%s", LINK_SOURCE);
	memcpy(r->pseudonym, lk->pseudonym, PSEUD_LEN);
	r->key_no = lk->key_no;
	r->birth_year = lk->birth_year;
	r->sex = lk->sex;
	snprintf(r->course, sizeof(r->course), "%s", lk->course);
	snprintf(r->at, sizeof(r->at), "%s", now);
	return 0;
}

/* The response: each item's answer, 0 ("spring over") and unanswered
 * items stored as not answered, as a skipped item comes in over the
 * records API (null); scored as rec_build scores. */
static int build_response(struct links *l, const struct link *lk,
			  json_t *draft, const char *now, struct record *r)
{
	json_t *answers = json_object_get(draft, "answers");

	if (base_record(l, lk, "", now, r) != 0)
		return FR_ECRYPTO;
	r->kind = REC_RESPONSE;
	r->instr = lk->instr;
	r->respondent = lk->respondent;
	snprintf(r->answered_at, sizeof(r->answered_at), "%s", now);
	for (int i = 0; i < lk->instr->nitems; i++) {
		json_t *v = json_object_get(answers, lk->instr->items[i].id);
		json_int_t x = json_is_integer(v) ? json_integer_value(v) : 0;

		r->answers[i] = x != 0 && instr_in_range(&lk->instr->items[i],
							 (int)x)
					? (int16_t)x
					: INSTR_NULL;
	}
	rec_score(r);
	return 0;
}

/* The job chance: k01's answer, else the job_chance field; 0 if none. */
static int job_chance(const struct link *lk, json_t *draft)
{
	json_t *k01 = json_object_get(json_object_get(draft, "answers"), "k01");
	json_t *jc = json_object_get(draft, "job_chance");
	json_int_t x = json_is_integer(k01) ? json_integer_value(k01) : 0;

	if (x >= 1 && x <= 5 && instr_find_item(lk->instr, "k01", 3) >= 0)
		return (int)x;
	x = json_is_integer(jc) ? json_integer_value(jc) : 0;
	return x >= 1 && x <= 5 ? (int)x : 0;
}

/* One event of type for goal (may be NULL) with weight or level. */
static int add_event(struct links *l, const struct link *lk, const char *now,
		     enum ev_type type, const char *goal, int value,
		     struct record *r)
{
	char suffix[REC_CODE_MAX + 40];

	snprintf(suffix, sizeof(suffix), "/%s%s%s", rec_event_type_name(type),
		 goal ? "/" : "", goal ? goal : "");
	if (base_record(l, lk, suffix, now, r) != 0)
		return FR_ECRYPTO;
	r->kind = REC_EVENT;
	r->type = type;
	if (goal)
		snprintf(r->goal, sizeof(r->goal), "%s", goal);
	if (type == EV_GOAL_SET)
		r->weight = value;
	else
		r->level = value;
	return 0;
}

/* A consultant's events: the job chance, and each goal's weight and
 * level (a goal of the catalogue, as links_save checked). */
static int build_events(struct links *l, const struct link *lk, json_t *draft,
			const char *now, struct record *recs, int *n)
{
	int jc = job_chance(lk, draft), rc = 0;
	const char *code;
	json_t *g;

	if (jc && add_event(l, lk, now, EV_JOB_CHANCE_RATED, NULL, jc,
			    &recs[(*n)++]) != 0)
		return FR_ECRYPTO;
	json_object_foreach(json_object_get(draft, "goals"), code, g) {
		json_t *w = json_object_get(g, "weight");
		json_t *v = json_object_get(g, "level");

		if (*n + 2 > MAX_RECORDS || rc != 0 ||
		    !catalog_has(&l->env->cat, CAT_SUBGOAL, code, strlen(code)))
			continue;
		if (json_is_integer(w))
			rc = add_event(l, lk, now, EV_GOAL_SET, code,
				       (int)json_integer_value(w),
				       &recs[(*n)++]);
		if (rc == 0 && json_is_integer(v))
			rc = add_event(l, lk, now, EV_GOAL_RATED, code,
				       (int)json_integer_value(v),
				       &recs[(*n)++]);
	}
	return rc;
}

static void done(struct links__op *o, int rc, const char *why)
{
	o->cb(rc, why, o->data);
	free(o->recs);
	free(o);
}

static void on_marked(struct pgc *c, PGresult *res, const char *error,
		      void *data)
{
	struct links__op *o = data;

	(void)c;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK ||
	    PQntuples(res) != 1) {
		/* The response is stored; only the mark failed. The next
		 * submit stores nothing new and marks it. */
		log_error("links", "marking invitation %lld answered failed: "
				   "%s",
			  o->lk->id, error ? error : "no such row");
		done(o, FR_EDB, "the answers were stored, but the link could "
				"not be closed; send again");
		return;
	}
	snprintf(o->lk->answered_at, sizeof(o->lk->answered_at), "%s",
		 PQgetvalue(res, 0, 0));
	o->lk->state = LINK_ANSWERED;
	json_decref(o->lk->draft);
	o->lk->draft = json_object();
	done(o, 0, NULL);
}

/* The records are committed: the round is answered (its draft, now in
 * the response, is emptied). */
static void on_stored(int rc, int stored, int duplicates, const char *why,
		      void *data)
{
	static const char sql[] =
		"UPDATE fremdrift.invitations "
		"SET answered_at = coalesce(answered_at, now()), draft = '{}' "
		"WHERE id = $1 RETURNING to_char(answered_at AT TIME ZONE "
		"'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";
	struct links__op *o = data;
	char id[24];
	const char *params[1] = {id};

	if (rc != 0) {
		log_error("links", "storing the response of invitation %lld "
				   "failed: %s",
			  o->lk->id, why ? why : "unknown");
		done(o, rc == FR_EINVAL ? FR_EINVAL : FR_EDB,
		     "the answers could not be stored; try again");
		return;
	}
	log_info("links", "invitation %lld answered: %d record(s) stored, "
			  "%d duplicate(s)",
		 o->lk->id, stored, duplicates);
	snprintf(id, sizeof(id), "%lld", o->lk->id);
	if (pgc_query(o->links->pg, sql, 1, params, LINKS__DB_TIMEOUT_MS,
		      on_marked, o) != 0)
		done(o, FR_EDB, "the database is unreachable; try again "
				"shortly");
}

/* The draft as it is in the database now (another device may have added
 * to it), then the records, then rapi_store. */
static void on_draft(struct pgc *c, PGresult *res, const char *error,
		     void *data)
{
	struct links__op *o = data;
	struct link *lk = o->lk;
	char now[REC_TIME_MAX + 1];
	json_t *draft;
	int rc;

	(void)c;
	(void)error;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		done(o, FR_EDB, "the database is unreachable; try again "
				"shortly");
		return;
	}
	if (PQntuples(res) == 0 || *PQgetvalue(res, 0, 1) != 't') {
		/* Erased, revoked or expired meanwhile. */
		done(o, FR_ESTATE, "the link is no longer open");
		return;
	}
	draft = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	now_utc(now);
	o->recs = fr_xcalloc(MAX_RECORDS, sizeof(*o->recs));
	rc = build_response(o->links, lk, draft, now, &o->recs[0]);
	o->nrecs = 1;
	if (rc == 0 && lk->respondent == 'k')
		rc = build_events(o->links, lk, draft, now, o->recs,
				  &o->nrecs);
	json_decref(draft);
	if (rc == 0)
		rc = rapi_store(o->links->api, o->recs, o->nrecs, LINK_SOURCE,
				on_stored, o);
	if (rc != 0)
		done(o, FR_EDB, "the answers could not be stored; try again "
				"shortly");
}

int links_submit(struct links *l, struct link *lk, links_done_cb cb,
		 void *data)
{
	/* Open, or answered already (a second submit: duplicates). The
	 * draft is read and saves are held off (sending_until) in one
	 * statement, so no save lands between this read and the answered
	 * mark, where it would be acknowledged and lost. */
	static const char sql[] =
		"UPDATE fremdrift.invitations "
		"SET sending_until = now() + interval '30 seconds' "
		"WHERE id = $1 AND (answered_at IS NOT NULL OR "
		"(revoked_at IS NULL AND expires_at > now())) "
		"RETURNING draft::text, true";
	struct links__op *o;
	char id[24];
	const char *params[1] = {id};

	if (lk->state != LINK_OPEN && lk->state != LINK_ANSWERED)
		return FR_ESTATE;
	o = fr_xcalloc(1, sizeof(*o));
	*o = (struct links__op){.links = l, .lk = lk, .cb = cb, .data = data};
	snprintf(id, sizeof(id), "%lld", lk->id);
	if (pgc_query(l->pg, sql, 1, params, LINKS__DB_TIMEOUT_MS, on_draft,
		      o) != 0) {
		free(o);
		return FR_EDB;
	}
	return 0;
}
