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
 * computed in C (measure/stats.c); the per-course facts in SQL, and
 * last the dashboard's aggregates (fremdrift.dash_rebuild(), sql/0007 and
 * sql/0008: built beside the live tables, swapped in just before COMMIT).
 */
#include "cli.h"
#include "fremdrift/db.h"

#include "fremdrift/buf.h"
#include "fremdrift/catalog.h"
#include "fremdrift/pseudonym.h"
#include "fremdrift/record.h"
#include "fremdrift/stats.h"

#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* pg_advisory lock key of `measure refresh` (migrate's is 4242020601). */
#define REFRESH_LOCK "4242020602"

static const char courses_sql[] =
	"TRUNCATE fremdrift.courses; "
	"INSERT INTO fremdrift.courses "
	"WITH st AS (SELECT course, intervention, at, row_number() OVER "
	"  (PARTITION BY course, intervention ORDER BY at) AS rn "
	"  FROM fremdrift.events WHERE type = 'intervention_started'), "
	"en AS (SELECT course, intervention, at, row_number() OVER "
	"  (PARTITION BY course, intervention ORDER BY at) AS rn "
	"  FROM fremdrift.events WHERE type = 'intervention_ended'), "
	"iv AS (SELECT st.course, i.category, st.at AS s_at, "
	"  coalesce(en.at, 'infinity') AS e_at FROM st "
	"  LEFT JOIN en USING (course, intervention, rn) "
	"  JOIN fremdrift.interventions i ON i.code = st.intervention), "
	"kinds AS (SELECT course, bool_or(category = 'company') AS company, "
	"  bool_or(category IN ('health_social', 'upskilling')) AS other, "
	"  bool_or(category <> 'company') AS any_other, "
	"  min(s_at) FILTER (WHERE category = 'company') AS first_company "
	"  FROM iv GROUP BY course), "
	"par AS (SELECT DISTINCT a.course FROM iv a JOIN iv b ON a.course = "
	"  b.course AND a.category = 'company' AND b.category IN "
	"  ('health_social', 'upskilling') AND a.s_at < b.e_at AND b.s_at < "
	"  a.e_at), "
	"agg AS (SELECT course, (array_agg(pseudonym))[1] AS pseudonym, "
	"  (array_agg(birth_year))[1] AS birth_year, (array_agg(sex))[1] AS sex, "
	"  (array_agg(department ORDER BY at) FILTER (WHERE type = "
	"    'course_started'))[1] AS department, "
	"  (array_agg(agreement ORDER BY at) FILTER (WHERE type = "
	"    'course_started'))[1] AS agreement, "
	"  min(at) FILTER (WHERE type = 'course_started') AS started, "
	"  max(at) FILTER (WHERE type = 'course_ended') AS ended, "
	"  (array_agg(exit_status ORDER BY at DESC) FILTER (WHERE type = "
	"    'course_ended'))[1] AS exit_status, "
	"  (array_agg(status ORDER BY at DESC) FILTER (WHERE type = "
	"    'followup'))[1] AS followup_status, "
	"  (array_agg(level ORDER BY at) FILTER (WHERE type = "
	"    'job_chance_rated'))[1] AS job_chance, "
	"  avg(paid_hours) FILTER (WHERE type = 'hours') AS paid_hours_week, "
	"  count(*) FILTER (WHERE type = 'meeting') AS meetings, "
	"  count(*) FILTER (WHERE type = 'meeting' AND NOT attended) AS no_shows "
	"  FROM fremdrift.events GROUP BY course) "
	"SELECT agg.course, pseudonym, birth_year, sex, department, agreement, "
	"  started::date, ended::date, exit_status, followup_status, "
	"  first_company::date, "
	"  CASE WHEN par.course IS NOT NULL THEN 'parallel' "
	"       WHEN k.company AND k.other THEN 'sequential' "
	"       WHEN k.company THEN 'company_only' "
	"       WHEN k.any_other THEN 'other_only' ELSE 'none' END, "
	"  job_chance, paid_hours_week, meetings, no_shows "
	"FROM agg LEFT JOIN kinds k USING (course) LEFT JOIN par USING (course) "
	"WHERE started IS NOT NULL AND department IS NOT NULL";

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
	char course[REC_ID_MAX * 2 + 1];
	char pseud[2 * PSEUD_LEN + 1];
	struct fr_buf out;
	PGconn *writer;
	long long rows, responses, courses;
	int failed;
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

/* The course ended in the stream: write its progression rows. */
static void flush_course(struct refresh *r)
{
	for (int i = 0; i < r->cat.ninstruments; i++) {
		struct track *t = &r->tracks[i];

		if (!t->seen)
			continue;
		for (int d = 0; d < t->ins->ndims; d++) {
			if (t->n[d] == 0)
				continue;
			sd_add(&r->sd[i][d], t->first[d]);
			fr_buf_printf(&r->out,
				      "%s\t\\\\x%s\t%s\t%d\t%s\t%.4f\t%.4f\t%.4f\t%d\n",
				      r->course, r->pseud, t->ins->name,
				      t->ins->version, t->ins->dims[d].id,
				      t->first[d], t->last[d],
				      t->last[d] - t->first[d], t->n[d]);
			r->rows++;
		}
		memset(t->n, 0, sizeof(t->n));
		t->seen = 0;
	}
	if (r->out.len > (4u << 20) && send_out(r) != 0)
		r->failed = 1;
	r->courses++;
}

