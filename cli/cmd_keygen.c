/* `fremdrift keygen`: argv to anonymize/keyfile.c. */
#include "cli.h"

#include "fremdrift/keyfile.h"

#include <getopt.h>
#include <stdio.h>

static int usage(void)
{
	printf("usage: fremdrift keygen --out FILE\n\n"
	       "Writes a new pseudonym key (32 random bytes from the operating "
	       "system) to\nFILE with mode 0600, and prints its id. Never "
	       "overwrites a file.\nKeep the key out of the database and keep a "
	       "backup: without it no\npseudonym can be recomputed "
	       "(docs/privacy.md).\n");
	return EXIT_OK;
}

int cmd_keygen(int argc, char **argv, const struct fr_config *cfg)
{
	const char *out = NULL;
	char id[KEY_ID_LEN + 1];
	struct fr_err err;
	static const struct option opts[] = {
		{"out", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	int c;

	(void)cfg;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'o')
			out = optarg;
		else if (c == 'h')
			return usage();
		else
			return cli_getopt_error("keygen", c, argv);
	}
	if (optind < argc)
		return cli_usage_error("keygen", "unexpected '%s'", argv[optind]);
	if (out == NULL)
		return cli_usage_error("keygen", "--out FILE is required");
	fr_err_clear(&err);
	if (keyfile_generate(out, id, &err) != 0) {
		fprintf(stderr, "fremdrift keygen: %s\n", err.msg);
		return EXIT_FATAL;
	}
	printf("%s\n", id);
	fprintf(stderr, "fremdrift keygen: wrote key %s to %s (mode 0600); "
			"keep a backup in a safe place\n",
		id, out);
	return EXIT_OK;
}

