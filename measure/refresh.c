/*
 * `fremdrift measure refresh`: recomputes what depends on the whole
 * population: each course's facts (from its events), per course and
 * dimension the baseline, current score and change, and per questionnaire
 * version and dimension the reliability (Cronbach's alpha over complete
 * baseline responses) and the SD of the baseline scores.
 *
 * One pass over the responses in course order, streamed with COPY TO on
 * one connection; the results go back with COPY FROM on a second
 * connection, in one transaction that replaces the previous results, so
 * readers see either the old figures or the new ones. The statistics are
 * computed in C (measure/stats.c): alpha needs every item of every
 * baseline response, which one streaming pass has at hand. The course
 * facts and the dashboard's aggregates are SQL functions
 * (fremdrift.refresh_courses() and fremdrift.dash_build(), in
 * sql/current/), called here in the same transaction, and so is the
 * validity step (measure/validity_run.c, docs/validity.md), between the
 * reliability and the dashboard.
 */
#include "fremdrift/refresh.h"

#include "fremdrift/buf.h"
#include "fremdrift/catalog.h"
#include "fremdrift/db.h"
#include "fremdrift/err.h"
#include "fremdrift/pg_array.h"
#include "fremdrift/pseudonym.h"
#include "fremdrift/record.h"
#include "fremdrift/stats.h"

#include "measure_internal.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WHO "measure"

/* Per course and questionnaire version, while its responses stream by. */
struct track {
	const struct instrument *ins;
	int seen;                       /* responses so far */
	int n[INSTR_MAX_DIMS];          /* non-null scores per dimension */
	double first[INSTR_MAX_DIMS], last[INSTR_MAX_DIMS];
};

struct refresh {
	struct catalog cat;
	struct alpha_acc alpha[CATALOG_MAX_INSTRUMENTS][INSTR_MAX_DIMS];
	struct sd_acc sd[CATALOG_MAX_INSTRUMENTS][INSTR_MAX_DIMS];
	struct track tracks[CATALOG_MAX_INSTRUMENTS];
	char course[REC_ID_MAX * 2 + 1]; /* the course streaming by, unescaped */
	char pseud[2 * PSEUD_LEN + 1];
	struct fr_buf out;
	PGconn *writer, *reader;
	const struct fr_config *cfg;
	struct timespec t0;
	struct pdiff stored;             /* what progression holds now */
	struct fr_buf drop;             /* courses whose stored rows go */
	long long rows, responses, courses, written, changed, gone;
	int failed;
	int drop_full;                  /* drop passed 2 GiB (said so) */
};

static int send_out(struct refresh *r)
{
	if (r->out.len == 0)
		return 0;
	if (PQputCopyData(r->writer, r->out.data, (int)r->out.len) != 1)
		return -1;
	fr_buf_reset(&r->out);
	return 0;
}

/* Appends s as a COPY text field: the reader unescaped the course key,
 * and a key may hold any printable text, backslashes included. 0, or -1
 * when b is full. */
static int put_copy_text(struct fr_buf *b, const char *s)
{
	static const char special[] = "\\\t\n\r", letter[] = "\\tnr";
	int rc = 0;

	for (size_t n; *s; s += n) {
		n = strcspn(s, special);
		rc |= fr_buf_append(b, s, n);
		if (s[n] != '\0') {
			char esc[2] = {'\\', letter[strchr(special, s[n]) - special]};

			rc |= fr_buf_append(b, esc, 2);
			n++;
		}
	}
	return rc;
}

/* One course key, a line of the COPY of the courses whose stored
 * progression goes; a full buffer fails the refresh, saying why once
 * (in the stream or after it, where the gone courses are added). */
