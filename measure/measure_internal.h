/*
 * What the files of measure/ that talk to the database share:
 * refresh.c (`measure refresh`), validity_run.c (`measure validity`, the
 * predictive figures) and validity_dif.c (the items' DIF). Blocking, main
 * thread only, as the db layer.
 */
#ifndef FREMDRIFT_MEASURE_INTERNAL_H
#define FREMDRIFT_MEASURE_INTERNAL_H

#include "fremdrift/catalog.h"
#include "fremdrift/config.h"
#include "fremdrift/db.h"

#include <time.h>

/* pg_advisory lock key of `measure refresh` and `measure validity`
 * (migrate's is 4242020601): one of them at a time. */
#define MEASURE_LOCK "4242020602"

/*
 * Takes the lock inside conn's open transaction; 0, or -1 after saying
 * on stderr that another refresh or validity run holds it (as who).
 */
int measure__lock(PGconn *conn, const char *who);

/*
 * The validity step, inside conn's open transaction, after the course
 * facts and progression it reads: computes report.validity and
 * report.validity_dif afresh and publishes the leadership page's
 * summary (docs/validity.md). Prints one line of what it did to stderr.
 * 0, or -1 after printing the error.
 */
int measure__validity(PGconn *conn, const struct fr_config *cfg,
		      const struct catalog *cat);

/*
 * The DIF part of it: reads each course's first answers of every
 * questionnaire (courses started before data_until, an ISO date) and
 * replaces fremdrift.validity_dif. *tests and *flagged say how many
 * item-grouping tests were made and how many flagged. 0 or -1.
 */
int measure__dif(PGconn *conn, const struct catalog *cat, unsigned min_n,
		 const char *data_until, int *tests, int *flagged);

/* Runs sql (a COPY ... TO STDOUT) on conn and gives each row to
 * each(arg, row). 0, or -1 after printing the error (as who). */
int measure__copy_each(PGconn *conn, const char *who, const char *sql,
		       void (*each)(void *arg, const struct db_copy_row *row),
		       void *arg);

/* Seconds on the monotonic clock since t0 (for the progress lines). */
double measure__seconds_since(const struct timespec *t0);

/* "%.17g" of x into out, or NULL (an SQL NULL parameter) for NAN. */
const char *measure__num(double x, char out[32]);

#endif
