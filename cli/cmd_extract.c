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

enum {
	OPT_PROJECT = 1,
	OPT_OUT,
	OPT_FROM,
	OPT_TO,
	OPT_K,
	OPT_L,
	OPT_DATES,
	OPT_SEQUENCES,
	OPT_ITEMS,
	OPT_MAX_SUPPRESS,
	OPT_LIST
};

static const struct option options[] = {
	{"project", required_argument, NULL, OPT_PROJECT},
	{"out", required_argument, NULL, OPT_OUT},
	{"from", required_argument, NULL, OPT_FROM},
	{"to", required_argument, NULL, OPT_TO},
	{"k", required_argument, NULL, OPT_K},
	{"l", required_argument, NULL, OPT_L},
	{"dates", required_argument, NULL, OPT_DATES},
	{"sequences", required_argument, NULL, OPT_SEQUENCES},
	{"items", no_argument, NULL, OPT_ITEMS},
	{"max-suppress", required_argument, NULL, OPT_MAX_SUPPRESS},
	{"list", no_argument, NULL, OPT_LIST},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static int usage(void)
{
	printf("usage: fremdrift extract --project NAME --out DIR [--k 5] [--l 2] "
	       "[--from DATE] [--to DATE]\n"
	       "                         [--dates month|shift] [--sequences "
	       "summary|exact] [--items]\n"
	       "                         [--max-suppress PERCENT]\n"
	       "       fremdrift extract --list\n\n"
	       "Writes a research extract to DIR (which must not exist): CSV "
	       "files of courses,\nresponses, progression, interventions, hours "
	       "and outcomes (and with --items the\nitem-level answers) under "
	       "identifiers made with a fresh key that is thrown away,\nrows in "
	       "random order, a codebook, manifest.json with the risk report, "
	       "and\nloaders in R and Python. A neighbour's knowledge (age, sex, "
	       "department, target\ngroup, when the course started and ended, a "
	       "company-oriented intervention, the\nexit status) matches at "
	       "least k citizens (default 5), counted over everything\nthe "
	       "project already holds; each such group has at least l exit and "
	       "follow-up\nstatuses (default 2). fremdrift generalises (age "
	       "bands, periods, categories)\nuntil at most --max-suppress "
	       "percent of courses (default 5) must be left out,\nelse it writes "
	       "nothing. Dates are periods (month, the default) or periods "
	       "of\ndates shifted per person by a secret number of weeks "
	       "(shift). Sequences\n(hours, interventions, answers, outcomes) "
	       "are totals and weeks since the start\nin bins; --sequences exact "
	       "gives the exact weeks, only if no course is singled\nout by them. "
	       "Courses come from the last `fremdrift measure refresh`. "
	       "Every\nextract is recorded with the citizens it holds; --list "
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
	long n;

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
		if (cli_whole(arg, 2, 100, &n) != 0)
			return bad("--k", "must be an integer from 2 to 100");
		o->k = (int)n;
		return EXIT_OK;
	case OPT_L:
		if (cli_whole(arg, 1, 10, &n) != 0)
			return bad("--l", "must be an integer from 1 to 10");
		o->l = (int)n;
		return EXIT_OK;
	case OPT_DATES:
		o->month = strcmp(arg, "month") == 0;
		return o->month || strcmp(arg, "shift") == 0
			       ? EXIT_OK
			       : bad("--dates", "must be month or shift");
	case OPT_SEQUENCES:
		o->exact = strcmp(arg, "exact") == 0;
		return o->exact || strcmp(arg, "summary") == 0
			       ? EXIT_OK
			       : bad("--sequences", "must be summary or exact");
	case OPT_MAX_SUPPRESS:
		if (cli_whole(arg, 0, 50, &n) != 0)
			return bad("--max-suppress",
				   "must be a whole percentage from 0 to 50");
		o->max_suppress = (double)n / 100.0;
		return EXIT_OK;
	default:
		*(opt == OPT_ITEMS ? &o->items : &o->list) = 1;
		return EXIT_OK;
	}
}

int cmd_extract(int argc, char **argv, const struct fr_config *cfg)
{
	struct extract_opts o = {.k = 5, .l = 2, .month = 1, .max_suppress = 0.05};
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
	if (o.l > o.k)
		return bad("--l", "must not be greater than --k");
	if (!o.list && o.project == NULL)
		return bad("--project", "is required (a name of letters, digits, _ . -)");
	if (!o.list && o.out_dir == NULL)
		return bad("--out", "is required (a folder that does not exist yet)");
	return extract_run(&o, cfg);
}
