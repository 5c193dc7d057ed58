#include "fremdrift/record.h"
#include "fremdrift/buf.h"
#include "fremdrift/civil.h"
#include "internal_json.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

/* The fields a record may have, in one list: the enum, the names and
 * their lengths (find_field runs for every field of every record; a
 * strlen of each name each time showed in the ingest's profile). */
#define REC_FIELDS(X)                                                          \
	X(KIND, kind) X(ID, id) X(SOURCE, source) X(CPR, cpr)                  \
	X(INSTRUMENT, instrument) X(VERSION, version)                         \
	X(RESPONDENT, respondent) X(ANSWERED_AT, answered_at)                 \
	X(ANSWERS, answers) X(COURSE, course) X(AT, at) X(TYPE, type)         \
	X(DEPARTMENT, department) X(AGREEMENT, agreement)                     \
	X(INTERVENTION, intervention) X(WEEK, week) X(HOURS, hours)           \
	X(PAID_HOURS, paid_hours) X(MEETING, meeting) X(ATTENDED, attended)   \
	X(GOAL, goal) X(WEIGHT, weight) X(LEVEL, level)                       \
	X(EXIT_STATUS, exit_status) X(MONTHS_AFTER, months_after)             \
	X(STATUS, status)

#define FIELD_ENUM(e, n) F_##e,
#define FIELD_NAME(e, n) #n,
#define FIELD_LEN(e, n) sizeof(#n) - 1,
enum fid { REC_FIELDS(FIELD_ENUM) F_COUNT };
static const char *const field_names[F_COUNT] = {REC_FIELDS(FIELD_NAME)};
static const unsigned char field_len[F_COUNT] = {REC_FIELDS(FIELD_LEN)};
#undef FIELD_ENUM
#undef FIELD_NAME
#undef FIELD_LEN

#define BIT(f) (1u << (f))
#define COMMON (BIT(F_KIND) | BIT(F_ID) | BIT(F_SOURCE) | BIT(F_CPR))
#define RESPONSE_FIELDS                                                        \
	(BIT(F_INSTRUMENT) | BIT(F_VERSION) | BIT(F_RESPONDENT) |              \
	 BIT(F_ANSWERED_AT) | BIT(F_ANSWERS) | BIT(F_COURSE))
#define EVENT_COMMON (BIT(F_COURSE) | BIT(F_AT) | BIT(F_TYPE))

static const char *const type_names[EV_TYPES] = {
	NULL, "course_started", "intervention_started", "intervention_ended",
	"hours", "meeting", "goal_set", "goal_rated", "job_chance_rated",
	"course_ended", "followup"};

const char *rec_event_type_name(enum ev_type t)
{
	return (unsigned)t < EV_TYPES ? type_names[t] : NULL;
}

static int find_field(const char *name, size_t len)
{
	for (int f = 0; f < F_COUNT; f++)
		if (field_len[f] == len && field_names[f][0] == name[0] &&
		    memcmp(field_names[f], name, len) == 0)
			return f;
	return -1;
}

/* ---- text checks ---- */

int rec_text_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		int n;

		if (*p < 0x80) {
			if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
				return 0;
			p++;
			continue;
		}
		n = ing__utf8_len(p, end);
		/* C1 controls (U+0080 to U+009F) are control characters too. */
		if (n == 0 || (p[0] == 0xc2 && p[1] < 0xa0))
			return 0;
		p += n;
	}
	return 1;
}

int rec_source_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= REC_SOURCE_MAX &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789_.-") == n;
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* YYYY-MM-DD at s: a day that exists, from 1900 to 2100. */
static int check_date(const char *s)
{
	int y, mo, d;

	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d))
		return FR_EINVAL;
	return y >= 1900 && y <= 2100 && cpr_date_valid(y, mo, d) ? 0
								   : FR_EINVAL;
}

/* hh:mm:ss at s; 60 seconds is a leap second. */
static int check_clock(const char *s)
{
	int h, mi, sec;

	if (digits(s, 2, &h) || s[2] != ':' || digits(s + 3, 2, &mi) ||
	    s[5] != ':' || digits(s + 6, 2, &sec))
		return FR_EINVAL;
	return h <= 23 && mi <= 59 && sec <= 60 ? 0 : FR_EINVAL;
}

/* Steps *p over a fraction of a second, if one is there: '.' and 1 to 9
 * digits. A leap second (leap: the clock said 60) may have no fraction
 * but zeros: PostgreSQL refuses 23:59:60.5. */
static int skip_fraction(const char *s, size_t len, size_t *p, int leap)
{
	size_t q = *p, start;
	int nonzero = 0;

	if (q >= len || s[q] != '.')
		return 0;
	start = ++q;
	while (q < len && s[q] >= '0' && s[q] <= '9')
		nonzero |= s[q++] != '0';
	if (q == start || q - start > 9 || (leap && nonzero))
		return FR_EINVAL;
	*p = q;
	return 0;
}

/* The n bytes ending a timestamp: "Z" or an offset +hh:mm / -hh:mm, at
 * most 15:59 either way as PostgreSQL allows (MAX_TZDISP_HOUR). */
static int check_offset(const char *s, size_t n)
{
	int oh, om;

	if (n == 1 && (s[0] == 'Z' || s[0] == 'z'))
		return 0;
	if (n != 6 || (s[0] != '+' && s[0] != '-') || digits(s + 1, 2, &oh) ||
	    s[3] != ':' || digits(s + 4, 2, &om) || oh > 15 || om > 59)
		return FR_EINVAL;
	return 0;
}

