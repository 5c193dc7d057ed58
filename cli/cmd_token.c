/* `fremdrift token create|list|revoke`: argv to server/tokens.c. */
#include "cli.h"

#include "fremdrift/record.h"
#include "fremdrift/tokens.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int usage(void)
{
	printf("usage: fremdrift token create --source NAME --role "
	       "ingest|dashboard|analyst\n"
	       "       fremdrift token list\n"
	       "       fremdrift token revoke --source NAME\n\n"
	       "create prints a new API token once (keep it: only its hash is "
	       "stored). Send it\nas `Authorization: Bearer <token>`. An ingest "
	       "token's records get NAME as their\nsource; a record naming "
	       "another source is rejected. revoke stops every token of\n"
	       "that source at once in every running server connected to "
	       "the database (they\nare notified when it commits); a server "
	       "that cannot hear notifications (behind\na transaction-pooling "
	       "proxy) may accept a token it has cached for up to a\n"
	       "minute.\n");
	return EXIT_OK;
}

int cmd_token(int argc, char **argv, const struct fr_config *cfg)
{
	static const struct option opts[] = {
		{"source", required_argument, NULL, 's'},
		{"role", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	const char *sub = argc > 1 ? argv[1] : "", *source = NULL, *role = NULL;
	int c;

	if (cli_wants_help(argc, argv))
		return usage();
	if (strcmp(sub, "create") && strcmp(sub, "list") && strcmp(sub, "revoke"))
		return cli_usage_error("token", "the first argument must be "
						"create, list or revoke");
	optind = 0;
	while ((c = getopt_long(argc - 1, argv + 1, ":h", opts, NULL)) != -1) {
		if (c == 's')
			source = optarg;
		else if (c == 'r')
			role = optarg;
		else
			return cli_getopt_error("token", c, argv + 1);
	}
	if (optind < argc - 1)
		return cli_usage_error("token", "unexpected '%s'",
				       argv[1 + optind]);
	if (strcmp(sub, "list") == 0)
		return source || role ? cli_usage_error("token", "list takes no "
								 "options")
				      : tokens_list(cfg);
	if (source == NULL || !rec_source_ok(source))
		return cli_usage_error("token", "--source must be 1 to %d letters, "
						"digits, '_', '.' or '-'",
				       REC_SOURCE_MAX);
	if (strcmp(sub, "revoke") == 0)
		return role ? cli_usage_error("token", "revoke takes no --role")
			    : tokens_revoke(cfg, source);
	if (role == NULL || !tokens_role_ok(role))
		return cli_usage_error("token", "--role must be ingest, dashboard "
						"or analyst");
	return tokens_create(cfg, source, role);
}
