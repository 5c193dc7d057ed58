#include "fremdrift/config.h"
#include "fremdrift/buf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <strings.h>
#include <unistd.h>

int fr_parse_size(const char *s, size_t *out)
{
	static const struct {
		const char *unit;
		unsigned long long mul;
	} units[] = {{"", 1},
		     {"B", 1},
		     {"KiB", 1ULL << 10},
		     {"MiB", 1ULL << 20},
		     {"GiB", 1ULL << 30},
		     {"kB", 1000ULL},
		     {"KB", 1000ULL},
		     {"MB", 1000000ULL},
		     {"GB", 1000000000ULL}};
	unsigned long long v;
	char *end;

	if (s == NULL || !isdigit((unsigned char)*s))
		return FR_EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return FR_EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) == 0) {
			if (v > SIZE_MAX / units[i].mul)
				return FR_EINVAL;
			*out = (size_t)(v * units[i].mul);
			return 0;
		}
	}
	return FR_EINVAL;
}

int fr_parse_duration_ms(const char *s, unsigned *out)
{
	unsigned long long v, mul;
	char *end;

	if (s == NULL || !isdigit((unsigned char)*s))
		return FR_EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return FR_EINVAL;
	if (*end == '\0' || strcmp(end, "ms") == 0)
		mul = 1;
	else if (strcmp(end, "s") == 0)
		mul = 1000;
	else if (strcmp(end, "m") == 0)
		mul = 60000;
	else
		return FR_EINVAL;
	if (v > UINT_MAX / mul)
		return FR_EINVAL;
	*out = (unsigned)(v * mul);
	return 0;
}

int fr_parse_listen(const char *s, char **host, int *port)
{
	const char *colon, *hs, *he;
	long p;
	char *end;

	if (s == NULL || *s == '\0')
		return FR_EINVAL;
	if (*s == '[') {
		he = strchr(s, ']');
		if (he == NULL || he[1] != ':')
			return FR_EINVAL;
		hs = s + 1;
		colon = he + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return FR_EINVAL;
		hs = s;
		he = colon;
	}
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == colon + 1 || p < 0 ||
	    p > 65535)
		return FR_EINVAL;
	if (he == hs) {
		*host = fr_xstrdup("127.0.0.1");
	} else {
		*host = fr_xmalloc((size_t)(he - hs) + 1);
		memcpy(*host, hs, (size_t)(he - hs));
		(*host)[he - hs] = '\0';
	}
	*port = (int)p;
	return 0;
}

static const char *env_getenv(const char *name, void *data)
{
	(void)data;
	return getenv(name);
}

int fr_config_load(struct fr_config *cfg, struct fr_err *err)
{
	return fr_config_load_from(cfg, env_getenv, NULL, err);
}

/* Joins dir and name, making dir absolute against the working directory. */
static char *abs_join(const char *dir, const char *name)
{
	struct fr_buf b;
	char cwd[4096];

	fr_buf_init(&b, 8192);
	if (dir[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL)
		fr_buf_printf(&b, "%s/", cwd);
	fr_buf_printf(&b, "%s%s%s", dir, name[0] ? "/" : "", name);
	return b.data;
}

/*
 * Where var/ is when FREMDRIFT_VAR is not set: beside the source tree the
 * running binary was built in (a folder above it holding the Makefile and
 * sql/), so a developer's command finds the embedded database from any
 * folder; otherwise /var/lib/fremdrift, as the package installs it.
 * Always absolute (caller frees).
 */
static char *default_var(void)
{
	char exe[4096], probe[4200];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	for (int up = 0; n > 0 && up < 5; up++) {
		char *slash;

		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) == NULL || slash == exe)
			break;
		*slash = '\0';
		n = slash - exe;
		snprintf(probe, sizeof(probe), "%s/sql/0001_foundation.sql", exe);
		if (access(probe, R_OK) == 0) {
			snprintf(probe, sizeof(probe), "%s/Makefile", exe);
			if (access(probe, R_OK) == 0)
				return abs_join(exe, "var");
		}
	}
	return fr_xstrdup("/var/lib/fremdrift");
}

