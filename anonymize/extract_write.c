/*
 * The data files of an extract. courses.csv comes from the courses
 * chosen; every other file is streamed from the database with COPY, its
 * rows matched to those courses by live course key and written under the
 * extract's identifiers. Every write is checked: a full disk fails the
 * extract instead of leaving a short file behind a manifest.
 */
#include "extract_internal.h"

#include "fremdrift/civil.h"
#include "fremdrift/db.h"
#include "fremdrift/instrument.h"
#include "fremdrift/pg_array.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define S(v) ((v) ? (v) : "")

typedef void row_fn(struct extract *x, struct extract__out *o,
		    const struct extract__course *c, char **f);

const char *const extract__files[EXTRACT__NFILES] = {
	"courses.csv",	 "responses.csv", "progression.csv",
	"interventions.csv", "hours.csv",     "outcomes.csv"};

/* ---- output with a running SHA-256 ---- */

static int out_open(struct extract__out *o, const char *dir, const char *name)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "%s", name);
	snprintf(o->path, sizeof(o->path), "%s/%s", dir, name);
	o->f = fopen(o->path, "wx");
	if (o->f == NULL) {
		fprintf(stderr, "fremdrift extract: cannot create %s: %s\n",
			o->path, strerror(errno));
		return -1;
	}
	o->md = EVP_MD_CTX_new();
	if (o->md == NULL || EVP_DigestInit_ex(o->md, EVP_sha256(), NULL) != 1) {
		fprintf(stderr, "fremdrift extract: SHA-256 is not available\n");
		return -1;
	}
	return 0;
}

static void out_write(struct extract__out *o, const char *s, size_t n)
{
	if (o->err == 0 && fwrite(s, 1, n, o->f) != n)
		o->err = errno ? errno : EIO;
	EVP_DigestUpdate(o->md, s, n);
}

