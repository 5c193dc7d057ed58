/* `fremdrift measure refresh`: argv to refresh_run (measure/refresh.c). */
#include "cli.h"

#include "fremdrift/refresh.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int usage(void)
{
	printf("usage: fremdrift measure refresh\n\n"
	       "Recomputes what depends on the whole population: each course's "
	       "facts from its\nevents; per course and dimension the baseline, "
	       "current score and change;\nper questionnaire version and "
	       "dimension Cronbach's alpha over the complete\nbaseline responses "
	       "and the SD of the baseline scores. The report and\ndashboard "
	       "views read these. Run it after ingesting (a timer or cron "
	       "job).\n");
	return EXIT_OK;
}

int cmd_measure(int argc, char **argv, const struct fr_config *cfg)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h')
			return usage();
		return cli_getopt_error("measure", c, argv);
	}
	if (optind >= argc || strcmp(argv[optind], "refresh") != 0)
		return cli_usage_error("measure", "the first argument must be "
						  "refresh");
	if (optind + 1 < argc)
		return cli_usage_error("measure", "unexpected '%s'",
				       argv[optind + 1]);
	return refresh_run(cfg);
}
