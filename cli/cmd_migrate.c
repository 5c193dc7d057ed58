/* `fremdrift migrate`: argv to db/migrate.c. */
#include "cli.h"

#include "fremdrift/migrate.h"

#include <getopt.h>
#include <stdio.h>

static int usage(void)
{
	printf("usage: fremdrift migrate [--check]\n\n"
			       "Applies the migrations compiled into this binary "
			       "(from sql/) that the\ndatabase lacks, each in its "
			       "own transaction. A second run does nothing.\n"
			       "Refuses a database that has a migration this "
			       "binary does not know.\n\n"
			       "  --check   change nothing; exit 0 if up to date, "
			       "1 if migrations are\n            pending, 2 on "
			       "an error\n");
	return EXIT_OK;
}

int cmd_migrate(int argc, char **argv, const struct fr_config *cfg)
{
	static const struct option opts[] = {
		{"check", no_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	int c, check = 0;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'c')
			check = 1;
		else if (c == 'h')
			return usage();
		else
			return cli_getopt_error("migrate", c, argv);
	}
	if (optind < argc)
		return cli_usage_error("migrate", "unexpected '%s'", argv[optind]);
	return migrate_run(cfg, check);
}