static void put_drop(struct refresh *r, const char *course)
{
	if (r->drop_full || (put_copy_text(&r->drop, course) == 0 &&
			     fr_buf_append(&r->drop, "\n", 1) == 0))
		return;
	fprintf(stderr, "fremdrift " WHO ": the changed courses' keys pass "
			"2 GiB; empty fremdrift.progression and refresh "
			"again\n");
	r->drop_full = 1;
	r->failed = 1;
}

/* One progression row of the course streaming by, its reals as sent. */
struct prow {
	const struct instrument *ins;
	int d, n;
	char v[3][24];
};

/* Gathers the course's progression rows (and feeds the baseline SDs);
 * dg gets their digest. The tracks are emptied for the next course. */
static int course_rows(struct refresh *r, struct prow *rows,
		       struct pdiff_digest *dg)
{
	int nr = 0;

	for (int i = 0; i < r->cat.ninstruments; i++) {
		struct track *t = &r->tracks[i];

		for (int d = 0; t->seen && d < t->ins->ndims; d++) {
			struct prow *w = &rows[nr];
			float f[3];

			if (t->n[d] == 0)
				continue;
			sd_add(&r->sd[i][d], t->first[d]);
			*w = (struct prow){t->ins, d, t->n[d], {""}};
			snprintf(w->v[0], sizeof(w->v[0]), "%.4f", t->first[d]);
			snprintf(w->v[1], sizeof(w->v[1]), "%.4f", t->last[d]);
			snprintf(w->v[2], sizeof(w->v[2]), "%.4f",
				 t->last[d] - t->first[d]);
			for (int k = 0; k < 3; k++)
				f[k] = strtof(w->v[k], NULL);
			measure__pdiff_row(dg, r->pseud, t->ins->name,
					   t->ins->version, t->ins->dims[d].id,
					   f, w->n);
			nr++;
		}
		memset(t->n, 0, sizeof(t->n));
		t->seen = 0;
	}
	return nr;
}

/* The course ended in the stream: writes its progression rows, unless
 * the same rows are stored already (then nothing is written). */
static void flush_course(struct refresh *r)
{
	struct prow rows[CATALOG_MAX_INSTRUMENTS * INSTR_MAX_DIMS];
	struct pdiff_digest dg = {0};
	int nr = course_rows(r, rows, &dg);

	r->rows += nr;
	r->courses++;
	if (measure__pdiff_same(&r->stored, r->course, &dg))
		return;
	if (r->stored.n > 0) {
		put_drop(r, r->course);
		r->changed++;
	}
	for (int i = 0; i < nr; i++) {
		put_copy_text(&r->out, r->course);
		fr_buf_printf(&r->out, "\t\\\\x%s\t%s\t%d\t%s\t%s\t%s\t%s\t%d\n",
			      r->pseud, rows[i].ins->name, rows[i].ins->version,
			      rows[i].ins->dims[rows[i].d].id, rows[i].v[0],
			      rows[i].v[1], rows[i].v[2], rows[i].n);
	}
	r->written += nr;
	if (r->out.len > (4u << 20) && send_out(r) != 0)
		r->failed = 1;
}

/* The slot of (name, version) in the catalogue, or -1. */
static int find_slot(const struct refresh *r, const char *name, int version)
{
	for (int i = 0; i < r->cat.ninstruments; i++)
		if (strcmp(r->cat.instruments[i].name, name) == 0 &&
		    r->cat.instruments[i].version == version)
			return i;
	return -1;
}

/* A course's first response of a questionnaire: its complete dimensions
 * feed alpha (reversed items turned round first). */
static void add_baseline(struct refresh *r, int slot, const double *ans)
{
	const struct instrument *ins = &r->cat.instruments[slot];

	for (int d = 0; d < ins->ndims; d++) {
		const struct instr_dim *dim = &ins->dims[d];
		double items[INSTR_MAX_ITEMS];
		int k;

		for (k = 0; k < dim->nitems; k++) {
			const struct instr_item *it = &ins->items[dim->items[k]];
			double x = ans[dim->items[k]];

			if (isnan(x))
				break;
			items[k] = it->reversed ? it->min + it->max - x : x;
		}
		if (k == dim->nitems)
			alpha_add(&r->alpha[slot][d], items);
	}
}