static void out_line(struct extract__out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void out_line(struct extract__out *o, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		out_write(o, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

int extract__out_close(struct extract__out *o)
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_DigestFinal_ex(o->md, md, &n);
	EVP_MD_CTX_free(o->md);
	o->md = NULL;
	pseud_hex(md, 32, o->sha);
	/* fflush first: buffered data meets a full disk only here. */
	if (o->err == 0 && (fflush(o->f) != 0 || ferror(o->f)))
		o->err = errno ? errno : EIO;
	if (fclose(o->f) != 0 && o->err == 0)
		o->err = errno ? errno : EIO;
	o->f = NULL;
	if (o->err == 0)
		return 0;
	fprintf(stderr, "fremdrift extract: cannot write %s: %s\n", o->path,
		strerror(o->err));
	return -1;
}

/* ---- dates ---- */

/* A YYYY-MM-DD date under the policy: month, or shifted by days. */
static void policy_date(const struct extract *x, const char *in, int shift,
			char out[11])
{
	int y, m, d;

	out[0] = '\0';
	if (in == NULL || sscanf(in, "%4d-%2d-%2d", &y, &m, &d) != 3)
		return;
	if (x->opts->month) {
		snprintf(out, 11, "%04u-%02u", (unsigned)y % 10000u,
			 (unsigned)m % 100u);
		return;
	}
	fr_date_str(fr_days_from_civil(y, m, d) + shift, out);
}

/* ---- one row of each file ---- */

/* One courses.csv line from a text row of the courses query. */
static void course_line(struct extract *x, struct extract__out *o,
			const struct extract__course *c)
{
	const PGresult *res = x->courses_res;
	char b[16], s1[11], s2[11];

	extract__band(c->start_year - c->birth_year, x->width, b, sizeof(b));
	policy_date(x, PQgetvalue(res, c->row, 6), c->shift, s1);
	policy_date(x, PQgetisnull(res, c->row, 7) ? NULL : PQgetvalue(res, c->row, 7),
		    c->shift, s2);
	out_line(o, "%s,%s,%s,%c,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", c->pid,
		 c->cid, b, c->sex, c->dept, c->agr, s1, s2,
		 PQgetvalue(res, c->row, 8), PQgetvalue(res, c->row, 9),
		 PQgetvalue(res, c->row, 10), PQgetvalue(res, c->row, 11),
		 PQgetvalue(res, c->row, 12), PQgetvalue(res, c->row, 13),
		 PQgetvalue(res, c->row, 14));
	o->rows++;
}

static void row_response(struct extract *x, struct extract__out *o,
			 const struct extract__course *c, char **f)
{
	const struct instrument *ins;
	const char *who;
	char date[11];
	double sc[INSTR_MAX_DIMS];
	int ns;

	ins = catalog_instrument(&x->cat, S(f[1]), strlen(S(f[1])), atoi(S(f[2])));
	if (ins == NULL)
		return;
	policy_date(x, f[4], c->shift, date);
	ns = pga_parse_reals(f[5], sc, INSTR_MAX_DIMS);
	who = strcmp(S(f[3]), "k") ? "citizen" : "consultant";
	for (int d = 0; d < ins->ndims; d++) {
		out_line(o, "%s,%s,%s,%s,%s,%s,%s,", c->pid, c->cid, ins->name,
			 S(f[2]), who, date, ins->dims[d].id);
		if (d < ns && !isnan(sc[d]))
			out_line(o, "%.2f", sc[d]);
		out_write(o, "\n", 1);
		o->rows++;
	}
}

static void row_progression(struct extract *x, struct extract__out *o,
			    const struct extract__course *c, char **f)
{
	(void)x;
	out_line(o, "%s,%s,%s,%s,%s,%s,%s,%s,%s\n", c->pid, c->cid, S(f[1]),
		 S(f[2]), S(f[3]), S(f[4]), S(f[5]), S(f[6]), S(f[7]));
	o->rows++;
}

static void row_intervention(struct extract *x, struct extract__out *o,
			     const struct extract__course *c, char **f)
{
	char a[11], b[11];

	policy_date(x, f[3], c->shift, a);
	policy_date(x, f[4], c->shift, b);
	out_line(o, "%s,%s,%s,%s,%s,%s\n", c->pid, c->cid, S(f[1]), S(f[2]), a, b);
	o->rows++;
}

static void row_hours(struct extract *x, struct extract__out *o,
		      const struct extract__course *c, char **f)
{
	char w[11];

	policy_date(x, f[1], c->shift, w);
	out_line(o, "%s,%s,%s,%s,%s\n", c->pid, c->cid, w, S(f[2]), S(f[3]));
	o->rows++;
}

static void row_outcome(struct extract *x, struct extract__out *o,
			const struct extract__course *c, char **f)
{
	char d[11];

	policy_date(x, f[4], c->shift, d);
	out_line(o, "%s,%s,%s,%s,%s,%s\n", c->pid, c->cid,
		 strcmp(S(f[1]), "followup") == 0 ? "followup" : "exit", S(f[2]),
		 S(f[3]), d);
	o->rows++;
}

/* ---- the streamed files ---- */

/* Interventions as spells: the pairing of starts and ends is defined once,
 * in the view (sql/current/30_courses.sql), for refresh and extracts. */
static const char interventions_sql[] =
	"SELECT course, intervention, category, started_at::date, "
	"ended_at::date FROM fremdrift.intervention_spells ORDER BY 1, 4";

/* A file streamed from the database: its query (the live course key
 * first), the fields a row must have, and how a row is written. */
struct stream {
	int file;
	const char *sql;
	int min_fields;
	row_fn *row;
};

static const struct stream streams[] = {
	{1,
	 "SELECT course, instrument, version, respondent, answered_at::date, "
	 "scores FROM fremdrift.responses WHERE course IS NOT NULL "
	 "ORDER BY course, answered_at",
	 6, row_response},
	{2,
	 "SELECT course_key, dimension, round(baseline::numeric, 2), "
	 "round(current::numeric, 2), round(change::numeric, 2), "
	 "round(rci::numeric, 3), reliable_change, n_responses FROM "
	 "report.progression ORDER BY course_key, dimension",
	 8, row_progression},
	{3, interventions_sql, 5, row_intervention},
	{4,
	 "SELECT course, week, hours, paid_hours FROM fremdrift.events "
	 "WHERE type = 'hours' ORDER BY course, week",
	 4, row_hours},
	{5,
	 "SELECT course, type, months_after, coalesce(exit_status, status), "
	 "at::date FROM fremdrift.events WHERE type IN ('course_ended', "
	 "'followup') ORDER BY course, at",
	 5, row_outcome},
};

/*
 * Streams s->sql with COPY TO and writes each row of a kept course.
 * db_copy_out_next unescapes the fields, so a course key holding a
 * backslash or any other COPY escape matches the key the courses query
 * gave. Rows of suppressed courses are counted as dropped; rows of
 * courses outside the period are not part of the extract at all.
 */
static int stream(struct extract *x, const struct stream *s)
{
	struct extract__out *o = &x->outs[s->file];
	struct db_copy_row row = {0};
	char copy[2048];
	int n;

	snprintf(copy, sizeof(copy), "COPY (%s) TO STDOUT", s->sql);
	if (db_copy_out_begin(x->conn, "extract", copy) != 0)
		return -1;
	while ((n = db_copy_out_next(x->conn, "extract", &row)) == 1) {
		const struct extract__course *c;

		if (row.nfields < s->min_fields || row.fields[0] == NULL)
			continue;
		c = extract__find(x, row.fields[0]);
		if (c && c->keep)
			s->row(x, o, c, row.fields);
		else if (c)
			x->dropped_rows++;
	}
	db_copy_row_free(&row);
	return n;
}

int extract__write_files(struct extract *x)
{
	for (size_t f = 0; f < EXTRACT__NFILES; f++) {
		char header[1024];

		if (out_open(&x->outs[f], x->opts->out_dir, extract__files[f]) != 0)
			return -1;
		extract__header(extract__files[f], header, sizeof(header));
		out_line(&x->outs[f], "%s\n", header);
	}
	for (int i = 0; i < x->ncourses; i++)
		if (x->courses[i].keep)
			course_line(x, &x->outs[0], &x->courses[i]);
	for (size_t s = 0; s < sizeof(streams) / sizeof(streams[0]); s++)
		if (stream(x, &streams[s]) != 0)
			return -1;
	for (size_t f = 0; f < EXTRACT__NFILES; f++)
		if (extract__out_close(&x->outs[f]) != 0)
			return -1;
	return 0;
}
