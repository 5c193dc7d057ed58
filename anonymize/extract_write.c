/*
 * The data files of an extract. courses.csv comes from the courses
 * chosen; every other file is streamed from the database with COPY, its
 * rows matched to those courses by live course key and written under the
 * extract's identifiers, in random order (extract_rows.c).
 *
 * Sequences single people out (an employer knows the weeks and hours
 * worked, a consultant the meetings), so by default no calendar date is
 * written outside courses.csv: times are weeks since the course started,
 * in bins, and hours are totals per course, rounded. With --sequences
 * exact the weeks are exact (and, with shifted dates, the shifted dates
 * are given too), but only if no course is singled out by them
 * (extract__exact_ok); each course's sequences are summed into a
 * signature for that check as they stream by.
 */
#include "extract_internal.h"

#include "fremdrift/civil.h"
#include "fremdrift/db.h"
#include "fremdrift/instrument.h"
#include "fremdrift/pg_array.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define S(v) ((v) ? (v) : "")

typedef void row_fn(struct extract *x, struct extract__course *c, char **f);

const char *const extract__files[EX_NFILES] = {
	"courses.csv",	 "responses.csv", "progression.csv", "interventions.csv",
	"hours.csv",	 "outcomes.csv",  "items.csv"};

int extract__has_file(const struct extract *x, int f)
{
	return f != EX_ITEMS || x->opts->items;
}

/* 1 when the exact sequences carry shifted dates too. */
static int shifted_exact(const struct extract *x)
{
	return x->opts->exact && !x->opts->month;
}

/* ---- the signature of a course's exact sequences ---- */

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Adds one event of a sequence. A sum, so the order rows arrive in does
 * not matter; two 64-bit lanes, so unequal sequences do not collide. */
