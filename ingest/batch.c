#include "fremdrift/batch.h"
#include "fremdrift/hash.h"

#include <math.h>
#include <stddef.h>
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
	free(b->resp_where);
	free(b->ev_where);
	free(b->refused);
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
	b->nrefused = 0;
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

/*
 * The columns of an event row after its type, in the order of
 * batch_event_columns: how each is written, where in struct record it is,
 * and the event types that carry it (NULL for the others).
 */
enum col_fmt { COL_TEXT, COL_REAL, COL_INT, COL_BOOL };

struct ev_column {
	enum col_fmt fmt;
	size_t off;
	unsigned types; /* BIT of enum ev_type */
};

#define T(t) (1u << (t))
#define COLUMN(fmt, m, types) {fmt, offsetof(struct record, m), types}

static const struct ev_column ev_columns[] = {
	COLUMN(COL_TEXT, department, T(EV_COURSE_STARTED)),
	COLUMN(COL_TEXT, agreement, T(EV_COURSE_STARTED)),
	COLUMN(COL_TEXT, intervention,
	       T(EV_INTERVENTION_STARTED) | T(EV_INTERVENTION_ENDED)),
	COLUMN(COL_TEXT, week, T(EV_HOURS)),
	COLUMN(COL_REAL, hours, T(EV_HOURS)),
	COLUMN(COL_REAL, paid_hours, T(EV_HOURS)),
	COLUMN(COL_TEXT, meeting, T(EV_MEETING)),
	COLUMN(COL_BOOL, attended, T(EV_MEETING)),
	COLUMN(COL_TEXT, goal, T(EV_GOAL_SET) | T(EV_GOAL_RATED)),
	COLUMN(COL_INT, weight, T(EV_GOAL_SET)),
	COLUMN(COL_INT, level, T(EV_GOAL_RATED) | T(EV_JOB_CHANCE_RATED)),
	COLUMN(COL_TEXT, exit_status, T(EV_COURSE_ENDED)),
	COLUMN(COL_INT, months_after, T(EV_FOLLOWUP)),
	COLUMN(COL_TEXT, status, T(EV_FOLLOWUP)),
};

#undef COLUMN

/* One column's value (an empty text is NULL). */
static int put_column(struct fr_buf *o, const struct record *r,
		      const struct ev_column *c)
{
	const char *p = (const char *)r + c->off;

	switch (c->fmt) {
	case COL_TEXT:
		return *p ? put_text(o, p) : PUTS(o, "\\N");
	case COL_REAL:
		return put_real(o, *(const double *)(const void *)p);
	case COL_INT:
		return put_int(o, *(const int *)(const void *)p);
	case COL_BOOL:
		return put(o, *(const int *)(const void *)p ? "t" : "f", 1);
	}
	return FR_EINVAL;
}

int batch_format_event(struct fr_buf *o, const struct record *r)
{
	size_t mark = o->len;
	unsigned type = T(r->type);
	int rc = put_common(o, r);

	rc = rc ? rc : put_text(o, r->course);
	rc = rc ? rc : PUTS(o, "\t");
	rc = rc ? rc : put_text(o, r->at);
	rc = rc ? rc : PUTS(o, "\t");
	rc = rc ? rc : put_text(o, rec_event_type_name(r->type));
	for (size_t i = 0; i < sizeof(ev_columns) / sizeof(*ev_columns) && rc == 0;
	     i++) {
		const struct ev_column *c = &ev_columns[i];

		if (!(c->types & type)) {
			rc = PUTS(o, "\t\\N");
			continue;
		}
		rc = PUTS(o, "\t");
		rc = rc ? rc : put_column(o, r, c);
	}
	rc = rc ? rc : PUTS(o, "\n");
	if (rc != 0)
		o->len = mark;
	return rc;
}

#undef T

/* ---- (source, id) within the batch ---- */

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

/* 1 if key (kl bytes, then a NUL) is in b's set, with its hash in *hash;
 * otherwise 0, with *slot where it would go. */
