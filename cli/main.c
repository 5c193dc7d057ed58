/*
 * fremdrift: one binary, subcommands. Each subcommand has a file of its
 * own in cli/ that turns argv into calls of the module that does the work.
 */
#include "cli.h"

#include "fremdrift/db.h"

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
	{"keygen", cmd_keygen, "write a new pseudonym key file (mode 0600)"},
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
	{"token", cmd_token, "create, list or revoke API tokens"},
	{"synth", cmd_synth, "synthetic courses as NDJSON (demo, benchmarks)"},
	{"config", cmd_config, "print the effective configuration"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: fremdrift <command> [options]\n\n"
		     "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(out, "  %-10s %s\n", "help", "this list");
	fprintf(out, "\n`fremdrift <command> --help` describes one command.\n"
		     "Configuration comes from environment variables; "
		     "`fremdrift config` shows them.\n");
}

int cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	return 0;
}

int cmd_config(int argc, char **argv, const struct fr_config *cfg)
{
	char *db;

	if (cli_wants_help(argc, argv)) {
		printf("usage: fremdrift config\n\n"
		       "Prints the effective configuration, one NAME=value a "
		       "line, secrets masked.\n");
		return EXIT_OK;
	}
	db = db_masked_conninfo(cfg->database_url);
	printf("DATABASE_URL=%s%s\n", db,
	       cfg->database_embedded ? "  (embedded cluster)" : "");
	free(db);
	printf("FREMDRIFT_VAR=%s\n", cfg->var_dir);
	printf("FREMDRIFT_KEY_FILE=%s\n", cfg->key_file);
	printf("FREMDRIFT_HTTP=%s:%d\n", cfg->http_host, cfg->http_port);
	printf("FREMDRIFT_HTTP_MAX_BODY=%zu\n", cfg->http_max_body);
	printf("FREMDRIFT_HTTP_MAX_HEADER=%zu\n", cfg->http_max_header);
	printf("FREMDRIFT_HTTP_IDLE_TIMEOUT=%ums\n", cfg->http_idle_timeout_ms);
	printf("FREMDRIFT_HTTP_REQUEST_TIMEOUT=%ums\n",
	       cfg->http_request_timeout_ms);
	printf("FREMDRIFT_HTTP_MAX_CONNECTIONS=%u\n", cfg->http_max_connections);
	printf("FREMDRIFT_DB_TIMEOUT=%ums\n", cfg->db_timeout_ms);
	printf("FREMDRIFT_LOG_LEVEL=%s\n", log_level_name(cfg->log_level));
	printf("migrations in this binary: %d (latest %04d)\n",
	       fr_migrations_count,
	       fr_migrations_count ? fr_migrations[fr_migrations_count - 1].version
				   : 0);
	return EXIT_OK;
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
	 * (design §4). Costs microseconds. */
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
