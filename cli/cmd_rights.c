/*
 * `fremdrift access`, `erase` and `cpr-change`: argv to struct
 * rights_opts; the work is rights_run (anonymize/rights.c).
 */
#include "cli.h"

#include "fremdrift/rights.h"

#include <getopt.h>
#include <stdio.h>

static const char *const names[] = {"access", "erase", "cpr-change"};

static const char *const help[] = {
	"usage: fremdrift access [--key FILE]\n\n"
	"Reads CPR numbers on stdin, one a line, and prints for each a "
	"JSON line with\neverything stored about that citizen, table by "
	"table (GDPR art. 15). The CPR\nnumber itself is never stored, so "
	"it is not in the answer either.\n",
	"usage: fremdrift erase [--key FILE]\n\n"
	"Reads CPR numbers on stdin, one a line, and deletes every row "
	"of each\ncitizen from every table that holds a pseudonym (GDPR "
	"art. 17), printing the\ncounts. An audit row with the counts "
	"only is kept in fremdrift.rights_log.\nRun `fremdrift measure "
	"refresh` afterwards for the dashboards.\n",
	"usage: fremdrift cpr-change [--key FILE]\n\n"
	"Reads lines \"OLD NEW\" (two CPR numbers) on stdin and moves "
	"all of the old\nnumber's history to the new one's pseudonym, "
	"with the birth year and sex of\nthe new number. An audit row "
	"with counts only is kept.\n"};

static const struct option options[] = {
	{"key", required_argument, NULL, 'k'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static int run(enum rights_action action, int argc, char **argv,
	       const struct fr_config *cfg)
{
	struct rights_opts o = {.action = action, .key_file = NULL};
	const char *wrong = NULL, *must = NULL;
	int opt;

	opterr = 0;
	optind = 0;
	while (wrong == NULL &&
	       (opt = getopt_long(argc, argv, "+:h", options, NULL)) != -1) {
		if (opt == 'h') {
			fputs(help[action], stdout);
			return EXIT_OK;
		}
		if (opt == 'k' && optarg[0] != '\0')
			o.key_file = optarg;
		else if (opt == 'k' || opt == ':')
			wrong = "--key", must = "needs a key file";
		else
			wrong = argv[optind - 1], must = "is not an option";
	}
	/* A word that is not an option may be a CPR number typed on the
	 * command line: it is refused without being repeated. */
	if (wrong == NULL && optind < argc)
		wrong = "an argument", must = "is not accepted (CPR numbers go on stdin)";
	if (wrong != NULL) {
		fprintf(stderr, "fremdrift %s: %s %s\nsee `fremdrift %s --help`\n",
			names[action], wrong, must, names[action]);
		return EXIT_FATAL;
	}
	return rights_run(&o, cfg);
}

int cmd_access(int argc, char **argv, const struct fr_config *cfg)
{
	return run(RIGHTS_ACCESS, argc, argv, cfg);
}

int cmd_erase(int argc, char **argv, const struct fr_config *cfg)
{
	return run(RIGHTS_ERASE, argc, argv, cfg);
}

int cmd_cpr_change(int argc, char **argv, const struct fr_config *cfg)
{
	return run(RIGHTS_CPR_CHANGE, argc, argv, cfg);
}