/* One response row: course, pseudonym hex, instrument, version, answers,
 * scores (NULL when none could be computed). */
static void one_response(struct refresh *r, const struct db_copy_row *row)
{
	char *const *f = row->fields;
	double ans[INSTR_MAX_ITEMS], sc[INSTR_MAX_DIMS];
	int slot, na, ns;
	struct track *t;

	if (row->nfields < 6 || !f[0] || !f[1] || !f[2] || !f[3])
		return;
	if (strcmp(f[0], r->course) != 0) {
		if (r->course[0])
			flush_course(r);
		snprintf(r->course, sizeof(r->course), "%s", f[0]);
		snprintf(r->pseud, sizeof(r->pseud), "%s", f[1]);
	}
	slot = find_slot(r, f[2], atoi(f[3]));
	if (slot < 0)
		return;
	t = &r->tracks[slot];
	t->ins = &r->cat.instruments[slot];
	na = pga_parse_reals(f[4], ans, INSTR_MAX_ITEMS);
	ns = pga_parse_reals(f[5], sc, INSTR_MAX_DIMS);
	if (na != t->ins->nitems || (ns != 0 && ns != t->ins->ndims))
		return;
	r->responses++;
	if (t->seen++ == 0)
		add_baseline(r, slot, ans);
	for (int d = 0; d < ns; d++) {
		if (isnan(sc[d]))
			continue;
		if (t->n[d]++ == 0)
			t->first[d] = sc[d];
		t->last[d] = sc[d];
	}
}

/* Opens the transaction, takes the refresh lock and rebuilds the course
 * facts. */
static int begin(struct refresh *r)
{
	if (db_exec(r->writer, WHO, "BEGIN") != 0)
		return -1;
	/* One refresh at a time (a slow one and the next cron run): the
	 * second would only queue behind the first's locks and then redo
	 * its work. */
	if (measure__lock(r->writer, WHO) != 0)
		return -1;
	if (db_exec(r->writer, WHO, "SELECT fremdrift.refresh_courses()") != 0)
		return -1;
	fprintf(stderr, "courses: %.1f s\n", measure__seconds_since(&r->t0));
	return 0;
}

/* Ends the COPY FROM of the progression rows and checks its result. */
static int end_copy_in(struct refresh *r)
{
	PGresult *res;
	int rc = 0;

	if (r->failed || send_out(r) != 0 ||
	    PQputCopyEnd(r->writer, NULL) != 1) {
		if (!r->drop_full) /* else put_drop said why */
			db_report(WHO, NULL, r->writer);
		return -1;
	}
	while ((res = PQgetResult(r->writer)) != NULL) {
		if (rc == 0 && PQresultStatus(res) != PGRES_COMMAND_OK) {
			db_report(WHO, res, r->writer);
			rc = -1;
		}
		PQclear(res);
	}
	return rc;
}

static void add_gone(void *arg, const char *course)
{
	struct refresh *r = arg;

	put_drop(r, course);
	r->gone++;
}

/* Where the progression rows go: straight into an empty table, else
 * into a temporary one, from which only the changed courses replace
 * their stored rows (apply_changes). */
static int open_copy_in(struct refresh *r)
{
	PGresult *res;
	int ok;

	if (r->stored.n > 0 &&
	    db_exec(r->writer, WHO,
		    "CREATE TEMP TABLE progression_new (LIKE "
		    "fremdrift.progression) ON COMMIT DROP") != 0)
		return -1;
	res = PQexec(r->writer, r->stored.n > 0
					? "COPY progression_new FROM STDIN"
					: "COPY fremdrift.progression (course, "
					  "pseudonym, instrument, version, "
					  "dimension, baseline, current, change, "
					  "n_responses) FROM STDIN");
	ok = PQresultStatus(res) == PGRES_COPY_IN;
	if (!ok)
		db_report(WHO, res, r->writer);
	PQclear(res);
	return ok ? 0 : -1;
}

