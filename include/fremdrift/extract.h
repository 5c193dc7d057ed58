/*
 * extract: a k-anonymous research extract under throw-away pseudonyms
 * (docs/privacy.md section 7). A blocking batch command: run it from the
 * main thread of `fremdrift extract`, never from a loop thread.
 */
#ifndef FREMDRIFT_EXTRACT_H
#define FREMDRIFT_EXTRACT_H

#include "fremdrift/config.h"

/* What to extract. Every pointer is borrowed for the call. */
struct extract_opts {
	int list;            /* 1: only list the recorded extracts */
	const char *project; /* project name (letters, digits, _ . -) */
	const char *out_dir; /* folder to create; it must not exist yet */
	const char *from;    /* YYYY-MM-DD or NULL: courses running from */
	const char *to;      /* YYYY-MM-DD or NULL: courses started by */
	int k;               /* every quasi-identifier class covers >= k */
	int month;           /* 1: dates as months; 0: shifted per person */
};

/*
 * Writes the extract described by o into o->out_dir (or lists the
 * recorded extracts when o->list), using the database of cfg (borrowed).
 * Prints what it did to stdout and any error to stderr. On failure it
 * removes the folder it created, so a rerun works. Returns FR_EXIT_OK or
 * FR_EXIT_FATAL.
 */
int extract_run(const struct extract_opts *o, const struct fr_config *cfg);

#endif
