/* `fremdrift key add`: argv to anonymize/keys.c. */
#include "cli.h"

#include "fremdrift/key_rotate.h"
#include "fremdrift/keys.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int usage(void)
{
	printf("usage: fremdrift key add [--also]\n"
	       "       fremdrift key rotate --old FILE --new FILE [--dry-run] "
	       "< IDENTIFIERS\n"
	       "       fremdrift key rotate --old FILE --unreached\n\n"
	       "Registers the key in FREMDRIFT_KEY_FILE with the database (its "
	       "id only, never\nthe key). serve and ingest take the first key "
	       "of an empty database by\nthemselves; any other key they refuse, "
	       "because a different key gives every\ncitizen a second "
	       "pseudonym. Add one here only when that is meant, as when\n"
	       "rotating the key (docs/privacy.md).\n\n"
	       "  --also  add it although another key is active (both are then "
	       "accepted;\n          retire the old one when the rotation is "
	       "done)\n\n"
	       "rotate moves every pseudonym made with the old key to the new "
	       "one, in one\ntransaction: stdin holds the case system's "
	       "identifiers, one a line: a CPR\nnumber, \"course KEY\" or "
	       "\"record ID\" (as the source sends them). It registers\nthe "
	       "new key, re-keys open links, moves the citizens' record keys "
	       "(the\ndashboard stays as it was) and records the run in "
	       "fremdrift.key_rotations\nwith counts only. A line that cannot "
	       "be read changes nothing (exit 3).\nAfterwards point "
	       "FREMDRIFT_KEY_FILE at the new key, restart, and run it again\n"
	       "for what arrived meanwhile (docs/privacy.md).\n\n"
	       "  --dry-run    do it all, print the counts, keep nothing\n"
	       "  --unreached  list, as JSON lines, what is still under the "
	       "old key\n\n"
	       "Exit 0 when done (add: registered, or already was), 2 "
	       "otherwise.\n");
	return EXIT_OK;
}

static int rotate(int argc, char **argv, const struct fr_config *cfg)
{
	static const struct option opts[] = {
		{"old", required_argument, NULL, 'o'},
		{"new", required_argument, NULL, 'n'},
		{"dry-run", no_argument, NULL, 'd'},
		{"unreached", no_argument, NULL, 'u'},
		{NULL, 0, NULL, 0}};
	struct key_rotate_opts o = {0};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == 'o')
			o.old_key = optarg;
		else if (c == 'n')
			o.new_key = optarg;
		else if (c == 'd')
			o.dry_run = 1;
		else if (c == 'u')
			o.unreached = 1;
		else
			return cli_getopt_error("key rotate", c, argv);
	}
	if (optind < argc)
		return cli_usage_error("key rotate", "unexpected '%s'",
				       argv[optind]);
	if (o.old_key == NULL || (o.new_key == NULL && !o.unreached))
		return cli_usage_error("key rotate",
				       "give --old FILE and --new FILE (or --old "
				       "FILE --unreached)");
	return key_rotate_run(&o, cfg);
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
	if (argc >= 2 && strcmp(argv[1], "rotate") == 0)
		return rotate(argc - 1, argv + 1, cfg);
	if (argc < 2 || strcmp(argv[1], "add") != 0)
		return cli_usage_error("key",
				       "the first argument must be add or rotate");
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
