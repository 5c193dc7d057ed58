/*
 * rights: the citizen's rights (GDPR art. 15 and 17), driven by CPR
 * numbers on stdin and the pseudonym key file. A blocking batch command:
 * call it from the main thread of its subcommand, never a loop thread.
 */
#ifndef FREMDRIFT_RIGHTS_H
#define FREMDRIFT_RIGHTS_H

#include "fremdrift/config.h"

enum rights_action {
	RIGHTS_ACCESS,    /* everything stored about each citizen, as JSON */
	RIGHTS_ERASE,     /* delete all of it; print the counts */
	RIGHTS_CPR_CHANGE /* "OLD NEW" per line: move the history */
};

struct rights_opts {
	enum rights_action action;
	const char *key_file; /* borrowed; NULL: cfg->key_file */
};

/*
 * Reads stdin line by line and does o->action for each citizen, printing
 * one JSON line per input line to stdout. Returns FR_EXIT_OK, or
 * FR_EXIT_REJECTED when a line was refused (the others were done), or
 * FR_EXIT_FATAL when the key, the database or a table failed: then no
 * partial answer is printed for the line that failed. cfg is borrowed.
 */
int rights_run(const struct rights_opts *o, const struct fr_config *cfg);

#endif
