/*
 * `fremdrift extract`: argv to struct extract_opts; the work is
 * extract_run (anonymize/extract.c).
 */
#include "cli.h"

#include "fremdrift/civil.h"

#include "fremdrift/extract.h"
#include "fremdrift/record.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_PROJECT = 1, OPT_OUT, OPT_FROM, OPT_TO, OPT_K, OPT_DATES, OPT_LIST };

static const struct option options[] = {
	{"project", required_argument, NULL, OPT_PROJECT},
	{"out", required_argument, NULL, OPT_OUT},
	{"from", required_argument, NULL, OPT_FROM},
	{"to", required_argument, NULL, OPT_TO},
	{"k", required_argument, NULL, OPT_K},
	{"dates", required_argument, NULL, OPT_DATES},
	{"list", no_argument, NULL, OPT_LIST},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static int usage(void)
{
	printf("usage: fremdrift extract --project NAME --out DIR [--k 5] "
	       "[--from DATE] [--to DATE]\n"
	       "                         [--dates month|shift]\n"
	       "       fremdrift extract --list\n\n"
	       "Writes a research extract to DIR (which must not exist): CSV "
	       "files of courses,\nresponses, progression, interventions, hours "
	       "and outcomes under pseudonyms\nmade with a fresh key that is "
	       "thrown away, a codebook (codebook.md, .csv)\nand manifest.json. "
	       "Every combination of age band, sex, department and target\n"
	       "group covers at least k citizens (default 5). Dates are months "
	       "(default) or\nshifted per person. Courses come from the last "
	       "`fremdrift measure refresh`.\nEvery extract is recorded; --list "
	       "shows them.\n");
	return EXIT_OK;
}

/* One line naming the argument and what it must be, then the hint. */
static int bad(const char *what, const char *must)
{
	return cli_usage_error("extract", "%s %s", what, must);
}

static int is_date(const char *s)
{
	long days;

	return fr_date_parse(s, &days) == 0;
}

/* Sets one option from its argument; EXIT_OK or a usage error. */
static int set_option(struct extract_opts *o, int opt, const char *arg)
{
	long k;

	switch (opt) {
	case OPT_PROJECT:
		o->project = arg;
		return rec_source_ok(arg) ? EXIT_OK
					  : bad("--project", "must be 1-64 letters, digits, _ . or -");
	case OPT_OUT:
		o->out_dir = arg;
		return arg[0] ? EXIT_OK : bad("--out", "must name a folder");
	case OPT_FROM:
	case OPT_TO:
		*(opt == OPT_FROM ? &o->from : &o->to) = arg;
		return is_date(arg) ? EXIT_OK
				    : bad(opt == OPT_FROM ? "--from" : "--to",
					  "must be a date YYYY-MM-DD");
	case OPT_K:
		if (cli_whole(arg, 2, 100, &k) != 0)
			return bad("--k", "must be an integer from 2 to 100");
		o->k = (int)k;
		return EXIT_OK;
	case OPT_DATES:
		o->month = strcmp(arg, "month") == 0;
		return o->month || strcmp(arg, "shift") == 0
			       ? EXIT_OK
			       : bad("--dates", "must be month or shift");
	default:
		o->list = 1;
		return EXIT_OK;
	}
}

int cmd_extract(int argc, char **argv, const struct fr_config *cfg)
{
	struct extract_opts o = {.k = 5, .month = 1};
	int opt, rc;

	opterr = 0;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "+:h", options, NULL)) != -1) {
		if (opt == 'h')
			return usage();
		if (opt == ':')
			return bad(argv[optind - 1], "needs a value");
		if (opt == '?')
			return bad(argv[optind - 1], "is not an option");
		if ((rc = set_option(&o, opt, optarg)) != EXIT_OK)
			return rc;
	}
	if (optind < argc)
		return bad(argv[optind], "is not an option");
	if (!o.list && o.project == NULL)
		return bad("--project", "is required (a name of letters, digits, _ . -)");
	if (!o.list && o.out_dir == NULL)
		return bad("--out", "is required (a folder that does not exist yet)");
	return extract_run(&o, cfg);
}
