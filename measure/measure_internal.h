/*
 * What the files of measure/ that talk to the database share:
 * refresh.c (`measure refresh`), validity_run.c (`measure validity`, the
 * predictive figures) and validity_dif.c (the items' DIF). Blocking, main
 * thread only, as the db layer.
 */
#ifndef FREMDRIFT_MEASURE_INTERNAL_H
#define FREMDRIFT_MEASURE_INTERNAL_H

#include "fremdrift/buf.h"
#include "fremdrift/catalog.h"
#include "fremdrift/config.h"
#include "fremdrift/db.h"
#include "fremdrift/refresh.h"

#include <stdint.h>
#include <time.h>

/* pg_advisory lock key of `measure refresh` and `measure validity`
 * (migrate's is 4242020601): one of them at a time. */
#define MEASURE_LOCK FR_REFRESH_LOCK

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

/*
 * The stored progression as one digest per course (refresh_diff.c), so
 * that a refresh rewrites only the courses that changed.
 */
struct pdiff_digest {
	uint64_t a, b;  /* sums of two 64-bit hashes of each row */
	uint32_t rows;
};
struct pdiff {
	struct pdiff_entry *slots;
	size_t cap, n;          /* slots, courses */
	struct fr_buf keys;     /* the courses' key texts, NUL-terminated */
	int full;               /* keys passed 4 GiB */
};

/* Adds one progression row (values as stored: the reals as float4) to
 * a course's digest. */
void measure__pdiff_row(struct pdiff_digest *d, const char *pseud_hex,
			const char *instrument, int version,
			const char *dimension, const float v[3], int n);

/* Reads fremdrift.progression on conn, inside its transaction (the one
 * that will write the changes: a second connection could wait on a lock
 * that transaction holds, unseen by PostgreSQL), into p. 0, or -1 after
 * printing the error (as who). */
int measure__pdiff_load(struct pdiff *p, PGconn *conn, const char *who);

/* 1 if course's stored rows have digest d (no rows and none stored
 * count as the same); a stored course is marked seen either way. */
int measure__pdiff_same(struct pdiff *p, const char *course,
			const struct pdiff_digest *d);

/* Calls each(arg, course) for every stored course not seen. */
void measure__pdiff_each_gone(const struct pdiff *p,
			      void (*each)(void *arg, const char *course),
			      void *arg);

void measure__pdiff_free(struct pdiff *p);

/* Seconds on the monotonic clock since t0 (for the progress lines). */
double measure__seconds_since(const struct timespec *t0);

/* "%.17g" of x into out, or NULL (an SQL NULL parameter) for NAN. */
const char *measure__num(double x, char out[32]);

#endif
