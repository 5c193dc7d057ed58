/*
 * Logging: one logfmt line per event on stderr.
 *
 *   ts=2026-11-22T10:01:02.345Z level=info module=http msg="listening" ...
 *
 * The formatted message is quoted and escaped, so a line is always valid
 * logfmt whatever the message holds. Structured fields may follow the message
 * through log_writekv's key=value text, which the caller builds from trusted
 * values only.
 *
 * Privacy: never pass a CPR number, a key, a token or any other raw input
 * value to these functions. Log counts, codes and positions instead.
 *
 * Thread safety: every function may be called from any thread; each line is
 * written with a single write(2) so lines from threads do not interleave.
 */
#ifndef FREMDRIFT_LOG_H
#define FREMDRIFT_LOG_H

enum log_level {
	LOG_DEBUG = 0,
	LOG_INFO = 1,
	LOG_NOTICE = 2,
	LOG_WARNING = 3,
	LOG_ERROR = 4
};

/* Lines below level are dropped. The default is LOG_INFO. */
void log_set_level(enum log_level level);

/* Parses "debug", "info", "notice", "warning" or "error". 0 or FR_EINVAL. */
int log_level_parse(const char *name, enum log_level *out);
const char *log_level_name(enum log_level level);

/*
 * Writes one line: module names the subsystem ("http", "pg", "ingest"...);
 * fmt is printf-checked. A line longer than 2 KiB is truncated.
 */
void log_write(enum log_level level, const char *module, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * As log_write, with extra logfmt fields appended verbatim after the message
 * (for example "status=200 ms=3"). kv must already be valid logfmt.
 */
void log_writekv(enum log_level level, const char *module, const char *kv,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Sends lines to fd instead of stderr (tests use a pipe or a file). Not
 * thread-safe against concurrent log_write; call it at start-up.
 */
void log_set_fd(int fd);

#define log_debug(mod, ...) log_write(LOG_DEBUG, mod, __VA_ARGS__)
#define log_info(mod, ...) log_write(LOG_INFO, mod, __VA_ARGS__)
#define log_notice(mod, ...) log_write(LOG_NOTICE, mod, __VA_ARGS__)
#define log_warning(mod, ...) log_write(LOG_WARNING, mod, __VA_ARGS__)
#define log_error(mod, ...) log_write(LOG_ERROR, mod, __VA_ARGS__)

#endif
