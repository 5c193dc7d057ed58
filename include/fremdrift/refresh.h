/*
 * `fremdrift measure refresh`: recomputes what depends on the whole
 * population. Blocking (the db layer); main thread only.
 */
#ifndef FREMDRIFT_REFRESH_H
#define FREMDRIFT_REFRESH_H

#include "fremdrift/config.h"

/*
 * Replaces, in one transaction, the course facts (fremdrift.courses,
 * from the events), the progression per course and dimension, the
 * reliability per questionnaire version and dimension, and the
 * dashboard's aggregates. Prints its progress and any error to stderr.
 * cfg is borrowed. Returns FR_EXIT_OK, or FR_EXIT_FATAL after printing
 * why (also when another refresh is running: this one changes nothing).
 */
int refresh_run(const struct fr_config *cfg);

#endif
