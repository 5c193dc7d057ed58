/*
 * `fremdrift measure validity`: runs the validity step on its own (in a
 * transaction, under the refresh lock, from the course facts and
 * progression the last `measure refresh` made), then prints what
 * report.validity now holds: a table for people, or with --format json
 * the view's rows as an array of objects. Printing from the view is what
 * makes the command's answer and report.validity the same.
 */
#include "fremdrift/refresh.h"

#include "fremdrift/err.h"

#include "measure_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHO "measure validity"

/* A number of the table: "-" for NULL (ASCII, so the columns line up). */
static void cell(const PGresult *res, int row, int col, int dec, char *out,
		 size_t size)
{
	if (PQgetisnull(res, row, col))
		snprintf(out, size, "-");
	else
		snprintf(out, size, "%.*f", dec,
			 strtod(PQgetvalue(res, row, col), NULL));
}

static void print_row(const PGresult *res, int i)
{
	char v[6][24], what[96], ci[56];

	snprintf(what, sizeof(what), "%s%s%s %s", PQgetvalue(res, i, 0),
		 PQgetisnull(res, i, 1) ? "" : " v",
		 PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
	cell(res, i, 6, 3, v[0], sizeof(v[0]));
	cell(res, i, 7, 3, v[1], sizeof(v[1]));
	cell(res, i, 8, 3, v[2], sizeof(v[2]));
	cell(res, i, 9, 2, v[3], sizeof(v[3]));
	cell(res, i, 10, 2, v[4], sizeof(v[4]));
	cell(res, i, 11, 3, v[5], sizeof(v[5]));
	if (PQgetisnull(res, i, 7))
		snprintf(ci, sizeof(ci), "%11s", "-");
	else
		snprintf(ci, sizeof(ci), "%s–%s", v[1], v[2]);
	printf("%-28s %-6s %-8s %6s %6s  %-11s  %6s %6s %6s  %s\n", what,
	       PQgetvalue(res, i, 3), PQgetvalue(res, i, 4),
	       PQgetvalue(res, i, 5), v[0], ci, v[3], v[4], v[5],
	       PQgetisnull(res, i, 12) ? PQgetvalue(res, i, 13)
				       : PQgetvalue(res, i, 12));
}

static int print_table(PGconn *c)
{
	PGresult *res = db_query(
		c, WHO,
		"SELECT v.instrument, v.version, v.predictor, v.score, "
		"v.outcome, v.n, v.c_statistic, v.ci_low, v.ci_high, "
		"v.calibration_slope, v.calibration_intercept, v.brier, "
		"v.strength, v.note, r.data_until, r.min_n, r.family, "
		"r.ci_level, array_to_string(r.good_statuses, ', '), "
		"(SELECT string_agg(DISTINCT test_cohorts, ', ') FROM "
		"report.validity WHERE outcome = 'exit'), (SELECT count(*) FROM "
		"report.validity_dif WHERE flagged), (SELECT count(*) FROM "
		"report.validity_dif WHERE flagged IS NOT NULL) FROM "
		"report.validity v CROSS JOIN report.validity_run r",
		0, NULL);
	int n;

	if (res == NULL)
		return -1;
	n = PQntuples(res);
	if (n > 0)
		printf("Courses that ended before %s; good: %s; test cohorts "
		       "(course end) %s; no figure from fewer than %s courses.\n"
		       "C: the C-statistic on the test cohorts, with a "
		       "simultaneous 95 %% interval (Bonferroni over %s, each "
		       "at %.4f %%);\nslope and in-lg: calibration slope (1 "
		       "is ideal) and in the large (0 is ideal); Brier: 0 is "
		       "perfect\n(docs/validity.md).\n\n",
		       PQgetvalue(res, 0, 14), PQgetvalue(res, 0, 18),
		       PQgetvalue(res, 0, 19), PQgetvalue(res, 0, 15),
		       PQgetvalue(res, 0, 16),
		       100 * strtod(PQgetvalue(res, 0, 17), NULL));
	printf("%-28s %-6s %-8s %6s %6s  %-11s  %6s %6s %6s  %s\n",
	       "questionnaire, predictor", "score", "outcome", "n", "C",
	       "interval", "slope", "in-lg", "Brier", "strength");
	for (int i = 0; i < n; i++)
		print_row(res, i);
	if (n > 0)
		printf("\nItems whose meaning differs between groups (DIF): %s "
		       "of %s tests flagged (report.validity_dif).\n",
		       PQgetvalue(res, 0, 20), PQgetvalue(res, 0, 21));
	PQclear(res);
	return 0;
}

static int print_json(PGconn *c)
{
	PGresult *res = db_query(c, WHO,
				 "SELECT coalesce(json_agg(v), '[]') FROM "
				 "(SELECT * FROM report.validity) v",
				 0, NULL);

	if (res == NULL)
		return -1;
	printf("%s\n", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

int validity_run(const struct fr_config *cfg, int json)
{
	struct catalog cat;
	struct fr_err err;
	PGconn *c = NULL;
	int rc = FR_EXIT_FATAL;

	fr_err_clear(&err);
	if (catalog_init(&cat, &err) != 0) {
		fprintf(stderr, "fremdrift " WHO ": %s\n", err.msg);
		return FR_EXIT_FATAL;
	}
	c = db_connect_migrated(cfg, WHO);
	if (c != NULL && db_exec(c, WHO, "BEGIN") == 0 &&
	    measure__lock(c, WHO) == 0 && measure__validity(c, cfg, &cat) == 0 &&
	    db_exec(c, WHO, "COMMIT") == 0 &&
	    (json ? print_json(c) : print_table(c)) == 0)
		rc = FR_EXIT_OK;
	if (c)
		PQfinish(c);
	catalog_free(&cat);
	return rc;
}