/* A whole number from lo to hi in variable name, if set. */
static int count_var(const char *(*get)(const char *name, void *data),
		     void *data, const char *name, long lo, long hi,
		     unsigned *out, struct fr_err *err)
{
	const char *v = get(name, data);
	char *end;
	long n;

	if (v == NULL || *v == '\0')
		return 0;
	n = strtol(v, &end, 10);
	if (*end != '\0' || n < lo || n > hi)
		return fr_err_set(err, FR_ECONFIG, name,
				  "expected a whole number from %ld to %ld", lo,
				  hi);
	*out = (unsigned)n;
	return 0;
}

/* A decimal number from lo to hi in variable name, if set. */
static int real_var(const char *(*get)(const char *name, void *data),
		    void *data, const char *name, double lo, double hi,
		    double *out, struct fr_err *err)
{
	const char *v = get(name, data);
	char *end;
	double x;

	if (v == NULL || *v == '\0')
		return 0;
	x = strtod(v, &end);
	if (end == v || *end != '\0' || !(x >= lo && x <= hi))
		return fr_err_set(err, FR_ECONFIG, name,
				  "expected a number from %g to %g (a point, "
				  "not a comma, before decimals)", lo, hi);
	*out = x;
	return 0;
}

/* The dashboard's protection parameters. */
static int dash_vars(struct fr_config *cfg,
		     const char *(*get)(const char *name, void *data),
		     void *data, struct fr_err *err)
{
	int rc = count_var(get, data, "FREMDRIFT_DASH_MIN_CELL", 1, 100,
			   &cfg->dash_min_cell, err);

	if (rc == 0)
		rc = count_var(get, data, "FREMDRIFT_DASH_NOISE_MAX", 1, 50,
			       &cfg->dash_noise_max, err);
	if (rc == 0)
		rc = real_var(get, data, "FREMDRIFT_DASH_NOISE_SD", 0.5, 20,
			      &cfg->dash_noise_sd, err);
	if (rc == 0)
		rc = real_var(get, data, "FREMDRIFT_DASH_SUM_POINTS", 0.1, 100,
			      &cfg->dash_sum_points, err);
	if (rc == 0)
		rc = real_var(get, data, "FREMDRIFT_DASH_SUM_HOURS", 0.1, 37,
			      &cfg->dash_sum_hours, err);
	return rc;
}

/* `measure validity` (docs/validity.md): the fewest courses a figure
 * may rest on, and the exit statuses that count as good (catalogue codes,
 * separated by commas; checked against the catalogue when it runs). */
static int validity_vars(struct fr_config *cfg,
			 const char *(*get)(const char *name, void *data),
			 void *data, struct fr_err *err)
{
	const char *good = get("FREMDRIFT_VALIDITY_GOOD", data);
	int rc = count_var(get, data, "FREMDRIFT_VALIDITY_MIN_N", 20, 10000000,
			   &cfg->validity_min_n, err);

	if (rc != 0 || good == NULL || *good == '\0')
		return rc;
	for (const char *p = good; *p;) {
		size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_");

		if (n == 0 || n > 40 || !(*p >= 'a' && *p <= 'z') ||
		    (p[n] != ',' && p[n] != '\0') || (p[n] == ',' && !p[n + 1]))
			return fr_err_set(err, FR_ECONFIG,
					  "FREMDRIFT_VALIDITY_GOOD",
					  "expected exit status codes separated "
					  "by commas, such as employment,"
					  "education,flex_job");
		p += n + (p[n] == ',');
	}
	cfg->validity_good = fr_xstrdup(good);
	return 0;
}

/* The leadership page behind a single sign-on proxy: a header name, the
 * proxy's address (an IP literal; 127.0.0.1 by default) and an optional
 * sign-out URL. */
