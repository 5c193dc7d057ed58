#include "fremdrift/record.h"
#include "fremdrift/buf.h"
#include "fremdrift/civil.h"
#include "internal_json.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

enum fid {
	F_KIND, F_ID, F_SOURCE, F_CPR,
	F_INSTRUMENT, F_VERSION, F_RESPONDENT, F_ANSWERED_AT, F_ANSWERS,
	F_COURSE, F_AT, F_TYPE,
	F_DEPARTMENT, F_AGREEMENT, F_INTERVENTION, F_WEEK, F_HOURS,
	F_PAID_HOURS, F_MEETING, F_ATTENDED, F_GOAL, F_WEIGHT, F_LEVEL,
	F_EXIT_STATUS, F_MONTHS_AFTER, F_STATUS,
	F_COUNT
};

static const char *const field_names[F_COUNT] = {
	"kind", "id", "source", "cpr",
	"instrument", "version", "respondent", "answered_at", "answers",
	"course", "at", "type",
	"department", "agreement", "intervention", "week", "hours",
	"paid_hours", "meeting", "attended", "goal", "weight", "level",
	"exit_status", "months_after", "status"};

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

/* The fields each event type requires (and so allows). */
static const unsigned type_fields[EV_TYPES] = {
	0,
	BIT(F_DEPARTMENT) | BIT(F_AGREEMENT),
	BIT(F_INTERVENTION),
	BIT(F_INTERVENTION),
	BIT(F_WEEK) | BIT(F_HOURS) | BIT(F_PAID_HOURS),
	BIT(F_MEETING) | BIT(F_ATTENDED),
	BIT(F_GOAL) | BIT(F_WEIGHT),
	BIT(F_GOAL) | BIT(F_LEVEL),
	BIT(F_LEVEL),
	BIT(F_EXIT_STATUS),
	BIT(F_MONTHS_AFTER) | BIT(F_STATUS)};

const char *rec_event_type_name(enum ev_type t)
{
	return (unsigned)t < EV_TYPES ? type_names[t] : NULL;
}

