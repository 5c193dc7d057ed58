/* `fremdrift pseudonym`: argv to anonymize/pseudonym_stream.c. */
#include "cli.h"

#include "fremdrift/pseudonym_stream.h"

#include <getopt.h>
#include <stdio.h>

static int usage(void)
{
	printf("usage: fremdrift pseudonym [--key FILE] [--course | --record-id]\n\n"
	       "Reads CPR numbers on stdin, one a line, and writes one line for "
	       "each, in\norder: the lowercase hex pseudonym, or `error: "
	       "<reason>: <message>`.\nExit 0 when every line was valid, 3 when "
	       "any was not, 2 on a fatal error.\nFILE defaults to "
	       "FREMDRIFT_KEY_FILE. Use it to find a citizen's rows for an\n"
	       "access or erasure request.\n\n"
	       "  --course     the lines are course keys of a source system: "
	       "writes the\n               pseudonym stored for each (the "
	       "course_key of the report views)\n"
	       "  --record-id  the lines are record ids: writes the pseudonym "
	       "stored as\n               the record's id\n");
	return EXIT_OK;
}

int cmd_pseudonym(int argc, char **argv, const struct fr_config *cfg)
{
	const char *keypath = cfg->key_file;
	enum pstream_kind kind = PSTREAM_CPR;

	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'},
		{"course", no_argument, NULL, 'c'},
		{"record-id", no_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if ((c == 'c' || c == 'r') && kind != PSTREAM_CPR)
			return cli_usage_error("pseudonym", "give at most one "
							    "of --course and "
							    "--record-id");
		if (c == 'k')
			keypath = optarg;
		else if (c == 'c')
			kind = PSTREAM_COURSE;
		else if (c == 'r')
			kind = PSTREAM_RECORD_ID;
		else if (c == 'h')
			return usage();
		else
			return cli_getopt_error("pseudonym", c, argv);
	}
	if (optind < argc)
		return cli_usage_error("pseudonym", "unexpected '%s'",
				       argv[optind]);
	return pseud_stream_run(keypath, kind);
}
