/* `fremdrift synth`: argv to ingest/synth.c. */
#include "cli.h"

#include "fremdrift/synth.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

static int usage(void)
{
	printf("usage: fremdrift synth [--citizens N] [--seed S]\n\n"
	       "Writes synthetic courses for N citizens (default "
	       "1000) as NDJSON on stdout:\nquestionnaire rounds "
	       "every 4-6 weeks, consultant ratings, interventions, "
	       "hours,\nmeetings, goals, exits and follow-ups (about "
	       "one citizen in ten comes back\nfor a later course), in "
	       "which parallel company-oriented\ninterventions "
	       "progress most and no intervention regresses. Ages fit "
	       "each target\ngroup; departments differ in size from "
	       "45 %% of the citizens to 4 %%; sexes\nand exit statuses "
	       "come in unequal shares, rare exits rare. The same "
	       "seed\ngives the same output. CPR numbers are "
	       "replacement-style, never a real\nperson's.\n");
	return EXIT_OK;
}

int cmd_synth(int argc, char **argv, const struct fr_config *cfg)
{
	struct synth_opts o = {.citizens = 1000, .seed = 1};
	static const struct option opts[] = {
		{"citizens", required_argument, NULL, 'c'},
		{"seed", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	int c;

	(void)cfg;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h')
			return usage();
		if (c == 'c' && cli_whole(optarg, 1, SYNTH_MAX_CITIZENS,
				      &o.citizens) != 0)
			return cli_usage_error("synth", "--citizens must be a "
						       "whole number from 1 to "
						       "%ld",
					       SYNTH_MAX_CITIZENS);
		if (c == 's' && cli_whole(optarg, LONG_MIN, LONG_MAX, &o.seed) != 0)
			return cli_usage_error("synth",
					       "--seed must be a whole number");
		if (c != 'c' && c != 's')
			return cli_getopt_error("synth", c, argv);
	}
	if (optind < argc)
		return cli_usage_error("synth", "unexpected '%s'", argv[optind]);
	return synth_run(&o);
}
