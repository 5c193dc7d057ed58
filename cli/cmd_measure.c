/* `fremdrift measure refresh` and `measure validity`: argv to refresh_run
 * (measure/refresh.c) or validity_run (measure/validity_report.c). */
#include "cli.h"

#include "fremdrift/refresh.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int usage(void)
{
	printf("usage: fremdrift measure refresh\n"
	       "       fremdrift measure validity [--format table|json]\n\n"
	       "refresh recomputes what depends on the whole population: each "
	       "course's facts\nfrom its events; per course and dimension the "
	       "baseline, current score and\nchange; per questionnaire version "
	       "and dimension Cronbach's alpha over the\ncomplete baseline "
	       "responses and the SD of the baseline scores; the validity\n"
	       "figures; the dashboard's release. The report and dashboard "
	       "views read these.\nRun it after ingesting (a timer or cron "
	       "job).\n\n"
	       "validity computes again, from what the last refresh left, "
	       "whether each\nquestionnaire score and the consultant's rating "
	       "foretell a good exit, with\nmodels fitted on earlier course "
	       "cohorts and judged on the latest\n(docs/validity.md), stores "
	       "it in report.validity and prints it: a table, or\nwith "
	       "--format json an array of objects.\n");
	return EXIT_OK;
}

int cmd_measure(int argc, char **argv, const struct fr_config *cfg)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"format", required_argument, NULL,
					      'f'},
					     {NULL, 0, NULL, 0}};
	const char *format = NULL;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":hf:", opts, NULL)) != -1) {
		if (c == 'h')
			return usage();
		if (c != 'f')
			return cli_getopt_error("measure", c, argv);
		format = optarg;
	}
	if (optind >= argc || (strcmp(argv[optind], "refresh") != 0 &&
			       strcmp(argv[optind], "validity") != 0))
		return cli_usage_error("measure", "the first argument must be "
						  "refresh or validity");
	if (optind + 1 < argc)
		return cli_usage_error("measure", "unexpected '%s'",
				       argv[optind + 1]);
	if (strcmp(argv[optind], "refresh") == 0) {
		if (format)
			return cli_usage_error("measure", "--format is for "
							  "measure validity");
		return refresh_run(cfg);
	}
	if (format && strcmp(format, "json") != 0 &&
	    strcmp(format, "table") != 0)
		return cli_usage_error("measure", "--format must be table or "
						  "json");
	return validity_run(cfg, format && strcmp(format, "json") == 0);
}
