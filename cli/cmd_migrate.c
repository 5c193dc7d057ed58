/* `fremdrift migrate`: apply sql/ migrations (blocking; not the loop). */
#include "cli.h"
#include "fremdrift/db.h"

#include "fremdrift/migrate.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

int cmd_migrate(int argc, char **argv, const struct fr_config *cfg)
{
	struct fr_err err;
	PGconn *conn;
	int applied = 0, check = 0, rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--check") == 0) {
			check = 1;
		} else if (cli_wants_help(2, (char *[]){argv[0], argv[i]})) {
			printf("usage: fremdrift migrate [--check]\n\n"
			       "Applies the migrations compiled into this binary "
			       "(from sql/) that the\ndatabase lacks, each in its "
			       "own transaction. A second run does nothing.\n"
			       "Refuses a database that has a migration this "
			       "binary does not know.\n\n"
			       "  --check   change nothing; exit 0 if up to date, "
			       "1 if migrations are\n            pending, 2 on "
			       "an error\n");
			return EXIT_OK;
		} else {
			fprintf(stderr, "fremdrift migrate: unknown option '%s' "
					"(see --help)\n",
				argv[i]);
			return EXIT_FATAL;
		}
	}
	conn = db_connect(cfg, "migrate");
	if (conn == NULL)
		return EXIT_FATAL;
	fr_err_clear(&err);
	if (check) {
		rc = migrate_check(conn, &err);
		PQfinish(conn);
		if (rc == 0) {
			printf("database is up to date (%d migrations)\n",
			       fr_migrations_count);
			return EXIT_OK;
		}
		fprintf(stderr, "fremdrift migrate: %s\n", err.msg);
		return rc == FR_ESTATE ? 1 : EXIT_FATAL;
	}
	rc = migrate_apply(conn, &applied, &err);
	PQfinish(conn);
	if (rc != 0) {
		fprintf(stderr, "fremdrift migrate: %s\n", err.msg);
		return EXIT_FATAL;
	}
	if (applied == 0)
		printf("database is up to date (%d migrations); nothing to "
		       "apply\n",
		       fr_migrations_count);
	else
		printf("applied %d migration(s); database is up to date (%d "
		       "migrations)\n",
		       applied, fr_migrations_count);
	return EXIT_OK;
}