static int sso_vars(struct fr_config *cfg,
		    const char *(*get)(const char *name, void *data),
		    void *data, struct fr_err *err)
{
	const char *h = get("FREMDRIFT_DASH_SSO_HEADER", data);
	const char *from = get("FREMDRIFT_DASH_SSO_FROM", data);
	const char *out = get("FREMDRIFT_DASH_SSO_LOGOUT", data);
	unsigned char addr[16];
	size_t n;

	if (h == NULL || *h == '\0')
		return 0;
	n = strlen(h);
	if (n > 64 || strspn(h, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrst"
				"uvwxyz0123456789-") != n)
		return fr_err_set(err, FR_ECONFIG, "FREMDRIFT_DASH_SSO_HEADER",
				  "expected a header name such as "
				  "X-Remote-User");
	from = from && *from ? from : "127.0.0.1";
	if (inet_pton(AF_INET, from, addr) != 1 &&
	    inet_pton(AF_INET6, from, addr) != 1)
		return fr_err_set(err, FR_ECONFIG, "FREMDRIFT_DASH_SSO_FROM",
				  "expected the proxy's IP address, such as "
				  "127.0.0.1");
	if (out && *out &&
	    ((strncmp(out, "https://", 8) != 0 && out[0] != '/') ||
	     strcspn(out, " \t\r\n\"<>\\") != strlen(out) ||
	     strlen(out) > 200))
		return fr_err_set(err, FR_ECONFIG, "FREMDRIFT_DASH_SSO_LOGOUT",
				  "expected an https:// URL or a path, at most "
				  "200 characters");
	cfg->dash_sso_header = fr_xstrdup(h);
	cfg->dash_sso_from = fr_xstrdup(from);
	cfg->dash_sso_logout = out && *out ? fr_xstrdup(out) : NULL;
	return 0;
}

/* FREMDRIFT_PUBLIC_URL: where links point (docs/links.md); by default
 * the server's own address, http://HOST:PORT. */
static int public_url_var(struct fr_config *cfg,
			  const char *(*get)(const char *name, void *data),
			  void *data, struct fr_err *err)
{
	const char *v = get("FREMDRIFT_PUBLIC_URL", data);
	struct fr_buf b;
	size_t n;

	if (v && *v) {
		n = strcspn(v, " \t\r\n\"<>\\?#");
		if ((strncmp(v, "http://", 7) != 0 &&
		     strncmp(v, "https://", 8) != 0) ||
		    v[n] != '\0' || n > 200 || strstr(v, "://")[3] == '\0')
			return fr_err_set(
				err, FR_ECONFIG, "FREMDRIFT_PUBLIC_URL",
				"expected http(s)://host[:port][/path] without "
				"query, at most 200 characters");
		cfg->public_url = fr_xstrdup(v);
		return 0;
	}
	fr_buf_init(&b, 512);
	fr_buf_printf(&b, strchr(cfg->http_host, ':') ? "http://[%s]:%d"
						       : "http://%s:%d",
		      cfg->http_host, cfg->http_port);
	cfg->public_url = b.data;
	cfg->public_url_default = 1;
	return 0;
}

