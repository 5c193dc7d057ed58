/*
 * Schema migrations (sql/NNNN_name.sql) and definition files
 * (sql/current/NN_name.sql), compiled into the binary (sql/README.md).
 *
 * Each migration runs in its own transaction under an advisory lock and is
 * recorded in fremdrift.schema_migrations with the SHA-256 of its text. A
 * second run applies nothing. A database that records a migration this
 * binary does not know (a newer fremdrift migrated it), or whose recorded
 * text differs from the binary's, is refused.
 *
 * The definition files hold the current definition of every view and
 * function. After the migrations, one transaction under the same lock
 * re-applies each file whose SHA-256 differs from the one recorded in
 * fremdrift.schema_definitions (or every file, when a migration was just
 * applied: a migration may have dropped what they define), in file name
 * order, and records it. A recorded file this binary does not know is
 * refused, as an unknown migration is.
 */
#ifndef FREMDRIFT_MIGRATE_H
#define FREMDRIFT_MIGRATE_H

#include "fremdrift/err.h"

struct migration {
	int version;
	const char *name;
	const char *sql;
};

struct definition {
	const char *name; /* file name without .sql, e.g. "20_report" */
	const char *sql;
};

/* Generated from sql/ by scripts/embed-sql.sh, in version order. */
extern const struct migration fr_migrations[];
extern const int fr_migrations_count;

/* Generated from sql/current/ by scripts/embed-sql.sh, in name order. */
extern const struct definition fr_definitions[];
extern const int fr_definitions_count;

/*
 * Applies every pending migration, then every pending definition file,
 * over the blocking connection conn (a PGconn *, passed as void * so this
 * header needs no libpq). Sets *applied to how many migrations and
 * definition files were applied (0: the database was up to date). Main
 * thread; not for the event loop.
 */
int migrate_apply(void *conn, int *applied, struct fr_err *err);

/*
 * Checks without changing anything: 0 when the database has exactly the
 * binary's migrations and definition files, FR_ESTATE when some are
 * pending (err says how many), FR_EDB for an unknown or altered migration
 * or an unknown definition file.
 */
int migrate_check(void *conn, struct fr_err *err);

/*
 * `fremdrift migrate [--check]`: connects to cfg's database, applies (or
 * with check_only, only checks), and prints the outcome. Returns
 * FR_EXIT_OK, 1 (check_only: something is pending) or FR_EXIT_FATAL.
 */
struct fr_config;
int migrate_run(const struct fr_config *cfg, int check_only);

#endif
