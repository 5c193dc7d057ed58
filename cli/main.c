/*
 * fremdrift: one binary, subcommands. Each subcommand has a file of its
 * own in cli/ that turns argv into calls of the module that does the work.
 */
#include "cli.h"


#include "fremdrift/buf.h"
#include "fremdrift/log.h"
#include "fremdrift/migrate.h"
#include "fremdrift/pseudonym.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct command {
	const char *name;
	int (*run)(int argc, char **argv, const struct fr_config *cfg);
	const char *summary;
};

static const struct command commands[] = {
	{"serve", cmd_serve, "run the HTTP server and ingest pipeline"},
	{"ingest", cmd_ingest,
	 "store records from NDJSON or CSV files (or stdin)"},
	{"migrate", cmd_migrate, "apply the database migrations in sql/"},
	{"migrate-ids", cmd_migrate_ids,
	 "turn record ids and course keys stored as given into pseudonyms"},
	{"keygen", cmd_keygen, "write a new pseudonym key file (mode 0600)"},
	{"key", cmd_key, "key add: let the database accept another key"},
	{"pseudonym", cmd_pseudonym,
	 "CPR numbers on stdin to pseudonyms on stdout"},
	{"measure", cmd_measure,
	 "measure refresh: progression, reliability, course facts"},
	{"extract", cmd_extract,
	 "a k-anonymous research extract under throw-away pseudonyms"},
	{"access", cmd_access, "everything stored about citizens (CPR on stdin)"},
	{"erase", cmd_erase, "delete everything about citizens (CPR on stdin)"},
	{"cpr-change", cmd_cpr_change,
	 "move a citizen's history to a new CPR number"},
	{"invite", cmd_invite,
	 "links for citizens and consultants; the rounds due (CSV)"},
	{"token", cmd_token, "create, list or revoke API tokens"},
	{"synth", cmd_synth, "synthetic courses as NDJSON (demo, benchmarks)"},
	{"config", cmd_config, "print the effective configuration"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: fremdrift <command> [options]\n\n"
		     "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-11s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(out, "  %-11s %s\n", "help", "this list");
	fprintf(out, "\n`fremdrift <command> --help` describes one command.\n"
		     "Configuration comes from environment variables; "
		     "`fremdrift config` shows them.\n");
}

int main(int argc, char **argv)
{
	struct fr_config cfg;
	struct fr_err err;
	int rc;

	if (argc < 2 || strcmp(argv[1], "help") == 0 ||
	    strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return argc < 2 ? EXIT_FATAL : EXIT_OK;
	}
	signal(SIGPIPE, SIG_IGN);

	/* Every start: refuse to run on an OpenSSL that computes wrong MACs
	 * (docs/architecture.md, Pseudonyms). Costs microseconds. */
	fr_err_clear(&err);
	if (pseud_selftest(&err) != 0) {
		fprintf(stderr, "fremdrift: %s\n", err.msg);
		return EXIT_FATAL;
	}
	if (fr_config_load(&cfg, &err) != 0) {
		fprintf(stderr, "fremdrift: %s: %s\n", err.field, err.msg);
		return EXIT_FATAL;
	}
	log_set_level(cfg.log_level);

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			rc = commands[i].run(argc - 1, argv + 1, &cfg);
			fr_config_free(&cfg);
			return rc;
		}
	}
	fprintf(stderr, "fremdrift: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	fr_config_free(&cfg);
	return EXIT_FATAL;
}