/* The stored rows of the changed and the gone courses out, the changed
 * courses' new rows in. */
static int apply_changes(struct refresh *r)
{
	if (r->stored.n == 0)
		return 0;
	measure__pdiff_each_gone(&r->stored, add_gone, r);
	if (r->drop_full)
		return -1;
	if (db_exec(r->writer, WHO,
		    "CREATE TEMP TABLE progression_drop (course text) ON "
		    "COMMIT DROP") != 0 ||
	    db_copy_in(r->writer, WHO, "COPY progression_drop FROM STDIN",
		       r->drop.data, r->drop.len) != 0 ||
	    db_exec(r->writer, WHO, "ANALYZE progression_drop") != 0 ||
	    db_exec(r->writer, WHO,
		    "DELETE FROM fremdrift.progression p USING "
		    "progression_drop d WHERE p.course = d.course") != 0)
		return -1;
	return db_exec(r->writer, WHO,
		       "INSERT INTO fremdrift.progression SELECT * FROM "
		       "progression_new");
}

/* Streams the responses in course order and writes the progression
 * rows that changed. */
static int progression(struct refresh *r)
{
	struct db_copy_row row = {0};
	int n = 0;

	/* The responses' course index gives the order (enable_sort off:
	 * a large work_mem would tempt the planner to sort them all). */
	if (measure__pdiff_load(&r->stored, r->writer, WHO) != 0 ||
	    open_copy_in(r) != 0 ||
	    db_exec(r->reader, WHO, "SET enable_sort = off") != 0 ||
	    db_copy_out_begin(r->reader, WHO,
			      "COPY (SELECT course, encode(pseudonym, 'hex'), "
			      "instrument, version, answers, scores FROM "
			      "fremdrift.responses WHERE course IS NOT NULL "
			      "ORDER BY course, answered_at, id) TO STDOUT") != 0)
		return -1;
	while (!r->failed && (n = db_copy_out_next(r->reader, WHO, &row)) > 0)
		one_response(r, &row);
	db_copy_row_free(&row);
	if (n < 0)
		return -1;
	if (r->course[0])
		flush_course(r);
	if (end_copy_in(r) != 0 || apply_changes(r) != 0)
		return -1;
	fprintf(stderr, "progression: %lld courses, %lld responses, %lld rows; "
			"written %lld rows, %lld courses changed, %lld gone: "
			"%.1f s\n",
		r->courses, r->responses, r->rows, r->written, r->changed,
		r->gone, measure__seconds_since(&r->t0));
	return 0;
}

/* Writes alpha, n and the baseline SD of one questionnaire dimension. */
static int insert_reliability(struct refresh *r, int i, int d)
{
	const struct instrument *ins = &r->cat.instruments[i];
	char ver[16], alpha[32], nn[24], sd[32];
	const char *p[6] = {ins->name, ver, ins->dims[d].id, alpha, nn, sd};
	PGresult *res;
	double a, s;

	snprintf(ver, sizeof(ver), "%d", ins->version);
	if (alpha_value(&r->alpha[i][d], &a) == 0)
		snprintf(alpha, sizeof(alpha), "%.6f", a);
	else
		p[3] = NULL;
	snprintf(nn, sizeof(nn), "%ld", r->alpha[i][d].n);
	if (sd_value(&r->sd[i][d], &s) == 0)
		snprintf(sd, sizeof(sd), "%.6f", s);
	else
		p[5] = NULL;
	res = db_query(r->writer, WHO,
		       "INSERT INTO fremdrift.dimension_reliability (instrument, "
		       "version, dimension, alpha, n, sd_baseline) VALUES ($1, "
		       "$2, $3, $4, $5, $6)",
		       6, p);
	PQclear(res);
	return res != NULL ? 0 : -1;
}