int rec_check_time(const char *s, size_t len, int allow_date)
{
	size_t p = 19; /* after YYYY-MM-DDThh:mm:ss */

	if (len < 10 || check_date(s))
		return FR_EINVAL;
	if (len == 10)
		return allow_date ? 0 : FR_EINVAL;
	if (len < 20 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    check_clock(s + 11) ||
	    skip_fraction(s, len, &p, s[17] == '6' && s[18] == '0'))
		return FR_EINVAL;
	return check_offset(s + p, len - p);
}

int rec_iso_week_monday(const char *s, size_t len, char out[11])
{
	int y, w;
	long jan4, week1_monday, monday, next_week1;

	if (len != 8 || digits(s, 4, &y) || s[4] != '-' ||
	    (s[5] != 'W' && s[5] != 'w') || digits(s + 6, 2, &w) || y < 1900 ||
	    y > 2100 || w < 1 || w > 53)
		return FR_EINVAL;
	/* Week 1 is the week with 4 January in it; weeks start on Monday.
	 * 1970-01-01 was a Thursday, so (days + 3) % 7 is 0 on Mondays. */
	jan4 = fr_days_from_civil(y, 1, 4);
	week1_monday = jan4 - ((jan4 + 3) % 7 + 7) % 7;
	monday = week1_monday + 7L * (w - 1);
	jan4 = fr_days_from_civil(y + 1, 1, 4);
	next_week1 = jan4 - ((jan4 + 3) % 7 + 7) % 7;
	if (monday >= next_week1)
		return FR_EINVAL; /* week 53 in a year of 52 weeks */
	fr_date_str(monday, out);
	return 0;
}

/* ---- value readers ---- */

struct build {
	struct record *r;
	const struct rec_ctx *ctx;
	struct fr_err *err;
	int column; /* CSV column of the field being read, 1-based */
	const struct rec_field *fields;
	int n;
	int extra_items;  /* CSV columns that are not fields: items */
	unsigned present; /* BIT(f) for each field given */
	unsigned allowed; /* BIT(f) for each field this kind or type uses */
	const struct rec_value *val[F_COUNT];
	int col[F_COUNT];
};

