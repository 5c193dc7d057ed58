/* `fremdrift pseudonym`: argv to anonymize/pseudonym_stream.c. */
#include "cli.h"

#include "fremdrift/pseudonym_stream.h"

#include <getopt.h>
#include <stdio.h>

static int usage(void)
{
	printf("usage: fremdrift pseudonym [--key FILE]\n\n"
	       "Reads CPR numbers on stdin, one a line, and writes one line for "
	       "each, in\norder: the lowercase hex pseudonym, or `error: "
	       "<reason>: <message>`.\nExit 0 when every line was valid, 3 when "
	       "any was not, 2 on a fatal error.\nFILE defaults to "
	       "FREMDRIFT_KEY_FILE. Use it to find a citizen's rows for an\n"
	       "access or erasure request.\n");
	return EXIT_OK;
}

int cmd_pseudonym(int argc, char **argv, const struct fr_config *cfg)
{
	const char *keypath = cfg->key_file;

	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'k')
			keypath = optarg;
		else if (c == 'h')
			return usage();
		else
			return cli_getopt_error("pseudonym", c, argv);
	}
	if (optind < argc)
		return cli_usage_error("pseudonym", "unexpected '%s'",
				       argv[optind]);
	return pseud_stream_run(keypath);
}