/* Parses "{1,NULL,3}" (ints or reals) into v; NAN for NULL. */
static int parse_array(const char *s, double *v, int max)
{
	int n = 0;

	if (*s++ != '{')
		return -1;
	while (*s && *s != '}' && n < max) {
		char *end;

		if (strncmp(s, "NULL", 4) == 0) {
			v[n++] = NAN;
			s += 4;
		} else {
			v[n++] = strtod(s, &end);
			if (end == s)
				return -1;
			s = end;
		}
		if (*s == ',')
			s++;
	}
	return n;
}

/* One COPY TO line: course, pseudonym hex, instrument, version, answers,
 * scores. */
static void one_response(struct refresh *r, char *line)
{
	char *f[6], *save = NULL;
	double ans[INSTR_MAX_ITEMS], sc[INSTR_MAX_DIMS];
	int nf = 0, slot = -1, na, ns;
	struct track *t;

	for (char *p = strtok_r(line, "\t\n", &save); p && nf < 6;
	     p = strtok_r(NULL, "\t\n", &save))
		f[nf++] = p;
	if (nf < 6)
		return;
	if (strcmp(f[0], r->course) != 0) {
		if (r->course[0])
			flush_course(r);
		snprintf(r->course, sizeof(r->course), "%s", f[0]);
		snprintf(r->pseud, sizeof(r->pseud), "%s", f[1]);
	}
	for (int i = 0; i < r->cat.ninstruments; i++)
		if (strcmp(r->cat.instruments[i].name, f[2]) == 0 &&
		    r->cat.instruments[i].version == atoi(f[3]))
			slot = i;
	if (slot < 0)
		return;
	t = &r->tracks[slot];
	t->ins = &r->cat.instruments[slot];
	na = parse_array(f[4], ans, INSTR_MAX_ITEMS);
	ns = strcmp(f[5], "\\N") == 0 ? 0 : parse_array(f[5], sc, INSTR_MAX_DIMS);
	if (na != t->ins->nitems || (ns != 0 && ns != t->ins->ndims))
		return;
	r->responses++;
	if (t->seen == 0) {
		/* The baseline response: complete dimensions feed alpha. */
		for (int d = 0; d < t->ins->ndims; d++) {
			const struct instr_dim *dim = &t->ins->dims[d];
			double items[INSTR_MAX_ITEMS];
			int complete = 1;

			for (int k = 0; k < dim->nitems; k++) {
				const struct instr_item *it =
					&t->ins->items[dim->items[k]];
				double x = ans[dim->items[k]];

				if (isnan(x)) {
					complete = 0;
					break;
				}
				items[k] = it->reversed ? it->min + it->max - x : x;
			}
			if (complete)
				alpha_add(&r->alpha[slot][d], items);
		}
	}
	t->seen++;
	for (int d = 0; d < ns; d++) {
		if (isnan(sc[d]))
			continue;
		if (t->n[d]++ == 0)
			t->first[d] = sc[d];
		t->last[d] = sc[d];
	}
}