static void sig_add(struct extract__course *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sig_add(struct extract__course *c, const char *fmt, ...)
{
	char buf[512];
	uint64_t a = 1469598103934665603ULL, b = 0x84222325cbf29ce4ULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (const char *p = buf; *p; p++) {
		a = (a ^ (unsigned char)*p) * 1099511628211ULL;
		b = (b ^ (unsigned char)*p) * 0x100000001b3ULL + 0x9e3779b97f4a7c15ULL;
	}
	c->sig[0] += mix64(a);
	c->sig[1] += mix64(b ^ 0x5851f42d4c957f2dULL);
}

/* ---- dates ---- */

/*
 * The time of date (YYYY-MM-DD) within course c: weeks since the start,
 * exact or in bins, into w; and with shifted exact sequences the date
 * moved by the person's shift into d (else "").
 */
static void when(const struct extract *x, const struct extract__course *c,
		 const char *date, char w[16], char d[11])
{
	long days, wk;

	w[0] = d[0] = '\0';
	if (date == NULL || fr_date_parse(date, &days) != 0)
		return;
	wk = days - c->start;
	wk = wk >= 0 ? wk / 7 : -((-wk + 6) / 7);
	if (x->opts->exact)
		snprintf(w, 16, "%ld", wk % 1000000);
	else
		snprintf(w, 16, "%s", extract__week_bin(wk));
	if (shifted_exact(x))
		fr_date_str(days + c->shift, d);
}

/* ",d" when the file carries shifted dates, else "". */
static const char *dcol(const struct extract *x, const char *d, char buf[16])
{
	if (!shifted_exact(x))
		return "";
	snprintf(buf, 16, ",%s", d);
	return buf;
}

/* ---- one row of each file ---- */

static void course_line(struct extract *x, const struct extract__course *c)
{
	const PGresult *res = x->courses_res;
	const int *l = x->pub.l;
	char age[16], s[16], e[16] = "", sex[2] = {c->sex, 0};
	int shift = x->opts->month ? 0 : c->shift;

	extract__age_label(c->start_year - c->birth_year, l[EXQ_AGE], age);
	extract__period_label(c->start + shift, l[EXQ_TIME], s);
	if (c->has_end)
		extract__period_label(c->end + shift, l[EXQ_TIME], e);
	extract__out_row(
		&x->outs[EX_COURSES],
		"%s,%s,%s,%s,%s,%s,%s,%s,%d,%s,%s,%s,%s,%s,%s,%s\n", c->pid,
		c->cid, age, extract__code_label(sex, l[EXQ_SEX]),
		extract__code_label(c->dept, l[EXQ_DEPT]),
		extract__code_label(c->agr, l[EXQ_TG]), s, e, c->company,
		PQgetvalue(res, c->row, 10),
		extract__exit_label(c->exit, c->exit_tw, l[EXQ_OUTCOME]),
		extract__followup_label(c->followup, c->fu_tw, l[EXQ_OUTCOME]),
		PQgetvalue(res, c->row, 11), PQgetvalue(res, c->row, 12),
		PQgetvalue(res, c->row, 13), PQgetvalue(res, c->row, 14));
}

/* A response's id in this extract only: drawn at random, since only
 * the rows written together here need to share it. */
static void response_id(char out[17])
{
	snprintf(out, 17, "%016llx", (unsigned long long)extract__random64());
}

/* The round of a response: its rank among the course's responses to the
 * same questionnaire. The rows come ordered by course and time. */
static int round_of(struct extract *x, const struct extract__course *c,
		    const struct instrument *ins)
{
	int i = (int)(ins - x->cat.instruments);

	if (x->round_course != c) {
		memset(x->rounds, 0, sizeof(x->rounds));
		x->round_course = c;
	}
	return ++x->rounds[i];
}

/* The item-level answers of one response (items.csv). */
static void items(struct extract *x, const struct instrument *ins,
		  const char *head, const char *answers)
{
	double v[INSTR_MAX_ITEMS];
	int n = pga_parse_reals(answers, v, INSTR_MAX_ITEMS);

	for (int i = 0; i < n && i < ins->nitems; i++) {
		if (isnan(v[i]))
			extract__out_row(&x->outs[EX_ITEMS], "%s,%s,\n", head,
					 ins->items[i].id);
		else
			extract__out_row(&x->outs[EX_ITEMS], "%s,%s,%.0f\n", head,
					 ins->items[i].id, v[i]);
	}
}

/* f: course, instrument, version, respondent, date, scores, answers. */
static void row_response(struct extract *x, struct extract__course *c, char **f)
{
	const struct instrument *ins;
	char rid[17], w[16], d[11], dc[16], head[256];
	double sc[INSTR_MAX_DIMS];
	int ns;

	ins = catalog_instrument(&x->cat, S(f[1]), strlen(S(f[1])), atoi(S(f[2])));
	if (ins == NULL)
		return;
	response_id(rid);
	when(x, c, f[4], w, d);
	if (x->opts->exact)
		sig_add(c, "r|%s|%s", ins->name, w);
	snprintf(head, sizeof(head), "%s,%s,%s,%s,%s,%s,%d,%s", c->pid, c->cid,
		 rid, ins->name, S(f[2]),
		 strcmp(S(f[3]), "k") ? "citizen" : "consultant",
		 round_of(x, c, ins), w);
	ns = pga_parse_reals(f[5], sc, INSTR_MAX_DIMS);
	for (int i = 0; i < ins->ndims; i++) {
		char score[32] = "";

		if (i < ns && !isnan(sc[i]))
			snprintf(score, sizeof(score), "%.2f", sc[i]);
		extract__out_row(&x->outs[EX_RESPONSES], "%s%s,%s,%s\n", head,
				 dcol(x, d, dc), ins->dims[i].id, score);
	}
	if (x->opts->items)
		items(x, ins, head, f[6]);
}

/* A number rounded to places decimals; "" for none. */
static const char *decimals(const char *v, int places, char out[32])
{
	if (v == NULL || v[0] == '\0')
		return "";
	snprintf(out, 32, "%.*f", places, atof(v));
	return out;
}

/* f: course, dimension, baseline, current, change, rci, reliable change,
 * responses; rounded here, which is cheaper than in SQL. */
static void row_progression(struct extract *x, struct extract__course *c,
			    char **f)
{
	char b[32], cur[32], ch[32], rci[32];

	extract__out_row(&x->outs[EX_PROGRESSION],
			 "%s,%s,%s,%s,%s,%s,%s,%s,%s\n", c->pid, c->cid, S(f[1]),
			 decimals(f[2], 2, b), decimals(f[3], 2, cur),
			 decimals(f[4], 2, ch), decimals(f[5], 3, rci), S(f[6]),
			 S(f[7]));
}

/* f: course, intervention, category, started, ended. */
static void row_intervention(struct extract *x, struct extract__course *c,
			     char **f)
{
	char w1[16], w2[16], d1[11], d2[11], dc1[16], dc2[16];

	when(x, c, f[3], w1, d1);
	when(x, c, f[4], w2, d2);
	if (x->opts->exact)
		sig_add(c, "i|%s|%s|%s", S(f[1]), w1, w2);
	extract__out_row(&x->outs[EX_INTERVENTIONS], "%s,%s,%s,%s,%s,%s%s%s\n",
			 c->pid, c->cid, S(f[1]), S(f[2]), w1, w2,
			 dcol(x, d1, dc1), dcol(x, d2, dc2));
}

/* Hours rounded to tens: a total an employer could know exactly is not
 * written exactly. */
static double tens(const char *s)
{
	return 10 * round(atof(S(s)) / 10);
}

/* Summary f: course, weeks, hours, paid hours, first and last week.
 * Exact f: course, week, hours, paid hours. */
static void row_hours(struct extract *x, struct extract__course *c, char **f)
{
	char w1[16], w2[16], d1[11], d2[11], dc[16];

	if (!x->opts->exact) {
		when(x, c, f[4], w1, d1);
		when(x, c, f[5], w2, d2);
		extract__out_row(&x->outs[EX_HOURS], "%s,%s,%s,%.0f,%.0f,%s,%s\n",
				 c->pid, c->cid, S(f[1]), tens(f[2]), tens(f[3]),
				 w1, w2);
		return;
	}
	when(x, c, f[1], w1, d1);
	sig_add(c, "h|%s|%s|%s", w1, S(f[2]), S(f[3]));
	extract__out_row(&x->outs[EX_HOURS], "%s,%s,%s%s,%s,%s\n", c->pid,
			 c->cid, w1, dcol(x, d1, dc), S(f[2]), S(f[3]));
}

/* f: course, type, months after, status, date, towards work. The status
 * is generalised as courses.csv's exit or follow-up status is. */
static void row_outcome(struct extract *x, struct extract__course *c, char **f)
{
	int fu = strcmp(S(f[1]), "followup") == 0;
	const char *kind = fu ? "followup" : "exit";
	char w[16], d[11], dc[16];

	when(x, c, f[4], w, d);
	if (x->opts->exact)
		sig_add(c, "o|%s|%s|%s", kind, S(f[2]), w);
	extract__out_row(&x->outs[EX_OUTCOMES], "%s,%s,%s,%s,%s,%s%s\n", c->pid,
			 c->cid, kind, S(f[2]),
			 (fu ? extract__followup_label : extract__exit_label)(
				 S(f[3]), S(f[5])[0], x->pub.l[EXQ_OUTCOME]),
			 w, dcol(x, d, dc));
}

/* ---- the streamed files ---- */

/* A file streamed from the database: its query (the live course key
 * first), the form with --sequences exact if it differs, the fields a
 * row must have, and how a row is written. Only the responses are
 * ordered (for their rounds): the rows are shuffled anyway. */
struct stream {
	int file;
	const char *sql, *exact_sql;
	int min_fields;
	row_fn *row;
};

/* Ordered by course and time (as its index is), for the rounds. */
#define RESPONSES_SQL(ANSWERS)                                                 \
	"SELECT course, instrument, version, respondent, answered_at::date, "  \
	"scores, " ANSWERS " FROM fremdrift.responses r WHERE course IS NOT "  \
	"NULL ORDER BY r.course, r.answered_at"

static const struct stream streams[] = {
	{EX_RESPONSES, RESPONSES_SQL("NULL"), NULL, 7, row_response},
	{EX_PROGRESSION,
	 "SELECT course_key, dimension, baseline, current, change, rci, "
	 "reliable_change, n_responses FROM report.progression",
	 NULL, 8, row_progression},
	{EX_INTERVENTIONS,
	 "SELECT course, intervention, category, started_at::date, "
	 "ended_at::date FROM fremdrift.intervention_spells",
	 NULL, 5, row_intervention},
	{EX_HOURS,
	 "SELECT course, count(*), coalesce(sum(hours), 0), "
	 "coalesce(sum(paid_hours), 0), min(week), max(week) FROM "
	 "fremdrift.events WHERE type = 'hours' GROUP BY course",
	 "SELECT course, week, hours, paid_hours FROM fremdrift.events "
	 "WHERE type = 'hours'",
	 4, row_hours},
	{EX_OUTCOMES,
	 "SELECT e.course, e.type, e.months_after, coalesce(e.exit_status, "
	 "e.status), e.at::date, coalesce(s.towards_work::text, '') FROM "
	 "fremdrift.events e LEFT JOIN fremdrift.exit_statuses s ON s.code = "
	 "coalesce(e.exit_status, e.status) WHERE e.type IN ('course_ended', "
	 "'followup')",
	 NULL, 6, row_outcome},
};

static const char responses_items_sql[] = RESPONSES_SQL("answers");

static const char *sql_of(const struct extract *x, const struct stream *s)
{
	if (s->file == EX_RESPONSES && x->opts->items)
		return responses_items_sql;
	return x->opts->exact && s->exact_sql ? s->exact_sql : s->sql;
}

/*
 * Streams the query with COPY TO and writes each row of a kept course.
 * db_copy_out_next unescapes the fields, so a course key holding a
 * backslash or any other COPY escape matches the key the courses query
 * gave. Rows of suppressed courses are counted as dropped; rows of
 * courses outside the period are not part of the extract at all.
 */
static int stream(struct extract *x, const struct stream *s)
{
	struct db_copy_row row = {0};
	char copy[2048];
	int n;

	snprintf(copy, sizeof(copy), "COPY (%s) TO STDOUT", sql_of(x, s));
	if (db_copy_out_begin(x->conn, "extract", copy) != 0)
		return -1;
	while ((n = db_copy_out_next(x->conn, "extract", &row)) == 1) {
		struct extract__course *c;

		if (row.nfields < s->min_fields || row.fields[0] == NULL)
			continue;
		c = extract__find(x, row.fields[0]);
		if (c && c->keep)
			s->row(x, c, row.fields);
		else if (c)
			x->dropped_rows++;
	}
	db_copy_row_free(&row);
	return n;
}

static int open_files(struct extract *x)
{
	for (int f = 0; f < EX_NFILES; f++) {
		char header[1024];

		if (!extract__has_file(x, f))
			continue;
		if (extract__out_open(&x->outs[f], x->opts->out_dir,
				      extract__files[f]) != 0)
			return -1;
		extract__header(x, f, header, sizeof(header));
		extract__out_write(&x->outs[f], header, strlen(header));
		extract__out_write(&x->outs[f], "\n", 1);
	}
	return 0;
}

int extract__write_files(struct extract *x)
{
	if (open_files(x) != 0)
		return -1;
	for (int i = 0; i < x->ncourses; i++) {
		struct extract__course *c = &x->courses[i];

		if (!c->keep)
			continue;
		course_line(x, c);
		/* Shifted exact dates show the weekday the course began. */
		if (shifted_exact(x))
			sig_add(c, "wd|%ld", ((c->start % 7) + 7) % 7);
	}
	for (size_t s = 0; s < sizeof(streams) / sizeof(streams[0]); s++)
		if (stream(x, &streams[s]) != 0)
			return -1;
	if (x->opts->exact && extract__exact_ok(x) != 0)
		return -1;
	for (int f = 0; f < EX_NFILES; f++)
		if (extract__has_file(x, f) &&
		    extract__out_close(&x->outs[f]) != 0)
			return -1;
	return 0;
}
