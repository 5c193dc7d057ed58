#include "fremdrift/batch.h"

#include <math.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char batch_response_columns[] =
	"source, id, pseudonym, key_no, birth_year, sex, instrument, version, "
	"respondent, answered_at, course, answers, scores";
const char batch_event_columns[] =
	"source, id, pseudonym, key_no, birth_year, sex, course, at, type, "
	"department, agreement, intervention, week, hours, paid_hours, meeting, "
	"attended, goal, weight, level, exit_status, months_after, status";

static uint64_t new_id(void)
{
	uint64_t id = 0;

	/* 63 random bits: unique enough to tell batches apart forever. */
	while (id == 0) {
		if (RAND_bytes((unsigned char *)&id, sizeof(id)) != 1)
			abort();
		id &= INT64_MAX;
	}
	return id;
}

void batch_init(struct batch *b, const char *origin)
{
	memset(b, 0, sizeof(*b));
	b->origin = origin;
	fr_buf_init(&b->resp, BATCH_MAX_BYTES);
	fr_buf_init(&b->ev, BATCH_MAX_BYTES);
	fr_buf_init(&b->keys, BATCH_MAX_BYTES);
	b->id = new_id();
}

void batch_free(struct batch *b)
{
	fr_buf_free(&b->resp);
	fr_buf_free(&b->ev);
	fr_buf_free(&b->keys);
	free(b->resp_owner);
	free(b->ev_owner);
	free(b->resp_dup);
	free(b->ev_dup);
	free(b->slots);
	memset(b, 0, sizeof(*b));
}

void batch_reset(struct batch *b)
{
	fr_buf_reset(&b->resp);
	fr_buf_reset(&b->ev);
	fr_buf_reset(&b->keys);
	b->nresp = b->nev = 0;
	b->in_batch_dups = 0;
	if (b->slots)
		memset(b->slots, 0, b->nslots * sizeof(*b->slots));
	b->nkeys = 0;
	memset(&b->file, 0, sizeof(b->file));
	b->id = new_id();
}

int batch_count(const struct batch *b) { return b->nresp + b->nev; }
size_t batch_bytes(const struct batch *b) { return b->resp.len + b->ev.len; }

/* ---- COPY text ---- */

static int put(struct fr_buf *o, const char *s, size_t n)
{
	return fr_buf_append(o, s, n);
}

#define PUTS(o, lit) put(o, lit, sizeof(lit) - 1)

/* User text: the only bytes COPY text needs escaped here are \ and tab
 * (records never hold other control characters: rec_text_ok). */
static int put_text(struct fr_buf *o, const char *s)
{
	const char *start = s;
	int rc = 0;

	for (; *s && rc == 0; s++) {
		if (*s == '\\' || *s == '\t') {
			rc = put(o, start, (size_t)(s - start));
			if (rc == 0)
				rc = put(o, *s == '\\' ? "\\\\" : "\\t", 2);
			start = s + 1;
		}
	}
	if (rc == 0)
		rc = put(o, start, (size_t)(s - start));
	return rc;
}

