/*
 * Errors shared by every module.
 *
 * Functions return int: 0 on success, a negative FR_E* code or -errno on
 * failure. Detail meant for people goes into a caller-provided struct fr_err,
 * which also says where in the input the problem was (line, column, field),
 * so an ingest rejection can name exactly what was wrong.
 *
 * Privacy: a message put into struct fr_err may end up in a log line, an HTTP
 * answer or a rejects file. It must never contain a CPR number or any other
 * raw input value; describe the problem, never quote the data.
 */
#ifndef FREMDRIFT_ERR_H
#define FREMDRIFT_ERR_H

#include <stddef.h>

enum fr_code {
	FR_OK = 0,
	FR_EINVAL = -10001,  /* an argument or input value is not acceptable */
	FR_ETOOBIG = -10002, /* input exceeds a configured limit */
	FR_EPARSE = -10003,  /* input could not be parsed */
	FR_EIO = -10004,     /* a read or write failed */
	FR_EDB = -10005,     /* the database failed or is unreachable */
	FR_ECONFIG = -10006, /* configuration is missing or wrong */
	FR_EKEY = -10007,    /* the pseudonym key file is missing or unsafe */
	FR_ECRYPTO = -10008, /* the crypto library failed or misbehaved */
	FR_ECPR = -10009,    /* a CPR number is not valid */
	FR_ESTATE = -10010,  /* the operation is not possible in this state */
	FR_EUNKNOWN = -10011 /* something the caller asked about does not exist */
};

/* Process exit codes of every command: success; usage or fatal error; some
 * input rejected (the rest processed). Modules that run a whole command
 * return one of these; cli/ only passes it on. */
#define FR_EXIT_OK 0
#define FR_EXIT_FATAL 2
#define FR_EXIT_REJECTED 3

#define FR_ERR_MSG_MAX 256
#define FR_ERR_FIELD_MAX 64

struct fr_err {
	int code;                     /* an FR_E* code or -errno; 0 when clear */
	int reason;                   /* a module-specific reason code, or 0 */
	long line;                    /* 1-based input line, or 0 if unknown */
	long column;                  /* 1-based column (CSV), or 0 */
	char field[FR_ERR_FIELD_MAX]; /* the input field concerned, or "" */
	char msg[FR_ERR_MSG_MAX];     /* a sentence for people; never raw data */
};

/* Resets err to "no error". err may be NULL. Any thread. */
void fr_err_clear(struct fr_err *err);

/*
 * Records an error in err (which may be NULL) and returns code, so callers
 * can write `return fr_err_set(err, FR_EINVAL, "cpr", "...")`. field may be
 * NULL. The message is truncated to fit. Any thread.
 */
int fr_err_set(struct fr_err *err, int code, const char *field,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A short static description of code (FR_E* or -errno). Any thread. */
const char *fr_strerror(int code);

#endif