static int find_key(const struct batch *b, const char *key, size_t kl,
		    uint64_t *hash, size_t *slot)
{
	uint64_t h = fr_hash64(key, kl, 0) >> 32;
	size_t j = (size_t)h & (b->nslots - 1);

	*hash = h;
	while (b->slots[j]) {
		uint64_t s = b->slots[j];

		if ((s >> 32) == h) {
			const char *k = b->keys.data + (s & 0xffffffffu) - 1;

			if (memcmp(k, key, kl + 1) == 0)
				return 1;
		}
		j = (j + 1) & (b->nslots - 1);
	}
	*slot = j;
	return 0;
}

/* 1 if the key was already there; 0 if it was added. */
static int seen_key(struct batch *b, const struct record *r)
{
	char key[REC_SOURCE_MAX + REC_ID_MAX + 2];
	size_t sl = strlen(r->source), il = strlen(r->id), kl = sl + 1 + il;
	uint64_t h;
	size_t j = 0;

	memcpy(key, r->source, sl + 1);
	memcpy(key + sl + 1, r->id, il);
	key[kl] = '\0';
	if ((b->nkeys + 1) * 2 > b->nslots)
		grow_slots(b);
	if (find_key(b, key, kl, &h, &j))
		return 1;
	if (b->keys.len >= 0xffffffffu)
		return 0; /* cannot index further; the database still dedups */
	b->slots[j] = h << 32 | (uint64_t)(b->keys.len + 1);
	fr_buf_append(&b->keys, key, kl + 1);
	b->nkeys++;
	return 0;
}

int batch_shares_key(const struct batch *a, const struct batch *b)
{
	const char *p = b->keys.data, *end = b->keys.data + b->keys.len;

	if (a->nkeys == 0)
		return 0;
	/* Each key is "source\0id\0". */
	while (p < end) {
		size_t sl = strlen(p), kl = sl + 1 + strlen(p + sl + 1);
		uint64_t h;
		size_t j;

		if (find_key(a, p, kl, &h, &j))
			return 1;
		p += kl + 1;
	}
	return 0;
}

static void ensure_rows(int **owner, long long **where, unsigned char **dup,
			int *cap, int need)
{
	if (need <= *cap)
		return;
	*cap = *cap ? *cap * 2 : 1024;
	if (*cap < need)
		*cap = need;
	*owner = fr_xrealloc(*owner, (size_t)*cap * sizeof(int));
	*where = fr_xrealloc(*where, (size_t)*cap * sizeof(long long));
	*dup = fr_xrealloc(*dup, (size_t)*cap);
}

int batch_add_at(struct batch *b, const struct record *r, int owner,
		 long long where)
{
	int is_resp = r->kind == REC_RESPONSE;
	int *n = is_resp ? &b->nresp : &b->nev;
	int rc;

	if (seen_key(b, r)) {
		b->in_batch_dups++;
		return 1;
	}
	rc = is_resp ? batch_format_response(&b->resp, r)
		     : batch_format_event(&b->ev, r);
	if (rc != 0)
		return rc;
	if (is_resp)
		ensure_rows(&b->resp_owner, &b->resp_where, &b->resp_dup,
			    &b->cap_resp, *n + 1);
	else
		ensure_rows(&b->ev_owner, &b->ev_where, &b->ev_dup, &b->cap_ev,
			    *n + 1);
	(is_resp ? b->resp_owner : b->ev_owner)[*n] = owner;
	(is_resp ? b->resp_where : b->ev_where)[*n] = where;
	(is_resp ? b->resp_dup : b->ev_dup)[*n] = 0;
	(*n)++;
	return 0;
}

int batch_add(struct batch *b, const struct record *r, int owner)
{
	return batch_add_at(b, r, owner, -1);
}

void batch_refuse(struct batch *b, int is_resp, int row, const char *field,
		  const char *reason)
{
	struct batch_refusal *f;

	if (b->nrefused == b->cap_refused) {
		b->cap_refused = b->cap_refused ? b->cap_refused * 2 : 16;
		b->refused = fr_xrealloc(b->refused, (size_t)b->cap_refused *
							     sizeof(*b->refused));
	}
	f = &b->refused[b->nrefused++];
	f->is_resp = is_resp;
	f->row = row;
	snprintf(f->field, sizeof(f->field), "%s", field ? field : "");
	snprintf(f->reason, sizeof(f->reason), "%s", reason);
}
