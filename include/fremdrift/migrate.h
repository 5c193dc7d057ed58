/*
 * Schema migrations (sql/NNNN_name.sql), compiled into the binary.
 *
 * Each migration runs in its own transaction under an advisory lock and is
 * recorded in fremdrift.schema_migrations with the SHA-256 of its text. A
 * second run applies nothing. A database that records a migration this
 * binary does not know (a newer fremdrift migrated it), or whose recorded
 * text differs from the binary's, is refused.
 */
#ifndef FREMDRIFT_MIGRATE_H
#define FREMDRIFT_MIGRATE_H

#include "fremdrift/err.h"

struct migration {
	int version;
	const char *name;
	const char *sql;
};

/* Generated from sql/ by scripts/embed-sql.sh, in version order. */
extern const struct migration fr_migrations[];
extern const int fr_migrations_count;

/*
 * Applies every pending migration over the blocking connection conn (a
 * PGconn *, passed as void * so this header needs no libpq). Sets *applied
 * to how many were applied. Main thread; not for the event loop.
 */
int migrate_apply(void *conn, int *applied, struct fr_err *err);

/*
 * Checks without changing anything: 0 when the database has exactly the
 * binary's migrations, FR_ESTATE when some are pending (err says how many),
 * FR_EDB for an unknown or altered one.
 */
int migrate_check(void *conn, struct fr_err *err);

#endif
