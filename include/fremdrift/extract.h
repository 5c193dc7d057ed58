/*
 * extract: a research extract that a neighbour cannot re-identify
 * (docs/privacy.md section 7): throw-away pseudonyms, generalisation and
 * suppression to k-anonymity and l-diversity over the attacker model's
 * quasi-identifiers, a risk report, rows in random order, and a ledger of
 * what each project holds. A blocking batch command: run it from the main
 * thread of `fremdrift extract`, never from a loop thread.
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
	int l;               /* distinct outcomes in a class, at least */
	int month;           /* 1: dates as periods; 0: shifted per person */
	int exact;           /* 1: exact sequences, if the risk allows them */
	int items;           /* 1: also items.csv, the item-level answers */
	double max_suppress; /* share of courses that may be suppressed */
};

/*
 * Writes the extract described by o into o->out_dir (or lists the
 * recorded extracts when o->list), using the database of cfg (borrowed).
 * Prints what it did to stdout and any error to stderr. On failure, and
 * when the risk is over what k allows, it writes nothing: it removes the
 * folder it created, so a rerun works. Returns FR_EXIT_OK or
 * FR_EXIT_FATAL.
 */
int extract_run(const struct extract_opts *o, const struct fr_config *cfg);

#endif
