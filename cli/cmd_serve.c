/* `fremdrift serve`: argv to server/serve.c. */
#include "cli.h"

#include "fremdrift/serve.h"

#include <stdio.h>

int cmd_serve(int argc, char **argv, const struct fr_config *cfg)
{
	if (cli_wants_help(argc, argv)) {
		printf("usage: fremdrift serve\n\n"
		       "Runs the HTTP server (FREMDRIFT_HTTP, default "
		       "127.0.0.1:8080) and the ingest\npipeline until SIGINT "
		       "or SIGTERM. Needs the key file (FREMDRIFT_KEY_FILE)\n"
		       "and a migrated database (DATABASE_URL or the embedded "
		       "cluster). Endpoints:\n"
		       "  GET /health            200 {\"status\":\"ok\",\"database\":"
		       "\"ok\"}, or 503 when the\n"
		       "                         database is unreachable\n"
		       "  POST /api/v1/records   NDJSON or a JSON array of "
		       "records, with an ingest\n"
		       "                         token (docs/formats.md)\n"
		       "  GET /api/v1/dashboard/<view>?period=|from=&to=&"
		       "department=&target_group=\n"
		       "                         protected figures of fixed "
		       "quarters and years, for a\n"
		       "                         dashboard token "
		       "(docs/dashboard.md)\n");
		return EXIT_OK;
	}
	if (argc > 1)
		return cli_usage_error("serve", "unexpected '%s': serve takes no "
						"arguments", argv[1]);
	return serve_run(cfg);
}
