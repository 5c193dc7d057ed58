/*
 * Synthetic courses as NDJSON (demo data, benchmarks): questionnaire
 * rounds, consultant ratings, interventions, hours, meetings, goals, exits
 * and follow-ups, following the model described in ingest/synth.c. The
 * same options give the same bytes. Pure: no libuv, no libpq.
 */
#ifndef FREMDRIFT_SYNTH_H
#define FREMDRIFT_SYNTH_H

#define SYNTH_MAX_CITIZENS 15000000L /* unique CPR numbers to twice this */

struct synth_opts {
	long citizens; /* 1 to SYNTH_MAX_CITIZENS */
	long seed;
};

/*
 * Writes the courses of opts->citizens citizens to standard output.
 * Returns FR_EXIT_OK, or FR_EXIT_FATAL with the reason on stderr. opts is
 * borrowed. Any one thread (it writes file descriptor 1).
 */
int synth_run(const struct synth_opts *opts);

#endif
