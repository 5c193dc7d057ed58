/* `fremdrift config`: the effective configuration, secrets masked. */
#include "cli.h"

#include "fremdrift/db.h"
#include "fremdrift/log.h"
#include "fremdrift/migrate.h"

#include <stdio.h>
#include <stdlib.h>

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
	printf("FREMDRIFT_PUBLIC_URL=%s\n", cfg->public_url);
	printf("FREMDRIFT_HTTP_MAX_BODY=%zu\n", cfg->http_max_body);
	printf("FREMDRIFT_HTTP_MAX_HEADER=%zu\n", cfg->http_max_header);
	printf("FREMDRIFT_HTTP_IDLE_TIMEOUT=%ums\n", cfg->http_idle_timeout_ms);
	printf("FREMDRIFT_HTTP_REQUEST_TIMEOUT=%ums\n",
	       cfg->http_request_timeout_ms);
	printf("FREMDRIFT_HTTP_MAX_CONNECTIONS=%u\n", cfg->http_max_connections);
	printf("FREMDRIFT_DB_TIMEOUT=%ums\n", cfg->db_timeout_ms);
	printf("FREMDRIFT_DB_RECORD_CONNECTIONS=%u\n",
	       cfg->db_record_connections);
	printf("FREMDRIFT_EXTRACT_MEMORY=%zu\n", cfg->extract_memory);
	printf("FREMDRIFT_LOG_LEVEL=%s\n", log_level_name(cfg->log_level));
	printf("FREMDRIFT_DASH_MIN_CELL=%u\n", cfg->dash_min_cell);
	printf("FREMDRIFT_DASH_NOISE_SD=%g\n", cfg->dash_noise_sd);
	printf("FREMDRIFT_DASH_NOISE_MAX=%u\n", cfg->dash_noise_max);
	printf("FREMDRIFT_DASH_SUM_POINTS=%g\n", cfg->dash_sum_points);
	printf("FREMDRIFT_DASH_SUM_HOURS=%g\n", cfg->dash_sum_hours);
	printf("FREMDRIFT_VALIDITY_MIN_N=%u\n", cfg->validity_min_n);
	if (cfg->validity_good)
		printf("FREMDRIFT_VALIDITY_GOOD=%s\n", cfg->validity_good);
	else
		printf("FREMDRIFT_VALIDITY_GOOD=  (the catalogue's exit statuses "
		       "towards work or education)\n");
	if (cfg->dash_sso_header) {
		printf("FREMDRIFT_DASH_SSO_HEADER=%s\n", cfg->dash_sso_header);
		printf("FREMDRIFT_DASH_SSO_FROM=%s\n", cfg->dash_sso_from);
		printf("FREMDRIFT_DASH_SSO_LOGOUT=%s\n",
		       cfg->dash_sso_logout ? cfg->dash_sso_logout : "");
	} else
		printf("FREMDRIFT_DASH_SSO_HEADER=  (off: leaders sign in with "
		       "a dashboard token)\n");
	printf("migrations in this binary: %d (latest %04d)\n",
	       fr_migrations_count,
	       fr_migrations_count ? fr_migrations[fr_migrations_count - 1].version
				   : 0);
	return EXIT_OK;
}
