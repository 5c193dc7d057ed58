/*
 * The subcommands main.c dispatches to, one file each in cli/.
 * Each takes the arguments after the subcommand name (argv[0] is the
 * subcommand) and the loaded configuration (borrowed), and returns the
 * process exit code: 0 success, 2 usage or fatal error, 3 where the command
 * says some input was rejected.
 */
#ifndef FREMDRIFT_CLI_H
#define FREMDRIFT_CLI_H

#include "fremdrift/config.h"

#include "fremdrift/err.h"

#define EXIT_OK FR_EXIT_OK
#define EXIT_FATAL FR_EXIT_FATAL
#define EXIT_REJECTED FR_EXIT_REJECTED

int cmd_serve(int argc, char **argv, const struct fr_config *cfg);
int cmd_ingest(int argc, char **argv, const struct fr_config *cfg);
int cmd_synth(int argc, char **argv, const struct fr_config *cfg);
int cmd_token(int argc, char **argv, const struct fr_config *cfg);
int cmd_measure(int argc, char **argv, const struct fr_config *cfg);
int cmd_extract(int argc, char **argv, const struct fr_config *cfg);
int cmd_access(int argc, char **argv, const struct fr_config *cfg);
int cmd_erase(int argc, char **argv, const struct fr_config *cfg);
int cmd_cpr_change(int argc, char **argv, const struct fr_config *cfg);
int cmd_migrate(int argc, char **argv, const struct fr_config *cfg);
int cmd_migrate_ids(int argc, char **argv, const struct fr_config *cfg);
int cmd_keygen(int argc, char **argv, const struct fr_config *cfg);
int cmd_key(int argc, char **argv, const struct fr_config *cfg);
int cmd_pseudonym(int argc, char **argv, const struct fr_config *cfg);
int cmd_invite(int argc, char **argv, const struct fr_config *cfg);
int cmd_config(int argc, char **argv, const struct fr_config *cfg);

/* 1 if argv holds -h or --help. */
int cli_wants_help(int argc, char **argv);

/*
 * Prints "fremdrift CMD: <message> (see `fremdrift CMD --help`)" on stderr
 * and returns EXIT_FATAL: a usage error names the argument and what it
 * must be.
 */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * The usage error for what getopt_long returned as c ('?' an unknown
 * option, ':' a missing value; the option string must start with ':').
 */
int cli_getopt_error(const char *cmd, int c, char **argv);

/* 0 if s is a whole number from lo to hi (stored in *out), else -1. */
int cli_whole(const char *s, long lo, long hi, long *out);

#endif
