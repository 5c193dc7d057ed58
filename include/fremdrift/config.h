/*
 * Configuration from the environment (README, Configuration). Every variable is listed in
 * the README; `fremdrift config` prints the effective values, never a secret.
 *
 * Ownership: the strings in struct fr_config are owned by it and freed by
 * fr_config_free. Loaded once at start-up on the main thread.
 */
#ifndef FREMDRIFT_CONFIG_H
#define FREMDRIFT_CONFIG_H

#include <stddef.h>

#include "fremdrift/err.h"
#include "fremdrift/log.h"

struct fr_config {
	char *database_url;   /* DATABASE_URL, or the embedded cluster's */
	int database_embedded; /* 1 when database_url was derived from var_dir */
	char *var_dir;        /* FREMDRIFT_VAR: embedded cluster, default key */
	char *key_file;       /* FREMDRIFT_KEY_FILE */
	char *http_host;      /* from FREMDRIFT_HTTP, host part */
	int http_port;        /* from FREMDRIFT_HTTP, port part */
	/* FREMDRIFT_PUBLIC_URL: where links point; by default
	 * http://<http_host>:<http_port> (public_url_default = 1). */
	char *public_url;
	int public_url_default;
	size_t http_max_body;         /* FREMDRIFT_HTTP_MAX_BODY */
	size_t http_max_header;       /* FREMDRIFT_HTTP_MAX_HEADER */
	unsigned http_idle_timeout_ms;    /* FREMDRIFT_HTTP_IDLE_TIMEOUT */
	unsigned http_request_timeout_ms; /* FREMDRIFT_HTTP_REQUEST_TIMEOUT */
	unsigned http_max_connections;    /* FREMDRIFT_HTTP_MAX_CONNECTIONS */
	unsigned http_max_per_client;     /* FREMDRIFT_HTTP_MAX_PER_CLIENT */
	size_t http_max_bodies_total;     /* FREMDRIFT_HTTP_MAX_BODIES_TOTAL */
	/* Rows of one extract file held in memory before they are shuffled
	 * through temporary files beside it (anonymize/extract_rows.c). */
	size_t extract_memory;            /* FREMDRIFT_EXTRACT_MEMORY */
	unsigned db_timeout_ms;           /* FREMDRIFT_DB_TIMEOUT */
	unsigned db_record_connections;   /* FREMDRIFT_DB_RECORD_CONNECTIONS */
	enum log_level log_level;         /* FREMDRIFT_LOG_LEVEL */
	/* The dashboard's protection (docs/dashboard.md), used by refresh. */
	unsigned dash_min_cell;           /* FREMDRIFT_DASH_MIN_CELL */
	double dash_noise_sd;             /* FREMDRIFT_DASH_NOISE_SD */
	unsigned dash_noise_max;          /* FREMDRIFT_DASH_NOISE_MAX */
	double dash_sum_points;           /* FREMDRIFT_DASH_SUM_POINTS */
	double dash_sum_hours;            /* FREMDRIFT_DASH_SUM_HOURS */
	/* `measure validity` (docs/validity.md): no figure from fewer
	 * courses; the exit statuses counted as good, comma-separated
	 * catalogue codes (NULL: the catalogue's towards-work ones). */
	unsigned validity_min_n;          /* FREMDRIFT_VALIDITY_MIN_N */
	char *validity_good;              /* FREMDRIFT_VALIDITY_GOOD */
	/* The leadership page behind the provider's single sign-on
	 * (docs/dashboard.md, "Single sign-on"): the header a proxy sets
	 * for a signed-in leader (NULL: off), the one address that proxy
	 * connects from, and where "Log ud" goes (NULL: no such link). */
	char *dash_sso_header;            /* FREMDRIFT_DASH_SSO_HEADER */
	char *dash_sso_from;              /* FREMDRIFT_DASH_SSO_FROM */
	char *dash_sso_logout;            /* FREMDRIFT_DASH_SSO_LOGOUT */
};

/*
 * Fills cfg from the process environment. On a bad value returns
 * FR_ECONFIG with err->field naming the variable and err->msg saying why;
 * cfg then holds nothing that needs freeing.
 */
int fr_config_load(struct fr_config *cfg, struct fr_err *err);

/*
 * As fr_config_load, but reading variables through getenv_fn (tests pass a
 * table). getenv_fn returns NULL for unset variables.
 */
int fr_config_load_from(struct fr_config *cfg,
			const char *(*getenv_fn)(const char *name, void *data),
			void *data, struct fr_err *err);

void fr_config_free(struct fr_config *cfg);

/* Parses "512", "64KiB", "8MiB", "1GiB" (also kB/MB/GB as powers of 1000). */
int fr_parse_size(const char *s, size_t *out);

/* Parses "250ms", "15s", "2m", or plain milliseconds. */
int fr_parse_duration_ms(const char *s, unsigned *out);

/* Parses "HOST:PORT", "[V6]:PORT" or ":PORT" (host 127.0.0.1). */
int fr_parse_listen(const char *s, char **host, int *port);

#endif