int fr_config_load_from(struct fr_config *cfg,
			const char *(*get)(const char *name, void *data),
			void *data, struct fr_err *err)
{
	const char *v;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	cfg->http_max_body = 8u << 20;
	cfg->http_max_header = 16u << 10;
	cfg->http_idle_timeout_ms = 15000;
	cfg->http_request_timeout_ms = 30000;
	cfg->http_max_connections = 1024;
	cfg->http_max_per_client = 64;
	cfg->http_max_bodies_total = 64u << 20;
	cfg->db_timeout_ms = 5000;
	cfg->db_record_connections = 1;
	cfg->log_level = LOG_INFO;
	cfg->dash_min_cell = 5;
	cfg->dash_noise_sd = 3;
	cfg->dash_noise_max = 10;
	cfg->dash_sum_points = 10;
	cfg->dash_sum_hours = 4;
	cfg->validity_min_n = 100;
	cfg->extract_memory = (size_t)256 << 20;

	v = get("FREMDRIFT_VAR", data);
	cfg->var_dir = v && *v ? abs_join(v, "") : default_var();

	v = get("DATABASE_URL", data);
	if (v != NULL && *v != '\0') {
		cfg->database_url = fr_xstrdup(v);
	} else {
		/* The embedded cluster listens only on a socket in var/pg. */
		struct fr_buf b;

		fr_buf_init(&b, 8192);
		fr_buf_printf(&b, "host=%s/pg user=fremdrift dbname=fremdrift",
			      cfg->var_dir);
		cfg->database_url = b.data;
		cfg->database_embedded = 1;
	}

	v = get("FREMDRIFT_KEY_FILE", data);
	cfg->key_file = v && *v ? fr_xstrdup(v)
				: abs_join(cfg->var_dir, "fremdrift.key");

	v = get("FREMDRIFT_HTTP", data);
	if (fr_parse_listen(v && *v ? v : "127.0.0.1:8080", &cfg->http_host,
			    &cfg->http_port) != 0) {
		rc = fr_err_set(err, FR_ECONFIG, "FREMDRIFT_HTTP",
				"expected HOST:PORT, for example 127.0.0.1:8080");
		goto fail;
	}

#define SIZE_VAR(name, field)                                                  \
	v = get(name, data);                                                   \
	if (v && *v && (fr_parse_size(v, &cfg->field) != 0 || cfg->field == 0)) { \
		rc = fr_err_set(err, FR_ECONFIG, name,                         \
				"expected a size such as 65536, 64KiB or 8MiB"); \
		goto fail;                                                     \
	}
#define DURATION_VAR(name, field)                                              \
	v = get(name, data);                                                   \
	if (v && *v &&                                                         \
	    (fr_parse_duration_ms(v, &cfg->field) != 0 || cfg->field == 0)) {  \
		rc = fr_err_set(err, FR_ECONFIG, name,                         \
				"expected a duration such as 500ms, 15s or 2m"); \
		goto fail;                                                     \
	}

	SIZE_VAR("FREMDRIFT_HTTP_MAX_BODY", http_max_body)
	SIZE_VAR("FREMDRIFT_HTTP_MAX_HEADER", http_max_header)
	SIZE_VAR("FREMDRIFT_HTTP_MAX_BODIES_TOTAL", http_max_bodies_total)
	SIZE_VAR("FREMDRIFT_EXTRACT_MEMORY", extract_memory)
	DURATION_VAR("FREMDRIFT_HTTP_IDLE_TIMEOUT", http_idle_timeout_ms)
	DURATION_VAR("FREMDRIFT_HTTP_REQUEST_TIMEOUT", http_request_timeout_ms)
	DURATION_VAR("FREMDRIFT_DB_TIMEOUT", db_timeout_ms)
#undef SIZE_VAR
#undef DURATION_VAR

	rc = count_var(get, data, "FREMDRIFT_HTTP_MAX_CONNECTIONS", 1, 100000,
		       &cfg->http_max_connections, err);
	if (rc == 0)
		rc = count_var(get, data, "FREMDRIFT_HTTP_MAX_PER_CLIENT", 0,
			       100000, &cfg->http_max_per_client, err);
	if (rc == 0)
		rc = count_var(get, data, "FREMDRIFT_DB_RECORD_CONNECTIONS", 1, 2,
			       &cfg->db_record_connections, err);
	if (rc == 0)
		rc = dash_vars(cfg, get, data, err);
	if (rc == 0)
		rc = validity_vars(cfg, get, data, err);
	if (rc != 0)
		goto fail;

	rc = public_url_var(cfg, get, data, err);
	if (rc == 0)
		rc = sso_vars(cfg, get, data, err);
	if (rc != 0)
		goto fail;

	v = get("FREMDRIFT_LOG_LEVEL", data);
	if (v && *v && log_level_parse(v, &cfg->log_level) != 0) {
		rc = fr_err_set(err, FR_ECONFIG, "FREMDRIFT_LOG_LEVEL",
				"expected debug, info, notice, warning or error");
		goto fail;
	}
	return 0;

fail:
	fr_config_free(cfg);
	return rc;
}

void fr_config_free(struct fr_config *cfg)
{
	free(cfg->database_url);
	free(cfg->var_dir);
	free(cfg->key_file);
	free(cfg->http_host);
	free(cfg->public_url);
	free(cfg->dash_sso_header);
	free(cfg->dash_sso_from);
	free(cfg->dash_sso_logout);
	free(cfg->validity_good);
	memset(cfg, 0, sizeof(*cfg));
}