static int put_int(struct fr_buf *o, long v)
{
	char tmp[24];
	int n = 0;
	unsigned long u = v < 0 ? (unsigned long)-v : (unsigned long)v;

	do {
		tmp[sizeof(tmp) - 1 - n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[sizeof(tmp) - 1 - n++] = '-';
	return put(o, tmp + sizeof(tmp) - n, (size_t)n);
}

/* Two decimals by integer arithmetic: printf's float formatting was a
 * measurable share of the ingest profile. Scores and hours are small. */
static int put_real(struct fr_buf *o, double v)
{
	long c = lround(v * 100.0);
	char frac[3];
	int rc;

	if (c < 0) {
		rc = put(o, "-", 1);
		if (rc)
			return rc;
		c = -c;
	}
	rc = put_int(o, c / 100);
	frac[0] = '.';
	frac[1] = (char)('0' + c % 100 / 10);
	frac[2] = (char)('0' + c % 10);
	return rc ? rc : put(o, frac, 3);
}

static int put_common(struct fr_buf *o, const struct record *r)
{
	static const char hex[] = "0123456789abcdef";
	char p[4 + 2 * PSEUD_LEN];
	int rc;

	rc = put_text(o, r->source);
	rc = rc ? rc : PUTS(o, "\t");
	rc = rc ? rc : put_text(o, r->id);
	/* bytea in COPY text: "\\x" then hex, the backslash itself escaped */
	memcpy(p, "\\\\x", 3);
	for (int i = 0; i < PSEUD_LEN; i++) {
		p[3 + 2 * i] = hex[r->pseudonym[i] >> 4];
		p[4 + 2 * i] = hex[r->pseudonym[i] & 15];
	}
	rc = rc ? rc : PUTS(o, "\t");
	rc = rc ? rc : put(o, p, 3 + 2 * PSEUD_LEN);
	rc = rc ? rc : PUTS(o, "\t");
	rc = rc ? rc : put_int(o, r->key_no);
	rc = rc ? rc : PUTS(o, "\t");
	rc = rc ? rc : put_int(o, r->birth_year);
	rc = rc ? rc : put(o, r->sex == 'M' ? "\tM\t" : "\tF\t", 3);
	return rc;
}

int batch_format_response(struct fr_buf *o, const struct record *r)
{
	size_t mark = o->len;
	int rc = put_common(o, r);

	rc = rc ? rc : put_text(o, r->instr->name);
	rc = rc ? rc : PUTS(o, "\t");
	rc = rc ? rc : put_int(o, r->instr->version);
	rc = rc ? rc : put(o, r->respondent == 'k' ? "\tk\t" : "\tc\t", 3);
	rc = rc ? rc : put_text(o, r->answered_at);
	rc = rc ? rc : PUTS(o, "\t");
	rc = rc ? rc : (r->course[0] ? put_text(o, r->course) : PUTS(o, "\\N"));
	rc = rc ? rc : PUTS(o, "\t{");
	for (int i = 0; i < r->instr->nitems && rc == 0; i++) {
		if (i)
			rc = PUTS(o, ",");
		if (rc == 0)
			rc = r->answers[i] == INSTR_NULL ? PUTS(o, "NULL")
							 : put_int(o, r->answers[i]);
	}
	rc = rc ? rc : PUTS(o, "}\t{");
	for (int d = 0; d < r->instr->ndims && rc == 0; d++) {
		if (d)
			rc = PUTS(o, ",");
		if (rc == 0)
			rc = r->score_present[d] ? put_real(o, r->scores[d])
						 : PUTS(o, "NULL");
	}
	rc = rc ? rc : PUTS(o, "}\n");
	if (rc != 0)
		o->len = mark; /* all or nothing */
	return rc;
}

static int put_opt(struct fr_buf *o, const char *s)
{
	int rc = PUTS(o, "\t");

	return rc ? rc : (s && *s ? put_text(o, s) : PUTS(o, "\\N"));
}

int batch_format_event(struct fr_buf *o, const struct record *r)
{
	size_t mark = o->len;
	enum ev_type t = r->type;
	int rc = put_common(o, r);

	rc = rc ? rc : put_text(o, r->course);
	rc = rc ? rc : PUTS(o, "\t");
	rc = rc ? rc : put_text(o, r->at);
	rc = rc ? rc : PUTS(o, "\t");
	rc = rc ? rc : put_text(o, rec_event_type_name(t));
	rc = rc ? rc : put_opt(o, t == EV_COURSE_STARTED ? r->department : NULL);
	rc = rc ? rc : put_opt(o, t == EV_COURSE_STARTED ? r->agreement : NULL);
	rc = rc ? rc : put_opt(o, t == EV_INTERVENTION_STARTED ||
					  t == EV_INTERVENTION_ENDED
				  ? r->intervention
				  : NULL);
	rc = rc ? rc : put_opt(o, t == EV_HOURS ? r->week : NULL);
	if (t == EV_HOURS) {
		rc = rc ? rc : PUTS(o, "\t");
		rc = rc ? rc : put_real(o, r->hours);
		rc = rc ? rc : PUTS(o, "\t");
		rc = rc ? rc : put_real(o, r->paid_hours);
	} else {
		rc = rc ? rc : PUTS(o, "\t\\N\t\\N");
	}
	rc = rc ? rc : put_opt(o, t == EV_MEETING ? r->meeting : NULL);
	rc = rc ? rc : put_opt(o, t == EV_MEETING ? (r->attended ? "t" : "f")
						  : NULL);
	rc = rc ? rc : put_opt(o, t == EV_GOAL_SET || t == EV_GOAL_RATED
				  ? r->goal
				  : NULL);
	rc = rc ? rc : PUTS(o, "\t");
	rc = rc ? rc : (t == EV_GOAL_SET ? put_int(o, r->weight) : PUTS(o, "\\N"));
	rc = rc ? rc : PUTS(o, "\t");
	rc = rc ? rc : (t == EV_GOAL_RATED || t == EV_JOB_CHANCE_RATED
				? put_int(o, r->level)
				: PUTS(o, "\\N"));
	rc = rc ? rc : put_opt(o, t == EV_COURSE_ENDED ? r->exit_status : NULL);
	rc = rc ? rc : PUTS(o, "\t");
	rc = rc ? rc : (t == EV_FOLLOWUP ? put_int(o, r->months_after)
					 : PUTS(o, "\\N"));
	rc = rc ? rc : put_opt(o, t == EV_FOLLOWUP ? r->status : NULL);
	rc = rc ? rc : PUTS(o, "\n");
	if (rc != 0)
		o->len = mark;
	return rc;
}

/* ---- (source, id) within the batch ---- */

static uint64_t hash_key(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static void grow_slots(struct batch *b)
{
	size_t n = b->nslots ? b->nslots * 2 : 4096;
	uint64_t *slots = fr_xcalloc(n, sizeof(*slots));

	for (size_t i = 0; i < b->nslots; i++) {
		uint64_t s = b->slots[i];
		size_t j;

		if (s == 0)
			continue;
		j = (size_t)(s >> 32) & (n - 1);
		while (slots[j])
			j = (j + 1) & (n - 1);
		slots[j] = s;
	}
	free(b->slots);
	b->slots = slots;
	b->nslots = n;
}

/* 1 if the key was already there; 0 if it was added. */
static int seen_key(struct batch *b, const struct record *r)
{
	char key[REC_SOURCE_MAX + REC_ID_MAX + 2];
	size_t sl = strlen(r->source), il = strlen(r->id), kl = sl + 1 + il;
	uint64_t h;
	size_t j;

	memcpy(key, r->source, sl + 1);
	memcpy(key + sl + 1, r->id, il);
	key[kl] = '\0';
	if ((b->nkeys + 1) * 2 > b->nslots)
		grow_slots(b);
	h = hash_key(key, kl) >> 32;
	j = (size_t)h & (b->nslots - 1);
	while (b->slots[j]) {
		uint64_t s = b->slots[j];

		if ((s >> 32) == h) {
			const char *k = b->keys.data + (s & 0xffffffffu) - 1;

			if (memcmp(k, key, kl + 1) == 0)
				return 1;
		}
		j = (j + 1) & (b->nslots - 1);
	}
	if (b->keys.len >= 0xffffffffu)
		return 0; /* cannot index further; the database still dedups */
	b->slots[j] = h << 32 | (uint64_t)(b->keys.len + 1);
	fr_buf_append(&b->keys, key, kl + 1);
	b->nkeys++;
	return 0;
}

static void ensure_rows(int **owner, unsigned char **dup, int *cap, int need)
{
	if (need <= *cap)
		return;
	*cap = *cap ? *cap * 2 : 1024;
	if (*cap < need)
		*cap = need;
	*owner = fr_xrealloc(*owner, (size_t)*cap * sizeof(int));
	*dup = fr_xrealloc(*dup, (size_t)*cap);
}

int batch_add(struct batch *b, const struct record *r, int owner)
{
	int rc;

	if (seen_key(b, r)) {
		b->in_batch_dups++;
		return 1;
	}
	if (r->kind == REC_RESPONSE) {
		rc = batch_format_response(&b->resp, r);
		if (rc != 0)
			return rc;
		ensure_rows(&b->resp_owner, &b->resp_dup, &b->cap_resp,
			    b->nresp + 1);
		b->resp_owner[b->nresp] = owner;
		b->resp_dup[b->nresp] = 0;
		b->nresp++;
	} else {
		rc = batch_format_event(&b->ev, r);
		if (rc != 0)
			return rc;
		ensure_rows(&b->ev_owner, &b->ev_dup, &b->cap_ev, b->nev + 1);
		b->ev_owner[b->nev] = owner;
		b->ev_dup[b->nev] = 0;
		b->nev++;
	}
	return 0;
}