static int exec_ok(PGconn *c, const char *sql)
{
	PGresult *res = PQexec(c, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
		 PQresultStatus(res) == PGRES_TUPLES_OK ||
		 PQresultStatus(res) == PGRES_COPY_IN;

	if (!ok)
		fprintf(stderr, "fremdrift measure: %s",
			PQresultErrorMessage(res));
	PQclear(res);
	return ok;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

int cmd_measure(int argc, char **argv, const struct fr_config *cfg)
{
	struct refresh *r;
	struct timespec t0;
	PGconn *reader = NULL;
	PGresult *res;
	char *line;
	int rc = EXIT_FATAL, n;

	if (argc < 2 || strcmp(argv[1], "refresh") != 0 ||
	    cli_wants_help(argc, argv)) {
		FILE *out = cli_wants_help(argc, argv) ? stdout : stderr;

		fprintf(out,
			"usage: fremdrift measure refresh\n\n"
			"Recomputes what depends on the whole population: each "
			"course's facts from its\nevents; per course and "
			"dimension the baseline, current score and change;\n"
			"per questionnaire version and dimension Cronbach's "
			"alpha over the complete\nbaseline responses and the "
			"SD of the baseline scores. The report and\ndashboard "
			"views read these. Run it after ingesting (a timer or "
			"cron job).\n");
		return out == stdout ? EXIT_OK : EXIT_FATAL;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = fr_xcalloc(1, sizeof(*r));
	if (catalog_init(&r->cat, NULL) != 0)
		goto out;
	for (int i = 0; i < r->cat.ninstruments; i++)
		for (int d = 0; d < r->cat.instruments[i].ndims; d++)
			alpha_init(&r->alpha[i][d],
				   r->cat.instruments[i].dims[d].nitems);
	fr_buf_init(&r->out, 64u << 20);
	if ((reader = db_connect(cfg, "measure")) == NULL ||
	    (r->writer = db_connect(cfg, "measure")) == NULL)
		goto out;
	if (!exec_ok(r->writer, "BEGIN"))
		goto out;
	/* One refresh at a time (a slow one and the next cron run): the
	 * second would only queue behind the first's locks and then redo
	 * its work. */
	res = PQexec(r->writer,
		     "SELECT pg_try_advisory_xact_lock(" REFRESH_LOCK ")");
	if (PQresultStatus(res) != PGRES_TUPLES_OK ||
	    strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		fprintf(stderr, "fremdrift measure: %s",
			PQresultStatus(res) == PGRES_TUPLES_OK
				? "another refresh is running; this one "
				  "changed nothing\n"
				: PQresultErrorMessage(res));
		PQclear(res);
		goto out;
	}
	PQclear(res);
	if (!exec_ok(r->writer, "SET LOCAL TimeZone = 'Europe/Copenhagen'") ||
	    !exec_ok(r->writer, courses_sql))
		goto out;
	fprintf(stderr, "courses: %.1f s\n", seconds_since(&t0));
	if (!exec_ok(r->writer, "TRUNCATE fremdrift.progression") ||
	    !exec_ok(r->writer, "COPY fremdrift.progression (course, pseudonym, "
				"instrument, version, dimension, baseline, "
				"current, change, n_responses) FROM STDIN"))
		goto out;
	res = PQexec(reader, "COPY (SELECT course, encode(pseudonym, 'hex'), "
			     "instrument, version, answers, scores FROM "
			     "fremdrift.responses WHERE course IS NOT NULL "
			     "ORDER BY course, answered_at, id) TO STDOUT");
	if (PQresultStatus(res) != PGRES_COPY_OUT) {
		fprintf(stderr, "fremdrift measure: %s", PQresultErrorMessage(res));
		PQclear(res);
		goto out;
	}
	PQclear(res);
	while ((n = PQgetCopyData(reader, &line, 0)) > 0) {
		one_response(r, line);
		PQfreemem(line);
		if (r->failed)
			break;
	}
	while ((res = PQgetResult(reader)) != NULL)
		PQclear(res);
	if (r->course[0])
		flush_course(r);
	if (r->failed || send_out(r) != 0 || PQputCopyEnd(r->writer, NULL) != 1)
		goto out;
	res = PQgetResult(r->writer);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "fremdrift measure: %s", PQresultErrorMessage(res));
		PQclear(res);
		goto out;
	}
	PQclear(res);
	while ((res = PQgetResult(r->writer)) != NULL)
		PQclear(res);
	fprintf(stderr, "progression: %lld courses, %lld responses, %lld rows: "
			"%.1f s\n",
		r->courses, r->responses, r->rows, seconds_since(&t0));

	if (!exec_ok(r->writer, "TRUNCATE fremdrift.dimension_reliability"))
		goto out;
	for (int i = 0; i < r->cat.ninstruments; i++) {
		const struct instrument *ins = &r->cat.instruments[i];

		for (int d = 0; d < ins->ndims; d++) {
			char ver[16], alpha[32], nn[24], sd[32];
			const char *p[6] = {ins->name, ver, ins->dims[d].id, alpha,
					    nn, sd};
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
			res = PQexecParams(r->writer,
					   "INSERT INTO fremdrift.dimension_reliability "
					   "(instrument, version, dimension, alpha, n, "
					   "sd_baseline) VALUES ($1, $2, $3, $4, $5, $6)",
					   6, NULL, p, NULL, NULL, 0);
			if (PQresultStatus(res) != PGRES_COMMAND_OK) {
				fprintf(stderr, "fremdrift measure: %s",
					PQresultErrorMessage(res));
				PQclear(res);
				goto out;
			}
			PQclear(res);
		}
	}
	/* The dashboard's aggregates, from what was just written. */
	res = PQexec(r->writer, "SELECT fremdrift.dash_rebuild()");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "fremdrift measure: %s", PQresultErrorMessage(res));
		PQclear(res);
		goto out;
	}
	fprintf(stderr, "dashboard: %s cube rows: %.1f s\n", PQgetvalue(res, 0, 0),
		seconds_since(&t0));
	PQclear(res);
	if (!exec_ok(r->writer, "COMMIT"))
		goto out;
	fprintf(stderr, "refreshed in %.1f s\n", seconds_since(&t0));
	rc = EXIT_OK;
out:
	if (r->writer)
		PQfinish(r->writer);
	if (reader)
		PQfinish(reader);
	fr_buf_free(&r->out);
	catalog_free(&r->cat);
	free(r);
	return rc;
}