static int find_field(const char *name, size_t len)
{
	for (int f = 0; f < F_COUNT; f++)
		if (strlen(field_names[f]) == len &&
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
		if (n == 0)
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

int rec_check_time(const char *s, size_t len, int allow_date)
{
	int y, mo, d, h, mi, sec, oh, om;
	size_t p;

	if (len < 10 || digits(s, 4, &y) || s[4] != '-' ||
	    digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d))
		return FR_EINVAL;
	if (y < 1900 || y > 2100 || !cpr_date_valid(y, mo, d))
		return FR_EINVAL;
	if (len == 10)
		return allow_date ? 0 : FR_EINVAL;
	if (len < 20 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) ||
	    s[16] != ':' || digits(s + 17, 2, &sec))
		return FR_EINVAL;
	if (h > 23 || mi > 59 || sec > 60)
		return FR_EINVAL;
	p = 19;
	if (p < len && s[p] == '.') {
		size_t start = ++p;

		while (p < len && s[p] >= '0' && s[p] <= '9')
			p++;
		if (p == start || p - start > 9)
			return FR_EINVAL;
	}
	if (p < len && (s[p] == 'Z' || s[p] == 'z'))
		return p + 1 == len ? 0 : FR_EINVAL;
	if (p + 6 != len || (s[p] != '+' && s[p] != '-') ||
	    digits(s + p + 1, 2, &oh) || s[p + 3] != ':' ||
	    digits(s + p + 4, 2, &om) || oh > 23 || om > 59)
		return FR_EINVAL;
	return 0;
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

static int read_text(struct build *b, int f, const struct rec_value *v,
		     char *dst, size_t max)
{
	if (v->type != RV_STRING)
		return fail(b, field_names[f], "must be a string");
	if (v->len == 0)
		return fail(b, field_names[f], "must not be empty");
	if (v->len > max)
		return fail(b, field_names[f], "longer than %zu characters", max);
	if (!rec_text_ok(v->s, v->len))
		return fail(b, field_names[f],
			    "not valid UTF-8 text (or holds control characters)");
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

/* JSON "answers": {"b01": 4, "b02": null, ...} */
static int read_answers_object(struct build *b, const struct rec_value *v)
{
	if (v->type != RV_OBJECT)
		return fail(b, "answers", "must be an object of item: answer");
	for (int i = 0; i < v->npairs; i++) {
		const struct rec_field *pr = &v->pairs[i];
		int item = instr_find_item(b->r->instr, pr->name, pr->nlen);
		char field[64];

		snprintf(field, sizeof(field), "answers.%.*s",
			 (int)(pr->nlen > 50 ? 50 : pr->nlen), pr->name);
		if (!rec_text_ok(field, strlen(field)))
			strcpy(field, "answers.?");
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

int rec_build(struct record *r, const struct rec_ctx *ctx,
	      const struct rec_field *fields, int n, struct fr_err *err)
{
	const struct rec_value *val[F_COUNT] = {0};
	int col[F_COUNT] = {0};
	struct build b = {r, ctx, err, 0};
	unsigned present = 0, allowed;
	struct cpr cpr;
	char name[INSTR_ID_MAX + 1];
	int version = 0, rc = FR_EINVAL, extra_items = 0;

	memset(&cpr, 0, sizeof(cpr));
	r->kind = REC_NONE;
	r->instr = NULL;
	r->type = EV_NONE;
	r->course[0] = '\0';

	/* Sort the fields out first: records may list them in any order. */
	for (int i = 0; i < n; i++) {
		int f = find_field(fields[i].name, fields[i].nlen);

		b.column = ctx->csv ? i + 1 : 0;
		if (f < 0) {
			if (ctx->csv) {
				extra_items++; /* an item column; later */
				continue;
			}
			char shown[48];

			snprintf(shown, sizeof(shown), "%.*s",
				 (int)(fields[i].nlen > 40 ? 40 : fields[i].nlen),
				 fields[i].name);
			if (!rec_text_ok(shown, strlen(shown)))
				strcpy(shown, "?");
			return fail(&b, shown, "unknown field");
		}
		/* Empty CSV cells and JSON nulls are "not given". */
		if (fields[i].v.type == RV_NULL ||
		    (ctx->csv && fields[i].v.type == RV_STRING &&
		     fields[i].v.len == 0))
			continue;
		val[f] = &fields[i].v;
		col[f] = ctx->csv ? i + 1 : 0;
		present |= BIT(f);
	}

#define COL(f) (b.column = col[f])
#define NEED(f)                                                                \
	do {                                                                   \
		if (!(present & BIT(f))) {                                     \
			b.column = 0;                                          \
			return fail(&b, field_names[f],                        \
				    "required field is missing");              \
		}                                                              \
	} while (0)

	/* kind */
	if (ctx->csv) {
		r->kind = ctx->csv_kind;
	}
	if (present & BIT(F_KIND)) {
		enum rec_kind k = REC_NONE;

		COL(F_KIND);
		if (val[F_KIND]->type == RV_STRING) {
			if (val[F_KIND]->len == 8 &&
			    memcmp(val[F_KIND]->s, "response", 8) == 0)
				k = REC_RESPONSE;
			else if (val[F_KIND]->len == 5 &&
				 memcmp(val[F_KIND]->s, "event", 5) == 0)
				k = REC_EVENT;
		}
		if (k == REC_NONE || (ctx->csv && k != ctx->csv_kind))
			return fail(&b, "kind",
				    ctx->csv ? "does not match the file's kind"
					     : "must be \"response\" or \"event\"");
		r->kind = k;
	}
	if (r->kind == REC_NONE) {
		b.column = 0;
		return fail(&b, "kind", "required field is missing");
	}
	allowed = COMMON | (r->kind == REC_RESPONSE ? RESPONSE_FIELDS
						    : EVENT_COMMON);

	/* id and source */
	NEED(F_ID);
	COL(F_ID);
	if (read_text(&b, F_ID, val[F_ID], r->id, REC_ID_MAX) != 0)
		return FR_EINVAL;
	if (present & BIT(F_SOURCE)) {
		COL(F_SOURCE);
		if (read_text(&b, F_SOURCE, val[F_SOURCE], r->source,
			      REC_SOURCE_MAX) != 0)
			return FR_EINVAL;
		if (!rec_source_ok(r->source))
			return fail(&b, "source",
				    "may hold only letters, digits, '_', '.' "
				    "and '-'");
	} else {
		snprintf(r->source, sizeof(r->source), "%s",
			 ctx->default_source ? ctx->default_source : "file");
	}

	if (r->kind == REC_RESPONSE) {
		NEED(F_INSTRUMENT);
		COL(F_INSTRUMENT);
		if (read_text(&b, F_INSTRUMENT, val[F_INSTRUMENT], name,
			      INSTR_ID_MAX) != 0)
			return FR_EINVAL;
		NEED(F_VERSION);
		COL(F_VERSION);
		if (read_int(&b, "version", val[F_VERSION], 1, 32767,
			     &version) != 0)
			return FR_EINVAL;
		r->instr = catalog_instrument(ctx->cat, name, strlen(name),
					      version);
		if (r->instr == NULL) {
			COL(F_INSTRUMENT);
			return fail(&b, "instrument",
				    "unknown instrument or version "
				    "(see docs/instruments.md)");
		}
		NEED(F_RESPONDENT);
		COL(F_RESPONDENT);
		{
			const struct rec_value *v = val[F_RESPONDENT];

			if (v->type == RV_STRING && v->len == 7 &&
			    memcmp(v->s, "citizen", 7) == 0)
				r->respondent = 'c';
			else if (v->type == RV_STRING && v->len == 10 &&
				 memcmp(v->s, "consultant", 10) == 0)
				r->respondent = 'k';
			else
				return fail(&b, "respondent",
					    "must be \"citizen\" or \"consultant\"");
			if (r->respondent != r->instr->respondent)
				return fail(&b, "respondent",
					    "does not match the instrument's "
					    "respondent");
		}
		NEED(F_ANSWERED_AT);
		COL(F_ANSWERED_AT);
		if (read_text(&b, F_ANSWERED_AT, val[F_ANSWERED_AT],
			      r->answered_at, REC_TIME_MAX) != 0)
			return FR_EINVAL;
		if (rec_check_time(r->answered_at, strlen(r->answered_at), 0))
			return fail(&b, "answered_at",
				    "must be an RFC 3339 timestamp with offset, "
				    "e.g. 2026-03-01T10:15:00+01:00");
		if (present & BIT(F_COURSE)) {
			COL(F_COURSE);
			if (read_text(&b, F_COURSE, val[F_COURSE], r->course,
				      REC_ID_MAX) != 0)
				return FR_EINVAL;
		}
		for (int i = 0; i < r->instr->nitems; i++)
			r->answers[i] = INSTR_NULL;
		if (ctx->csv) {
			if (present & BIT(F_ANSWERS)) {
				COL(F_ANSWERS);
				return fail(&b, "answers",
					    "CSV gives one column per item, not "
					    "an answers column");
			}
			for (int i = 0; i < n && extra_items; i++) {
				int item;

				if (find_field(fields[i].name, fields[i].nlen) >= 0)
					continue;
				b.column = i + 1;
				snprintf(name, sizeof(name), "%.*s",
					 (int)(fields[i].nlen > INSTR_ID_MAX
						       ? INSTR_ID_MAX
						       : fields[i].nlen),
					 fields[i].name);
				if (!rec_text_ok(name, strlen(name)))
					strcpy(name, "?");
				item = instr_find_item(r->instr, fields[i].name,
						       fields[i].nlen);
				if (item < 0)
					return fail(&b, name,
						    "unknown item for this "
						    "instrument version");
				if (read_answer(&b, name, item, &fields[i].v))
					return FR_EINVAL;
			}
		} else {
			NEED(F_ANSWERS);
			COL(F_ANSWERS);
			if (read_answers_object(&b, val[F_ANSWERS]) != 0)
				return FR_EINVAL;
		}
	} else {
		const char *tname;

		if (ctx->csv && extra_items) {
			for (int i = 0; i < n; i++) {
				if (find_field(fields[i].name, fields[i].nlen) < 0) {
					b.column = i + 1;
					return fail(&b, "header",
						    "unknown column in an event "
						    "file");
				}
			}
		}
		NEED(F_TYPE);
		COL(F_TYPE);
		if (val[F_TYPE]->type == RV_STRING) {
			for (int t = 1; t < EV_TYPES; t++)
				if (strlen(type_names[t]) == val[F_TYPE]->len &&
				    memcmp(type_names[t], val[F_TYPE]->s,
					   val[F_TYPE]->len) == 0)
					r->type = (enum ev_type)t;
		}
		if (r->type == EV_NONE)
			return fail(&b, "type", "unknown event type "
						"(see docs/formats.md)");
		tname = type_names[r->type];
		allowed |= type_fields[r->type];
		NEED(F_COURSE);
		COL(F_COURSE);
		if (read_text(&b, F_COURSE, val[F_COURSE], r->course,
			      REC_ID_MAX) != 0)
			return FR_EINVAL;
		NEED(F_AT);
		COL(F_AT);
		if (read_text(&b, F_AT, val[F_AT], r->at, REC_TIME_MAX) != 0)
			return FR_EINVAL;
		if (rec_check_time(r->at, strlen(r->at), 1))
			return fail(&b, "at",
				    "must be a date (2026-03-01) or an RFC 3339 "
				    "timestamp with offset");
		for (int f = 0; f < F_COUNT; f++) {
			if ((type_fields[r->type] & BIT(f)) &&
			    !(present & BIT(f))) {
				b.column = 0;
				return fail(&b, field_names[f],
					    "required field is missing for "
					    "type %s",
					    tname);
			}
		}
		switch (r->type) {
		case EV_COURSE_STARTED:
			COL(F_DEPARTMENT);
			if (read_code(&b, F_DEPARTMENT, val[F_DEPARTMENT],
				      CAT_DEPARTMENT, r->department))
				return FR_EINVAL;
			COL(F_AGREEMENT);
			if (read_code(&b, F_AGREEMENT, val[F_AGREEMENT],
				      CAT_TARGET_GROUP, r->agreement))
				return FR_EINVAL;
			break;
		case EV_INTERVENTION_STARTED:
		case EV_INTERVENTION_ENDED:
			COL(F_INTERVENTION);
			if (read_code(&b, F_INTERVENTION, val[F_INTERVENTION],
				      CAT_INTERVENTION, r->intervention))
				return FR_EINVAL;
			break;
		case EV_HOURS:
			COL(F_WEEK);
			if (val[F_WEEK]->type != RV_STRING ||
			    rec_iso_week_monday(val[F_WEEK]->s, val[F_WEEK]->len,
						r->week))
				return fail(&b, "week",
					    "must be an ISO week such as 2026-W09");
			COL(F_HOURS);
			if (read_real(&b, F_HOURS, val[F_HOURS], 0, 168, &r->hours))
				return FR_EINVAL;
			COL(F_PAID_HOURS);
			if (read_real(&b, F_PAID_HOURS, val[F_PAID_HOURS], 0, 168,
				      &r->paid_hours))
				return FR_EINVAL;
			if (r->paid_hours > r->hours)
				return fail(&b, "paid_hours",
					    "must not exceed hours");
			break;
		case EV_MEETING:
			COL(F_MEETING);
			if (read_code(&b, F_MEETING, val[F_MEETING], CAT_MEETING,
				      r->meeting))
				return FR_EINVAL;
			COL(F_ATTENDED);
			if (read_bool(&b, F_ATTENDED, val[F_ATTENDED],
				      &r->attended))
				return FR_EINVAL;
			break;
		case EV_GOAL_SET:
			COL(F_GOAL);
			if (read_code(&b, F_GOAL, val[F_GOAL], CAT_SUBGOAL,
				      r->goal))
				return FR_EINVAL;
			COL(F_WEIGHT);
			if (read_int(&b, "weight", val[F_WEIGHT], 1, 3,
				     &r->weight))
				return FR_EINVAL;
			break;
		case EV_GOAL_RATED:
			COL(F_GOAL);
			if (read_code(&b, F_GOAL, val[F_GOAL], CAT_SUBGOAL,
				      r->goal))
				return FR_EINVAL;
			COL(F_LEVEL);
			if (read_int(&b, "level", val[F_LEVEL], -2, 2, &r->level))
				return FR_EINVAL;
			break;
		case EV_JOB_CHANCE_RATED:
			COL(F_LEVEL);
			if (read_int(&b, "level", val[F_LEVEL], 1, 5, &r->level))
				return FR_EINVAL;
			break;
		case EV_COURSE_ENDED:
			COL(F_EXIT_STATUS);
			if (read_code(&b, F_EXIT_STATUS, val[F_EXIT_STATUS],
				      CAT_EXIT_STATUS, r->exit_status))
				return FR_EINVAL;
			break;
		case EV_FOLLOWUP:
			COL(F_MONTHS_AFTER);
			if (read_int(&b, "months_after", val[F_MONTHS_AFTER], 1,
				     60, &r->months_after))
				return FR_EINVAL;
			COL(F_STATUS);
			if (read_code(&b, F_STATUS, val[F_STATUS],
				      CAT_EXIT_STATUS, r->status))
				return FR_EINVAL;
			break;
		default:
			break;
		}
	}

	/* A field given that this kind or type does not use. */
	for (int f = 0; f < F_COUNT; f++) {
		if ((present & BIT(f)) && !(allowed & BIT(f))) {
			COL(f);
			return fail(&b, field_names[f],
				    r->kind == REC_RESPONSE
					    ? "not a field of a response"
					    : "not a field of this event type");
		}
	}

	/* Last the CPR number: parse, pseudonymise, wipe. */
	NEED(F_CPR);
	COL(F_CPR);
	if (val[F_CPR]->type != RV_STRING)
		return fail(&b, "cpr", "must be a string (DDMMYY-SSSS)");
	{
		struct fr_err cerr;

		fr_err_clear(&cerr);
		if (cpr_parse(val[F_CPR]->s, val[F_CPR]->len, &ctx->today, &cpr,
			      &cerr) != 0) {
			fail(&b, "cpr", "%s", cerr.msg);
			if (err)
				err->reason = cerr.reason;
			goto out;
		}
	}
	if (pseud_citizen(ctx->pseud, cpr.canonical, r->pseudonym) != 0) {
		fail(&b, "cpr", "pseudonymisation failed");
		goto out;
	}
	r->key_no = ctx->key_no;
	r->birth_year = cpr.birth.year;
	r->sex = cpr.sex;
	if (r->kind == REC_RESPONSE)
		instr_score(r->instr, r->answers, r->scores, r->score_present);
	rc = 0;
out:
	cpr_wipe(&cpr);
	return rc;
#undef NEED
#undef COL
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