/* The reliability, then the dashboard's aggregates from what was just
 * written, then COMMIT. */
static int finish(struct refresh *r)
{
	const struct fr_config *c = r->cfg;
	char p[5][32];
	PGresult *res;

	/* DELETE, not TRUNCATE: the citizen's progress page reads these
	 * rows, and TRUNCATE's lock would keep it waiting until the whole
	 * refresh commits; DELETE lets it read the old rows meanwhile. */
	if (db_exec(r->writer, WHO, "DELETE FROM fremdrift.dimension_reliability"))
		return -1;
	for (int i = 0; i < r->cat.ninstruments; i++)
		for (int d = 0; d < r->cat.instruments[i].ndims; d++)
			if (insert_reliability(r, i, d) != 0)
				return -1;
	if (measure__validity(r->writer, c, &r->cat) != 0)
		return -1;
	snprintf(p[0], sizeof(p[0]), "%u", c->dash_min_cell);
	snprintf(p[1], sizeof(p[1]), "%.17g", c->dash_noise_sd);
	snprintf(p[2], sizeof(p[2]), "%u", c->dash_noise_max);
	snprintf(p[3], sizeof(p[3]), "%.17g", c->dash_sum_points);
	snprintf(p[4], sizeof(p[4]), "%.17g", c->dash_sum_hours);
	res = db_query(r->writer, WHO,
		       "SELECT fremdrift.dash_build($1, $2, $3, $4, $5)", 5,
		       (const char *const[]){p[0], p[1], p[2], p[3], p[4]});
	if (res == NULL)
		return -1;
	fprintf(stderr, "dashboard: %s cells: %.1f s\n", PQgetvalue(res, 0, 0),
		measure__seconds_since(&r->t0));
	PQclear(res);
	if (db_exec(r->writer, WHO, "COMMIT") != 0)
		return -1;
	fprintf(stderr, "refreshed in %.1f s\n", measure__seconds_since(&r->t0));
	return 0;
}

/* The refresh is a background job beside the records API and the pages:
 * no parallel workers, so that its statements take one core each, not
 * every core for seconds at a time (docs/benchmarks.md, mixed load). */
static int one_core(PGconn *c)
{
	return db_exec(c, WHO, "SET max_parallel_workers_per_gather = 0");
}

int refresh_run(const struct fr_config *cfg)
{
	struct refresh *r = fr_xcalloc(1, sizeof(*r));
	struct fr_err err;
	int rc = FR_EXIT_FATAL;

	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	fr_err_clear(&err);
	fr_buf_init(&r->out, 64u << 20);
	fr_buf_init(&r->drop, INT_MAX); /* one PQputCopyData */
	if (catalog_init(&r->cat, &err) != 0) {
		fprintf(stderr, "fremdrift " WHO ": %s\n", err.msg);
		goto out;
	}
	for (int i = 0; i < r->cat.ninstruments; i++)
		for (int d = 0; d < r->cat.instruments[i].ndims; d++)
			alpha_init(&r->alpha[i][d],
				   r->cat.instruments[i].dims[d].nitems);
	r->cfg = cfg;
	r->writer = db_connect_migrated(cfg, WHO);
	if (r->writer == NULL || (r->reader = db_connect(cfg, WHO)) == NULL ||
	    one_core(r->writer) != 0 || one_core(r->reader) != 0)
		goto out;
	if (begin(r) == 0 && progression(r) == 0 && finish(r) == 0)
		rc = FR_EXIT_OK;
out:
	if (r->writer)
		PQfinish(r->writer);
	if (r->reader)
		PQfinish(r->reader);
	fr_buf_free(&r->out);
	fr_buf_free(&r->drop);
	measure__pdiff_free(&r->stored);
	catalog_free(&r->cat);
	free(r);
	return rc;
}
