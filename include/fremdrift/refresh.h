/*
 * `fremdrift measure refresh`: recomputes what depends on the whole
 * population. Blocking (the db layer); main thread only.
 */
#ifndef FREMDRIFT_REFRESH_H
#define FREMDRIFT_REFRESH_H

#include "fremdrift/config.h"

/*
 * The pg_advisory lock key a refresh or validity run holds for its
 * transaction (it only tries: a second run exits at once). erase,
 * cpr-change, key rotate and migrate-ids take it too, and wait: a
 * refresh writes back only the rows that changed since it read them, so
 * nothing may change pseudonyms or keys under it.
 */
#define FR_REFRESH_LOCK "4242020602"

/*
 * Replaces, in one transaction, the course facts (fremdrift.courses,
 * from the events), the progression per course and dimension, the
 * reliability per questionnaire version and dimension, the validity
 * figures (as validity_run, without printing them), and the
 * dashboard's aggregates. Prints its progress and any error to stderr.
 * cfg is borrowed. Returns FR_EXIT_OK, or FR_EXIT_FATAL after printing
 * why (also when another refresh is running: this one changes nothing).
 */
int refresh_run(const struct fr_config *cfg);

/*
 * `fremdrift measure validity` (docs/validity.md): computes, in one
 * transaction, from the course facts and progression of the last
 * refresh, whether each questionnaire score and the consultant's rating
 * foretell a good exit, and the items' differential functioning; stores
 * them (report.validity, report.validity_dif) with the leadership page's
 * summary; then prints report.validity, as a table or (json nonzero) as
 * a JSON array. `measure refresh` runs the same step before it commits.
 * Returns FR_EXIT_OK, or FR_EXIT_FATAL after printing why.
 */
int validity_run(const struct fr_config *cfg, int json);

#endif