static int fail(struct build *b, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct build *b, const char *field, const char *fmt, ...)
{
	char msg[FR_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fr_err_set(b->err, FR_EINVAL, field, "%s", msg);
	if (b->err)
		b->err->column = b->column;
	return FR_EINVAL;
}

/* Text outside the cpr field must not hold a CPR number: it would be
 * stored and shown verbatim. The reason never echoes it. */
#define CPR_SHAPED_REASON                                                      \
	"holds something shaped like a CPR number; a CPR number belongs only " \
	"in the cpr field"
#define CPR_SHAPED_NAME "(a name shaped like a CPR number)"

/* Text field f as any text is checked: a string of 1 to max bytes of
 * text, not shaped like a CPR number. No reason quotes the value. */
static int check_text(struct build *b, int f, const struct rec_value *v,
		      size_t max)
{
	if (v->type != RV_STRING)
		return fail(b, field_names[f], "must be a string");
	if (v->len == 0)
		return fail(b, field_names[f], "must not be empty");
	if (v->len > max)
		return fail(b, field_names[f], "longer than %zu characters", max);
	if (!rec_text_ok(v->s, v->len))
		return fail(b, field_names[f],
			    "not valid UTF-8 text (or holds control characters other than tab)");
	if (cpr_shaped(v->s, v->len))
		return fail(b, field_names[f], CPR_SHAPED_REASON);
	return 0;
}

static int read_text(struct build *b, int f, const struct rec_value *v,
		     char *dst, size_t max)
{
	if (check_text(b, f, v, max) != 0)
		return FR_EINVAL;
	memcpy(dst, v->s, v->len);
	dst[v->len] = '\0';
	return 0;
}

static int read_int(struct build *b, const char *field,
		    const struct rec_value *v, long long lo, long long hi,
		    int *out)
{
	long long x;

	if (v->type == RV_INT) {
		x = v->i;
	} else if (v->type == RV_STRING && b->ctx->csv) {
		char buf[24], *end;

		if (v->len == 0 || v->len >= sizeof(buf))
			return fail(b, field, "must be a whole number");
		memcpy(buf, v->s, v->len);
		buf[v->len] = '\0';
		errno = 0;
		x = strtoll(buf, &end, 10);
		if (*end != '\0' || errno != 0)
			return fail(b, field, "must be a whole number");
	} else {
		return fail(b, field, "must be a whole number");
	}
	if (x < lo || x > hi)
		return fail(b, field, "must be from %lld to %lld", lo, hi);
	*out = (int)x;
	return 0;
}

static int read_real(struct build *b, int f, const struct rec_value *v,
		     double lo, double hi, double *out)
{
	double x;

	if (v->type == RV_INT || v->type == RV_REAL) {
		x = v->type == RV_INT ? (double)v->i : v->d;
	} else if (v->type == RV_STRING && b->ctx->csv) {
		char buf[32], *end;

		if (v->len == 0 || v->len >= sizeof(buf))
			return fail(b, field_names[f], "must be a number");
		memcpy(buf, v->s, v->len);
		buf[v->len] = '\0';
		/* Danish spreadsheets write a decimal comma. */
		for (char *p = buf; *p; p++)
			if (*p == ',')
				*p = '.';
		errno = 0;
		x = strtod(buf, &end);
		if (*end != '\0' || errno != 0)
			return fail(b, field_names[f], "must be a number");
	} else {
		return fail(b, field_names[f], "must be a number");
	}
	if (!isfinite(x) || x < lo || x > hi)
		return fail(b, field_names[f], "must be from %g to %g", lo, hi);
	*out = x;
	return 0;
}

static int read_bool(struct build *b, int f, const struct rec_value *v,
		     int *out)
{
	static const char *const yes[] = {"true", "1", "yes", "ja"};
	static const char *const no[] = {"false", "0", "no", "nej"};

	if (v->type == RV_BOOL) {
		*out = v->b;
		return 0;
	}
	if (v->type == RV_STRING && b->ctx->csv) {
		for (int i = 0; i < 4; i++) {
			if (strlen(yes[i]) == v->len &&
			    strncasecmp(v->s, yes[i], v->len) == 0) {
				*out = 1;
				return 0;
			}
			if (strlen(no[i]) == v->len &&
			    strncasecmp(v->s, no[i], v->len) == 0) {
				*out = 0;
				return 0;
			}
		}
	}
	return fail(b, field_names[f], "must be true or false");
}

static int read_code(struct build *b, int f, const struct rec_value *v,
		     enum cat_kind kind, char dst[REC_CODE_MAX + 1])
{
	int rc = read_text(b, f, v, dst, REC_CODE_MAX);

	if (rc != 0)
		return rc;
	if (!catalog_has(b->ctx->cat, kind, dst, strlen(dst)))
		return fail(b, field_names[f], "unknown code (see docs/formats.md)");
	return 0;
}

static int read_answer(struct build *b, const char *field, int item,
		       const struct rec_value *v)
{
	const struct instr_item *it = &b->r->instr->items[item];
	int x;

	if (v->type == RV_NULL || (v->type == RV_STRING && v->len == 0)) {
		b->r->answers[item] = INSTR_NULL;
		return 0;
	}
	if (read_int(b, field, v, -32767, 32767, &x) != 0)
		return FR_EINVAL;
	if (!instr_in_range(it, x))
		return fail(b, field, "answer is outside the item's scale %d..%d",
			    it->min, it->max);
	b->r->answers[item] = (int16_t)x;
	return 0;
}

/* A field name from the input, fit for a rejection message: at most max
 * bytes, "?" when it is not text, and never a CPR-shaped name (size must
 * hold CPR_SHAPED_NAME). */
static void shown_name(const struct rec_field *fl, char *dst, size_t size,
		       size_t max)
{
	if (cpr_shaped(fl->name, fl->nlen)) {
		snprintf(dst, size, "%s", CPR_SHAPED_NAME);
		return;
	}
	snprintf(dst, size, "%.*s", (int)(fl->nlen > max ? max : fl->nlen),
		 fl->name);
	if (!rec_text_ok(dst, strlen(dst)))
		strcpy(dst, "?");
}

/* The common case of one answer, checked without making its field's name
 * (which the ingest's profile showed was most of the answers' cost): a
 * known item with null or a whole number on its scale. 0 when it is not
 * that case; the full check then names what is wrong. */
static int plain_answer(const struct instrument *ins, int item,
			const struct rec_value *v, int16_t *out)
{
	if (item < 0)
		return 0;
	if (v->type == RV_NULL) {
		*out = INSTR_NULL;
		return 1;
	}
	if (v->type != RV_INT || v->i < -32767 || v->i > 32767 ||
	    !instr_in_range(&ins->items[item], (int)v->i))
		return 0;
	*out = (int16_t)v->i;
	return 1;
}

/* JSON "answers": {"b01": 4, "b02": null, ...} */
static int read_answers_object(struct build *b, const struct rec_value *v)
{
	const struct instrument *ins = b->r->instr;

	if (v->type != RV_OBJECT)
		return fail(b, "answers", "must be an object of item: answer");
	for (int i = 0; i < v->npairs; i++) {
		const struct rec_field *pr = &v->pairs[i];
		int item = instr_find_item_from(ins, pr->name, pr->nlen, i);
		char field[64], shown[52];

		if (plain_answer(ins, item, &pr->v,
				 &b->r->answers[item < 0 ? 0 : item]))
			continue;
		shown_name(pr, shown, sizeof(shown), 50);
		snprintf(field, sizeof(field), "answers.%s", shown);
		if (item < 0)
			return fail(b, field, "unknown item for this instrument "
					      "version");
		if (pr->v.type != RV_INT && pr->v.type != RV_NULL)
			return fail(b, field, "must be a whole number or null");
		if (read_answer(b, field, item, &pr->v) != 0)
			return FR_EINVAL;
	}
	return 0;
}

/* ---- the one builder ---- */

/* Makes field f the one being read (for the column of a rejection); when
 * it was not given, that is the rejection. */
static int need(struct build *b, int f)
{
	if (!(b->present & BIT(f))) {
		b->column = 0;
		return fail(b, field_names[f], "required field is missing");
	}
	b->column = b->col[f];
	return 0;
}

/* Required text field f into dst. */
static int need_text(struct build *b, int f, char *dst, size_t max)
{
	if (need(b, f) != 0)
		return FR_EINVAL;
	return read_text(b, f, b->val[f], dst, max);
}

/*
 * Required identifier f of a source system (the record id, a course key),
 * checked as text and replaced at once by the hex of its keyed pseudonym
 * (issue 14): the value as given is never copied, so it cannot reach the
 * database, a log line or a rejection.
 */
static int need_ident(struct build *b, int f, enum pseud_ident kind,
		      char dst[PSEUD_HEX_LEN + 1])
{
	const struct rec_value *v;

	if (need(b, f) != 0)
		return FR_EINVAL;
	v = b->val[f];
	if (check_text(b, f, v, REC_ID_MAX) != 0)
		return FR_EINVAL;
	if (pseud_ident_hex(b->ctx->pseud, kind, v->s, v->len, dst) != 0)
		return fail(b, field_names[f], "pseudonymisation failed");
	return 0;
}

/* 1 if v is the string word. */
static int is_word(const struct rec_value *v, const char *word)
{
	size_t n = strlen(word);

	return v->type == RV_STRING && v->len == n && memcmp(v->s, word, n) == 0;
}


/* Sorts the fields out first, as records may list them in any order. */
static int sort_fields(struct build *b)
{
	int csv = b->ctx->csv;

	for (int i = 0; i < b->n; i++) {
		const struct rec_field *fl = &b->fields[i];
		int f = find_field(fl->name, fl->nlen);

		b->column = csv ? i + 1 : 0;
		if (f < 0 && csv) {
			b->extra_items++; /* an item column; later */
			continue;
		}
		if (f < 0) {
			char shown[48];

			shown_name(fl, shown, sizeof(shown), 40);
			return fail(b, shown, "unknown field");
		}
		/* Empty CSV cells and JSON nulls are "not given". */
		if (fl->v.type == RV_NULL ||
		    (csv && fl->v.type == RV_STRING && fl->v.len == 0))
			continue;
		b->val[f] = &fl->v;
		b->col[f] = b->column;
		b->present |= BIT(f);
	}
	return 0;
}

static int read_kind(struct build *b)
{
	const struct rec_ctx *ctx = b->ctx;
	struct record *r = b->r;

	if (ctx->csv)
		r->kind = ctx->csv_kind;
	if (b->present & BIT(F_KIND)) {
		const struct rec_value *v = b->val[F_KIND];
		enum rec_kind k = is_word(v, "response") ? REC_RESPONSE
				  : is_word(v, "event")  ? REC_EVENT
							 : REC_NONE;

		b->column = b->col[F_KIND];
		if (k == REC_NONE || (ctx->csv && k != ctx->csv_kind))
			return fail(b, "kind",
				    ctx->csv ? "does not match the file's kind"
					     : "must be \"response\" or \"event\"");
		r->kind = k;
	}
	if (r->kind == REC_NONE) {
		b->column = 0;
		return fail(b, "kind", "required field is missing");
	}
	b->allowed = COMMON | (r->kind == REC_RESPONSE ? RESPONSE_FIELDS
						       : EVENT_COMMON);
	return 0;
}

static int read_id_source(struct build *b)
{
	struct record *r = b->r;

	if (need_ident(b, F_ID, PSEUD_RECORD_ID, r->id) != 0)
		return FR_EINVAL;
	if (!(b->present & BIT(F_SOURCE))) {
		snprintf(r->source, sizeof(r->source), "%s",
			 b->ctx->default_source ? b->ctx->default_source
						: "file");
		return 0;
	}
	if (need_text(b, F_SOURCE, r->source, REC_SOURCE_MAX) != 0)
		return FR_EINVAL;
	if (!rec_source_ok(r->source))
		return fail(b, "source", "may hold only letters, digits, '_', "
					 "'.' and '-'");
	return 0;
}

/* ---- responses ---- */

static int read_instrument(struct build *b)
{
	char name[INSTR_ID_MAX + 1];
	int version = 0;

	if (need_text(b, F_INSTRUMENT, name, INSTR_ID_MAX) != 0 ||
	    need(b, F_VERSION) != 0 ||
	    read_int(b, "version", b->val[F_VERSION], 1, 32767, &version) != 0)
		return FR_EINVAL;
	b->r->instr = catalog_instrument(b->ctx->cat, name, strlen(name),
					 version);
	if (b->r->instr == NULL) {
		b->column = b->col[F_INSTRUMENT];
		return fail(b, "instrument", "unknown instrument or version "
					     "(see docs/instruments.md)");
	}
	return 0;
}

static int read_respondent(struct build *b)
{
	struct record *r = b->r;
	const struct rec_value *v;

	if (need(b, F_RESPONDENT) != 0)
		return FR_EINVAL;
	v = b->val[F_RESPONDENT];
	if (is_word(v, "citizen"))
		r->respondent = 'c';
	else if (is_word(v, "consultant"))
		r->respondent = 'k';
	else
		return fail(b, "respondent",
			    "must be \"citizen\" or \"consultant\"");
	if (r->respondent != r->instr->respondent)
		return fail(b, "respondent",
			    "does not match the instrument's respondent");
	return 0;
}

static int read_answered_at(struct build *b)
{
	struct record *r = b->r;

	if (need_text(b, F_ANSWERED_AT, r->answered_at, REC_TIME_MAX) != 0)
		return FR_EINVAL;
	if (rec_check_time(r->answered_at, strlen(r->answered_at), 0))
		return fail(b, "answered_at",
			    "must be an RFC 3339 timestamp with offset (at most "
			    "+-15:59), e.g. 2026-03-01T10:15:00+01:00");
	return 0;
}

/* CSV gives a response's answers one column per item, named by the item. */
static int read_csv_items(struct build *b)
{
	char name[INSTR_ID_MAX + 1];

	if (b->present & BIT(F_ANSWERS)) {
		b->column = b->col[F_ANSWERS];
		return fail(b, "answers", "CSV gives one column per item, not "
					  "an answers column");
	}
	for (int i = 0; i < b->n && b->extra_items; i++) {
		const struct rec_field *fl = &b->fields[i];
		int item;

		if (find_field(fl->name, fl->nlen) >= 0)
			continue;
		b->column = i + 1;
		shown_name(fl, name, sizeof(name), INSTR_ID_MAX);
		item = instr_find_item(b->r->instr, fl->name, fl->nlen);
		/* The header was checked: the column is an item of some
		 * instrument. Empty, as in a file that mixes instruments, it
		 * is simply not given. */
		if (item < 0 && fl->v.len == 0)
			continue;
		if (item < 0)
			return fail(b, name, "unknown item for this instrument "
					     "version");
		if (read_answer(b, name, item, &fl->v) != 0)
			return FR_EINVAL;
	}
	return 0;
}

static int build_response(struct build *b)
{
	struct record *r = b->r;

	if (read_instrument(b) != 0 || read_respondent(b) != 0 ||
	    read_answered_at(b) != 0)
		return FR_EINVAL;
	if ((b->present & BIT(F_COURSE)) &&
	    need_ident(b, F_COURSE, PSEUD_COURSE, r->course) != 0)
		return FR_EINVAL;
	for (int i = 0; i < r->instr->nitems; i++)
		r->answers[i] = INSTR_NULL;
	if (b->ctx->csv)
		return read_csv_items(b);
	if (need(b, F_ANSWERS) != 0)
		return FR_EINVAL;
	return read_answers_object(b, b->val[F_ANSWERS]);
}

/* ---- events ---- */

/*
 * The fields of each event type: how each is read, and with what
 * catalogue or range, into which member of struct record. A type requires
 * exactly its fields (and so allows no others). Fields are listed in the
 * order of enum fid, the order in which missing ones are reported.
 */
struct ev_field;
typedef int ev_reader(struct build *b, const struct ev_field *ef,
		      const struct rec_value *v);

struct ev_field {
	enum fid f;
	ev_reader *read;
	enum cat_kind cat; /* codes */
	double lo, hi;     /* numbers */
	size_t off;        /* where in struct record */
};

#define EV_MAX_FIELDS 3

struct ev_spec {
	int n;
	struct ev_field fields[EV_MAX_FIELDS];
};

#define MEMBER(b, ef, type) ((type *)((char *)(b)->r + (ef)->off))

static int ev_code(struct build *b, const struct ev_field *ef,
		   const struct rec_value *v)
{
	return read_code(b, ef->f, v, ef->cat, MEMBER(b, ef, char));
}

static int ev_int(struct build *b, const struct ev_field *ef,
		  const struct rec_value *v)
{
	return read_int(b, field_names[ef->f], v, (long long)ef->lo,
			(long long)ef->hi, MEMBER(b, ef, int));
}

static int ev_real(struct build *b, const struct ev_field *ef,
		   const struct rec_value *v)
{
	return read_real(b, ef->f, v, ef->lo, ef->hi, MEMBER(b, ef, double));
}

/* Paid hours are a number of hours, and a part of the week's hours. */
static int ev_paid_hours(struct build *b, const struct ev_field *ef,
			 const struct rec_value *v)
{
	if (ev_real(b, ef, v) != 0)
		return FR_EINVAL;
	if (b->r->paid_hours > b->r->hours)
		return fail(b, field_names[ef->f], "must not exceed hours");
	return 0;
}

static int ev_bool(struct build *b, const struct ev_field *ef,
		   const struct rec_value *v)
{
	return read_bool(b, ef->f, v, MEMBER(b, ef, int));
}

static int ev_week(struct build *b, const struct ev_field *ef,
		   const struct rec_value *v)
{
	if (v->type != RV_STRING ||
	    rec_iso_week_monday(v->s, v->len, MEMBER(b, ef, char)))
		return fail(b, field_names[ef->f],
			    "must be an ISO week such as 2026-W09");
	return 0;
}

#define CODE(f, cat, m) {f, ev_code, cat, 0, 0, offsetof(struct record, m)}
#define NUM(f, rd, lo, hi, m) {f, rd, 0, lo, hi, offsetof(struct record, m)}

static const struct ev_spec ev_specs[EV_TYPES] = {
	[EV_COURSE_STARTED] = {2, {CODE(F_DEPARTMENT, CAT_DEPARTMENT, department),
				   CODE(F_AGREEMENT, CAT_TARGET_GROUP, agreement)}},
	[EV_INTERVENTION_STARTED] = {1, {CODE(F_INTERVENTION, CAT_INTERVENTION,
					      intervention)}},
	[EV_INTERVENTION_ENDED] = {1, {CODE(F_INTERVENTION, CAT_INTERVENTION,
					    intervention)}},
	[EV_HOURS] = {3, {NUM(F_WEEK, ev_week, 0, 0, week),
			  NUM(F_HOURS, ev_real, 0, 168, hours),
			  NUM(F_PAID_HOURS, ev_paid_hours, 0, 168, paid_hours)}},
	[EV_MEETING] = {2, {CODE(F_MEETING, CAT_MEETING, meeting),
			    NUM(F_ATTENDED, ev_bool, 0, 0, attended)}},
	[EV_GOAL_SET] = {2, {CODE(F_GOAL, CAT_SUBGOAL, goal),
			     NUM(F_WEIGHT, ev_int, 1, 3, weight)}},
	[EV_GOAL_RATED] = {2, {CODE(F_GOAL, CAT_SUBGOAL, goal),
			       NUM(F_LEVEL, ev_int, -2, 2, level)}},
	[EV_JOB_CHANCE_RATED] = {1, {NUM(F_LEVEL, ev_int, 1, 5, level)}},
	[EV_COURSE_ENDED] = {1, {CODE(F_EXIT_STATUS, CAT_EXIT_STATUS,
				      exit_status)}},
	[EV_FOLLOWUP] = {2, {NUM(F_MONTHS_AFTER, ev_int, 1, 60, months_after),
			     CODE(F_STATUS, CAT_EXIT_STATUS, status)}},
};

#undef CODE
#undef NUM

/* An event file has no item columns: any column that is not a field. */
static int check_event_columns(struct build *b)
{
	if (!b->ctx->csv || !b->extra_items)
		return 0;
	for (int i = 0; i < b->n; i++) {
		if (find_field(b->fields[i].name, b->fields[i].nlen) < 0) {
			b->column = i + 1;
			return fail(b, "header", "unknown column in an event file");
		}
	}
	return 0;
}

static int read_type(struct build *b)
{
	const struct rec_value *v;

	if (need(b, F_TYPE) != 0)
		return FR_EINVAL;
	v = b->val[F_TYPE];
	for (int t = 1; t < EV_TYPES; t++) {
		if (is_word(v, type_names[t])) {
			b->r->type = (enum ev_type)t;
			return 0;
		}
	}
	return fail(b, "type", "unknown event type (see docs/formats.md)");
}

static int read_at(struct build *b)
{
	struct record *r = b->r;

	if (need_text(b, F_AT, r->at, REC_TIME_MAX) != 0)
		return FR_EINVAL;
	if (rec_check_time(r->at, strlen(r->at), 1))
		return fail(b, "at", "must be a date (2026-03-01) or an RFC 3339 "
				     "timestamp with offset (at most +-15:59)");
	return 0;
}

/* All of a type's fields must be there before any of them is read. */
static int check_event_fields(struct build *b, const struct ev_spec *spec)
{
	for (int i = 0; i < spec->n; i++) {
		enum fid f = spec->fields[i].f;

		if (!(b->present & BIT(f))) {
			b->column = 0;
			return fail(b, field_names[f],
				    "required field is missing for type %s",
				    type_names[b->r->type]);
		}
	}
	return 0;
}

static int build_event(struct build *b)
{
	const struct ev_spec *spec;
	int rc;

	if (check_event_columns(b) != 0 || read_type(b) != 0)
		return FR_EINVAL;
	spec = &ev_specs[b->r->type];
	for (int i = 0; i < spec->n; i++)
		b->allowed |= BIT(spec->fields[i].f);
	rc = need_ident(b, F_COURSE, PSEUD_COURSE, b->r->course);
	rc = rc ? rc : read_at(b);
	rc = rc ? rc : check_event_fields(b, spec);
	for (int i = 0; i < spec->n && rc == 0; i++) {
		const struct ev_field *ef = &spec->fields[i];

		b->column = b->col[ef->f];
		rc = ef->read(b, ef, b->val[ef->f]);
	}
	return rc;
}

/* ---- common to both kinds ---- */

/* A field given that this kind or type does not use. */
static int check_allowed(struct build *b)
{
	unsigned extra = b->present & ~b->allowed;
	int f;

	if (extra == 0)
		return 0;
	f = __builtin_ctz(extra); /* the first in enum fid order */
	b->column = b->col[f];
	return fail(b, field_names[f], b->r->kind == REC_RESPONSE
					       ? "not a field of a response"
					       : "not a field of this event type");
}

/* Last the CPR number: parse, pseudonymise, wipe. */
static int read_cpr(struct build *b)
{
	const struct rec_value *v;
	struct record *r = b->r;
	struct fr_err cerr;
	struct cpr cpr;
	int rc = FR_EINVAL;

	if (need(b, F_CPR) != 0)
		return FR_EINVAL;
	v = b->val[F_CPR];
	if (v->type != RV_STRING)
		return fail(b, "cpr", "must be a string (DDMMYY-SSSS)");
	memset(&cpr, 0, sizeof(cpr));
	fr_err_clear(&cerr);
	if (cpr_parse(v->s, v->len, &b->ctx->today, &cpr, &cerr) != 0) {
		fail(b, "cpr", "%s", cerr.msg);
		if (b->err)
			b->err->reason = cerr.reason;
		goto out;
	}
	if (pseud_citizen(b->ctx->pseud, cpr.canonical, r->pseudonym) != 0) {
		fail(b, "cpr", "pseudonymisation failed");
		goto out;
	}
	r->key_no = b->ctx->key_no;
	r->birth_year = cpr.birth.year;
	r->sex = cpr.sex;
	if (r->kind == REC_RESPONSE)
		rec_score(r);
	rc = 0;
out:
	cpr_wipe(&cpr);
	return rc;
}

void rec_score(struct record *r)
{
	instr_score(r->instr, r->answers, r->scores, r->score_present);
}

int rec_build(struct record *r, const struct rec_ctx *ctx,
	      const struct rec_field *fields, int n, struct fr_err *err)
{
	struct build b = {.r = r, .ctx = ctx, .err = err, .fields = fields,
			  .n = n};

	r->kind = REC_NONE;
	r->instr = NULL;
	r->type = EV_NONE;
	r->course[0] = '\0';
	if (sort_fields(&b) != 0 || read_kind(&b) != 0 ||
	    read_id_source(&b) != 0)
		return FR_EINVAL;
	if ((r->kind == REC_RESPONSE ? build_response(&b) : build_event(&b)) != 0)
		return FR_EINVAL;
	if (check_allowed(&b) != 0)
		return FR_EINVAL;
	return read_cpr(&b);
}

/* ---- CSV headers ---- */

/* The fields of all event types, department to status. */
#define EVENT_TYPE_FIELDS ((BIT(F_STATUS + 1) - 1) & ~(BIT(F_DEPARTMENT) - 1))
#define RESPONSE_REQUIRED                                                      \
	(BIT(F_ID) | BIT(F_CPR) | BIT(F_INSTRUMENT) | BIT(F_VERSION) |         \
	 BIT(F_RESPONDENT) | BIT(F_ANSWERED_AT))
#define EVENT_REQUIRED                                                         \
	(BIT(F_ID) | BIT(F_CPR) | BIT(F_COURSE) | BIT(F_AT) | BIT(F_TYPE))

/* 1 if name is an item of any instrument in the catalogue. */
static int any_item(const struct catalog *cat, const char *name)
{
	for (int i = 0; i < cat->ninstruments; i++)
		if (instr_find_item(&cat->instruments[i], name, strlen(name)) >= 0)
			return 1;
	return 0;
}

/* Column i (named name) of a header of kind: 0 if it may be there, else
 * FR_EINVAL with err naming it (never a CPR-shaped name). */
static int header_column(enum rec_kind kind, const struct catalog *cat,
			 const char *name, int i, struct fr_err *err)
{
	unsigned allowed = COMMON | (kind == REC_RESPONSE
					     ? RESPONSE_FIELDS & ~BIT(F_ANSWERS)
					     : EVENT_COMMON | EVENT_TYPE_FIELDS);
	int f = find_field(name, strlen(name));
	const char *shown = cpr_shaped(name, strlen(name)) ? CPR_SHAPED_NAME
							    : name;

	if (f >= 0 && (allowed & BIT(f)))
		return 0;
	if (f < 0 && kind == REC_RESPONSE && any_item(cat, name))
		return 0;
	fr_err_set(err, FR_EINVAL, "header",
		   "header column %d (%s) is %s; rename or remove it "
		   "(docs/formats.md)",
		   i + 1, shown,
		   f == F_ANSWERS ? "not used in CSV, which gives one column "
				    "per item"
		   : f >= 0 ? (kind == REC_RESPONSE ? "not a field of a response"
						    : "not a field of an event")
		   : kind == REC_RESPONSE ? "neither a field nor an item of "
					    "any instrument"
					  : "not a field of an event");
	if (err)
		err->column = i + 1;
	return FR_EINVAL;
}

int rec_check_csv_header(enum rec_kind kind, const struct catalog *cat,
			 char *const *cols, int ncols, struct fr_err *err)
{
	unsigned have = 0, missing;

	for (int i = 0; i < ncols; i++) {
		int f = find_field(cols[i], strlen(cols[i]));

		if (header_column(kind, cat, cols[i], i, err) != 0)
			return FR_EINVAL;
		if (f >= 0)
			have |= BIT(f);
	}
	missing = (kind == REC_RESPONSE ? RESPONSE_REQUIRED : EVENT_REQUIRED) &
		  ~have;
	if (missing == 0)
		return 0;
	return fr_err_set(err, FR_EINVAL, "header",
			  "the header has no `%s` column, which every %s "
			  "needs (docs/formats.md)",
			  field_names[__builtin_ctz(missing)],
			  kind == REC_RESPONSE ? "response" : "event");
}

/* A jansson scalar as a record value. */
static void json_scalar(json_t *v, struct rec_value *out)
{
	memset(out, 0, sizeof(*out));
	switch (json_typeof(v)) {
	case JSON_STRING:
		out->type = RV_STRING;
		out->s = json_string_value(v);
		out->len = json_string_length(v);
		break;
	case JSON_INTEGER:
		out->type = RV_INT;
		out->i = json_integer_value(v);
		out->d = (double)out->i;
		break;
	case JSON_REAL:
		out->type = RV_REAL;
		out->d = json_real_value(v);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		out->type = RV_BOOL;
		out->b = json_is_true(v);
		break;
	case JSON_OBJECT:
		out->type = RV_OBJECT;
		break;
	case JSON_ARRAY:
		out->type = RV_ARRAY;
		break;
	default:
		out->type = RV_NULL;
		break;
	}
}

int rec_from_json_object(void *object, const struct rec_ctx *ctx,
			 struct record *out, struct fr_err *err)
{
	json_t *obj = object;
	struct rec_field fields[F_COUNT + 8], inner[INSTR_MAX_ITEMS + 8];
	const char *key;
	json_t *v;
	int n = 0, ninner = 0;

	if (!json_is_object(obj))
		return fr_err_set(err, FR_EPARSE, "", "a record must be a JSON "
						      "object");
	json_object_foreach(obj, key, v) {
		struct rec_field *f = &fields[n];

		if (n == (int)(sizeof(fields) / sizeof(fields[0])))
			return fr_err_set(err, FR_EINVAL, "",
					  "too many fields in one record");
		memset(f, 0, sizeof(*f));
		f->name = key;
		f->nlen = strlen(key);
		json_scalar(v, &f->v);
		if (json_is_object(v) && ninner == 0) {
			const char *ik;
			json_t *iv;

			json_object_foreach(v, ik, iv) {
				if (ninner == (int)(sizeof(inner) / sizeof(*inner)))
					return fr_err_set(err, FR_EINVAL, "answers",
							  "too many answers");
				inner[ninner].name = ik;
				inner[ninner].nlen = strlen(ik);
				json_scalar(iv, &inner[ninner].v);
				ninner++;
			}
			f->v.pairs = inner;
			f->v.npairs = ninner;
		}
		n++;
	}
	return rec_build(out, ctx, fields, n, err);
}

int rec_parse_json(const char *text, size_t len, const struct rec_ctx *ctx,
		   struct record *out, struct fr_err *err)
{
	struct rec_field fields[F_COUNT + 8], inner[INSTR_MAX_ITEMS + 8];
	char stack_scratch[8192], *scratch = stack_scratch;
	const char *why = NULL;
	long column = 0;
	int n, ninner, rc;

	/* Decoded escapes need at most the line's length. */
	if (len > sizeof(stack_scratch))
		scratch = fr_xmalloc(len);
	if (jscan_record(text, len, scratch, fields,
			 (int)(sizeof(fields) / sizeof(*fields)), &n, inner,
			 (int)(sizeof(inner) / sizeof(*inner)), &ninner, &why,
			 &column) != 0) {
		fr_err_set(err, FR_EPARSE, "", "%s", why);
		if (err)
			err->column = column;
		rc = FR_EPARSE;
	} else {
		rc = rec_build(out, ctx, fields, n, err);
	}
	if (scratch != stack_scratch)
		free(scratch);
	return rc;
}

/* ---- splitting a JSON body into records ---- */

enum { SPLIT_START, SPLIT_IN_ARRAY, SPLIT_AFTER, SPLIT_DONE, SPLIT_FAILED };

void rec_split_init(struct rec_split *s, const char *text, size_t len)
{
	memset(s, 0, sizeof(*s));
	s->text = text;
	s->len = len;
}

static void split_ws(struct rec_split *s)
{
	while (s->pos < s->len &&
	       (s->text[s->pos] == ' ' || s->text[s->pos] == '\t' ||
		s->text[s->pos] == '\n' || s->text[s->pos] == '\r'))
		s->pos++;
}

/* Says where the body went wrong: line and column are counted only now,
 * once, so splitting a good body costs nothing for them. */
static int split_fail(struct rec_split *s, const char *why, struct fr_err *err)
{
	long line = 1;
	size_t bol = 0;

	for (size_t i = 0; i < s->pos && i < s->len; i++)
		if (s->text[i] == '\n') {
			line++;
			bol = i + 1;
		}
	s->state = SPLIT_FAILED;
	fr_err_set(err, FR_EPARSE, "",
		   "the body is not a JSON array of records: %s (line %ld, "
		   "column %ld)",
		   why, line, (long)(s->pos - bol) + 1);
	if (err) {
		err->line = line;
		err->column = (long)(s->pos - bol) + 1;
	}
	return FR_EPARSE;
}

/* Before the body: an array to step into, or one object as the record. */
static int split_start(struct rec_split *s, const char **elem, size_t *elen,
		       struct fr_err *err)
{
	const char *why = NULL;

	split_ws(s);
	if (s->pos >= s->len)
		return split_fail(s, "the body is empty", err);
	if (s->text[s->pos] == '[') {
		s->pos++;
		split_ws(s);
		if (s->pos < s->len && s->text[s->pos] == ']') {
			s->pos++;
			s->state = SPLIT_AFTER;
			return 0;
		}
		s->state = SPLIT_IN_ARRAY;
		return 0;
	}
	if (s->text[s->pos] != '{')
		return split_fail(s, "'[' or '{' expected", err);
	*elem = s->text + s->pos;
	if (jscan_value(s->text, s->len, &s->pos, elen, &why) != 0)
		return split_fail(s, why, err);
	s->state = SPLIT_AFTER;
	s->index++;
	return 1;
}

/* In the array, at an element: the element, then ',' or ']'. */
static int split_element(struct rec_split *s, const char **elem,
			 size_t *elen, struct fr_err *err)
{
	const char *why = NULL;

	split_ws(s);
	*elem = s->text + s->pos;
	if (jscan_value(s->text, s->len, &s->pos, elen, &why) != 0)
		return split_fail(s, why, err);
	split_ws(s);
	if (s->pos >= s->len)
		return split_fail(s, "JSON ends too early", err);
	if (s->text[s->pos] == ']')
		s->state = SPLIT_AFTER;
	else if (s->text[s->pos] != ',')
		return split_fail(s, "',' or ']' expected", err);
	s->pos++;
	s->index++;
	return 1;
}

int rec_split_next(struct rec_split *s, const char **elem, size_t *elen,
		   struct fr_err *err)
{
	int rc;

	switch (s->state) {
	case SPLIT_START:
		rc = split_start(s, elem, elen, err);
		/* An array's opening bracket alone is not an element: go on
		 * to the first one (or to the end of an empty array). */
		return rc != 0 ? rc : rec_split_next(s, elem, elen, err);
	case SPLIT_IN_ARRAY:
		return split_element(s, elem, elen, err);
	case SPLIT_AFTER:
		split_ws(s);
		if (s->pos != s->len)
			return split_fail(s, "text after the JSON array", err);
		s->state = SPLIT_DONE;
		return 0;
	case SPLIT_DONE:
		return 0;
	default:
		return split_fail(s, "not valid JSON", err);
	}
}
