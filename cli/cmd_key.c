/* `fremdrift key add`: argv to anonymize/keys.c. */
#include "cli.h"

#include "fremdrift/keys.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int usage(void)
{
	printf("usage: fremdrift key add [--also]\n\n"
	       "Registers the key in FREMDRIFT_KEY_FILE with the database (its "
	       "id only, never\nthe key). serve and ingest take the first key "
	       "of an empty database by\nthemselves; any other key they refuse, "
	       "because a different key gives every\ncitizen a second "
	       "pseudonym. Add one here only when that is meant, as when\n"
	       "rotating the key (docs/privacy.md).\n\n"
	       "  --also  add it although another key is active (both are then "
	       "accepted;\n          retire the old one when the rotation is "
	       "done)\n\n"
	       "Exit 0 when the key is registered (or already was), 2 "
	       "otherwise.\n");
	return EXIT_OK;
}

int cmd_key(int argc, char **argv, const struct fr_config *cfg)
{
	static const struct option opts[] = {
		{"also", no_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	int c, also = 0;

	if (cli_wants_help(argc, argv))
		return usage();
	if (argc < 2 || strcmp(argv[1], "add") != 0)
		return cli_usage_error("key", "the first argument must be add");
	optind = 0;
	while ((c = getopt_long(argc - 1, argv + 1, ":h", opts, NULL)) != -1) {
		if (c == 'a')
			also = 1;
		else
			return cli_getopt_error("key", c, argv + 1);
	}
	if (optind < argc - 1)
		return cli_usage_error("key", "unexpected '%s'",
				       argv[1 + optind]);
	return keys_add(cfg, also);
}
