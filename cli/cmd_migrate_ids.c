/* `fremdrift migrate-ids`: argv to anonymize/migrate_ids.c. */
#include "cli.h"

#include "fremdrift/migrate_ids.h"

#include <getopt.h>
#include <stdio.h>

static int usage(void)
{
	printf("usage: fremdrift migrate-ids [--key FILE]... [--no-refresh]\n\n"
	       "Turns the record ids and course keys that an earlier version "
	       "of fremdrift\nstored as they were given into their keyed "
	       "pseudonyms, as ingest stores\nthem now (docs/privacy.md), in one "
	       "transaction, and marks the database\ndone; then rebuilds the "
	       "course facts and progression (measure refresh).\nserve and "
	       "ingest store no records in a database that still needs it. A\n"
	       "second run, or a run on a database created by this version, "
	       "does nothing.\n\n"
	       "  --key FILE    a key file; give the file of every key that "
	       "made rows (each\n                row is rewritten under its own "
	       "key). Default: FREMDRIFT_KEY_FILE\n"
	       "  --no-refresh  leave the course facts and progression empty "
	       "until the next\n                `fremdrift measure refresh`\n\n"
	       "Exit 0 when done (or nothing was left to do), 2 otherwise, with "
	       "nothing\nchanged.\n");
	return EXIT_OK;
}

int cmd_migrate_ids(int argc, char **argv, const struct fr_config *cfg)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'},
		{"no-refresh", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	struct mids_opts o = {.refresh = 1};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'k' && o.nkeys == MIDS_MAX_KEYS)
			return cli_usage_error("migrate-ids",
					       "--key may be given at most %d "
					       "times",
					       MIDS_MAX_KEYS);
		if (c == 'k')
			o.key_files[o.nkeys++] = optarg;
		else if (c == 'n')
			o.refresh = 0;
		else if (c == 'h')
			return usage();
		else
			return cli_getopt_error("migrate-ids", c, argv);
	}
	if (optind < argc)
		return cli_usage_error("migrate-ids", "unexpected '%s'",
				       argv[optind]);
	if (o.nkeys == 0)
		o.key_files[o.nkeys++] = cfg->key_file;
	return mids_run(cfg, &o);
}
