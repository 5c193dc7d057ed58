#include "harness.h"

#include "fremdrift/keyfile.h"
#include "fremdrift/pseudonym.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char *need_env(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0') {
		fprintf(stderr, "%s is not set: run the integration tests with "
				"`make test`\n",
			name);
		exit(2);
	}
	return v;
}

const char *h_bin(void) { return need_env("FREMDRIFT_BIN"); }

const char *h_tmpdir(void)
{
	static char dir[128];

	if (dir[0] == '\0') {
		const char *base = getenv("FREMDRIFT_TEST_TMP");

		snprintf(dir, sizeof(dir), "%s/fremdrift-it.XXXXXX",
			 base && *base ? base : "/tmp");
		if (mkdtemp(dir) == NULL)
			abort();
	}
	return dir;
}

long long h_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void h_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int h_await_count(PGconn *c, const char *count_sql)
{
	int n = 0;

	for (int i = 0; i < 600 && n == 0; i++) {
		const char *v = h_scalar(c, count_sql);

		n = v ? atoi(v) : 0;
		if (n == 0)
			h_sleep_ms(100);
	}
	return n;
}

PGconn *h_db(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("cannot connect to %s: %s", conninfo,
			 PQerrorMessage(c));
	return c;
}

const char *h_scalar(PGconn *c, const char *sql)
{
	static char value[4096];
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);

	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		fprintf(stderr, "query failed: %s: %s", sql,
			PQresultErrorMessage(r));
		PQclear(r);
		return NULL;
	}
	if (st == PGRES_COMMAND_OK || PQntuples(r) == 0) {
		PQclear(r);
		return "";
	}
	snprintf(value, sizeof(value), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return value;
}

double h_num(PGconn *c, const char *sql)
{
	const char *v = h_scalar(c, sql);

	if (v == NULL || *v == '\0')
		fail_msg("no value for: %s", sql);
	return atof(v);
}

struct h_result h_cmd(const char *const *env, const char *a, const char *b,
		      const char *input)
{
	const char *args[] = {a, b, NULL};

	return h_run(args, env, input, input ? strlen(input) : 0);
}

const char *h_fresh_db(const char *name)
{
	static char conninfo[512];
	const char *dir = need_env("FREMDRIFT_TEST_PGDIR");
	char admin[512], sql[256];
	PGconn *c;

	snprintf(admin, sizeof(admin), "host=%s user=fremdrift dbname=fremdrift",
		 dir);
	c = h_db(admin);
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)",
		 name);
	assert_non_null(h_scalar(c, sql));
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	assert_non_null(h_scalar(c, sql));
	PQfinish(c);
	snprintf(conninfo, sizeof(conninfo), "host=%s user=fremdrift dbname=%s",
		 dir, name);
	return conninfo;
}

int h_site_new(struct h_site *s, const char *name)
{
	const char *kargs[] = {"keygen", "--out", s->key_path, NULL};
	const char *margs[] = {"migrate", NULL};
	const char *env[] = {s->env_db, s->env_key, NULL};
	struct h_result r;
	int rc = 0;

	snprintf(s->db, sizeof(s->db), "%s", h_fresh_db(name));
	snprintf(s->env_db, sizeof(s->env_db), "DATABASE_URL=%s", s->db);
	snprintf(s->key_path, sizeof(s->key_path), "%s/%s.key", h_tmpdir(),
		 name);
	snprintf(s->env_key, sizeof(s->env_key), "FREMDRIFT_KEY_FILE=%s",
		 s->key_path);
	unlink(s->key_path);
	for (int i = 0; i < 2 && rc == 0; i++) {
		r = h_run(i == 0 ? kargs : margs, env, NULL, 0);
		if (r.status != 0) {
			fprintf(stderr, "h_site_new(%s): %s", name, r.err);
			rc = -1;
		}
		h_result_free(&r);
	}
	return rc;
}

int h_token(const char *const *env, const char *source, const char *role,
	    char out[80])
{
	const char *args[] = {"token", "create", "--source", source,
			      "--role", role, NULL};
	struct h_result r = h_run(args, env, NULL, 0);
	int rc = r.status == 0 ? 0 : -1;

	if (rc != 0)
		fprintf(stderr, "h_token(%s, %s): %s", source, role, r.err);
	snprintf(out, 80, "%.*s", (int)strcspn(r.out, "\n"), r.out);
	h_result_free(&r);
	return rc;
}

int h_listen_env(char *env_http, char *log_path, const char *name)
{
	int port = h_free_port();

	snprintf(env_http, 64, "FREMDRIFT_HTTP=127.0.0.1:%d", port);
	snprintf(log_path, 256, "%s/%s.log", h_tmpdir(), name);
	return port;
}

pid_t h_site_serve(struct h_site *site, const char *name,
		   const char *const *env, char *env_http, char *log_path,
		   const char *source, char token[80], int *port)
{
	if (h_site_new(site, name) != 0)
		return -1;
	*port = h_listen_env(env_http, log_path, name);
	if (h_token(env, source, "ingest", token) != 0)
		return -1;
	return h_serve(env, log_path, *port);
}

int h_stop(pid_t pid, int ms)
{
	if (pid <= 0)
		return -1;
	kill(pid, SIGTERM);
	return h_wait(pid, ms) == 0 ? 0 : -1;
}

/* The login the servers of the tests connect as: a member of
 * fremdrift_service (sql/0014_service_role.sql), as in production, so
 * every test of a server also proves its grants are enough. Made once
 * per cluster; the role fremdrift_service exists once any database of it
 * has been migrated. */
static void service_login(void)
{
	static int done;
	char admin[512];
	PGconn *c;

	if (done)
		return;
	snprintf(admin, sizeof(admin), "host=%s user=fremdrift dbname=fremdrift",
		 need_env("FREMDRIFT_TEST_PGDIR"));
	c = h_db(admin);
	assert_non_null(h_scalar(
		c, "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE "
		   "rolname = 'fremdrift_app') THEN CREATE ROLE fremdrift_app "
		   "LOGIN; END IF; END $$; GRANT fremdrift_service TO "
		   "fremdrift_app; SELECT 1"));
	PQfinish(c);
	done = 1;
}

/* env with DATABASE_URL's user=fremdrift (the owner) made
 * user=fremdrift_app; out holds up to 31 entries, buf the new string. */
static void as_service(const char *const *env, const char **out,
		       char *buf, size_t size)
{
	int n = 0;

	for (; env && env[n] && n < 31; n++) {
		const char *u = strstr(env[n], " user=fremdrift ");

		out[n] = env[n];
		if (strncmp(env[n], "DATABASE_URL=", 13) != 0 || u == NULL)
			continue;
		snprintf(buf, size, "%.*s user=fremdrift_app %s",
			 (int)(u - env[n]), env[n], u + 16);
		out[n] = buf;
	}
	out[n] = NULL;
}

pid_t h_serve(const char *const *env, const char *log_path, int port)
{
	const char *args[] = {"serve", NULL};
	const char *senv[32];
	char url[1024];
	pid_t pid;

	service_login();
	as_service(env, senv, url, sizeof(url));
	pid = h_spawn(args, senv, log_path);

	if (pid <= 0)
		return -1;
	if (h_wait_status(port, "/health", 200, 10000) != 200) {
		kill(pid, SIGKILL);
		h_wait(pid, 5000);
		return -1;
	}
	return pid;
}

char *h_read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return strdup("");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	buf[fread(buf, 1, (size_t)n, f)] = '\0';
	fclose(f);
	return buf;
}

int h_synth_cpr(const char *path, long i, char out[12])
{
	char *text = h_read_file(path), needle[80];
	const char *p;

	/* Every citizen's first record is its event 0, which names the CPR. */
	snprintf(needle, sizeof(needle),
		 "-c%ld-e0\",\"source\":\"synth\",\"cpr\":\"", i);
	p = strstr(text, needle);
	out[0] = '\0';
	if (p != NULL)
		snprintf(out, 12, "%.11s", p + strlen(needle));
	free(text);
	return strlen(out) == 11 ? 0 : -1;
}

/* environ plus overrides, as a new NULL-terminated array. */
static char **make_env(const char *const *extra)
{
	size_t n = 0, m = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	while (extra && extra[m])
		m++;
	env = calloc(n + m + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t len = eq ? (size_t)(eq - environ[i]) + 1 : 0;
		int overridden = 0;

		for (size_t j = 0; j < m && len; j++)
			if (strncmp(extra[j], environ[i], len) == 0)
				overridden = 1;
		if (!overridden)
			env[k++] = environ[i];
	}
	for (size_t j = 0; j < m; j++)
		env[k++] = (char *)extra[j];
	env[k] = NULL;
	return env;
}

static char **make_argv(const char *const *args)
{
	size_t n = 0;
	char **argv;

	while (args[n])
		n++;
	argv = calloc(n + 2, sizeof(char *));
	argv[0] = (char *)h_bin();
	for (size_t i = 0; i < n; i++)
		argv[i + 1] = (char *)args[i];
	return argv;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long n;

	if (f == NULL)
		return calloc(1, 1);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc((size_t)n + 1);
	n = (long)fread(data, 1, (size_t)n, f);
	data[n] = '\0';
	fclose(f);
	return data;
}

static int decode_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return -1;
}

struct h_result h_run(const char *const *args, const char *const *env,
		      const char *stdin_data, size_t stdin_len)
{
	struct h_result r = {-1, NULL, NULL};
	char in[256], out[256], err[256];
	char **argv = make_argv(args), **envp = make_env(env);
	static int seq;
	pid_t pid;
	int st;

	seq++;
	snprintf(in, sizeof(in), "%s/run%d.in", h_tmpdir(), seq);
	snprintf(out, sizeof(out), "%s/run%d.out", h_tmpdir(), seq);
	snprintf(err, sizeof(err), "%s/run%d.err", h_tmpdir(), seq);
	{
		FILE *f = fopen(in, "wb");

		if (stdin_data)
			fwrite(stdin_data, 1, stdin_len, f);
		fclose(f);
	}
	pid = fork();
	if (pid == 0) {
		int fi = open(in, O_RDONLY);
		int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fi, 0);
		dup2(fo, 1);
		dup2(fe, 2);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	r.status = decode_status(st);
	r.out = slurp(out);
	r.err = slurp(err);
	unlink(in);
	unlink(out);
	unlink(err);
	free(argv);
	free(envp);
	return r;
}

void h_result_free(struct h_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

pid_t h_spawn(const char *const *args, const char *const *env,
	      const char *stderr_path)
{
	char **argv = make_argv(args), **envp = make_env(env);
	pid_t pid = fork();

	if (pid == 0) {
		int fe = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int fn = open("/dev/null", O_RDWR);

		dup2(fn, 0);
		dup2(fn, 1);
		dup2(fe, 2);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	free(argv);
	free(envp);
	return pid;
}

int h_wait(pid_t pid, int timeout_ms)
{
	long long end = h_now_ms() + timeout_ms;
	int st;

	while (h_now_ms() < end) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return decode_status(st);
		h_sleep_ms(20);
	}
	return -1;
}

int h_free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		abort();
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

int h_connect(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Reads exactly one response, byte by byte up to the end of the headers and
 * then exactly Content-Length bytes, so pipelined responses that arrive in
 * one packet stay in the socket for the next call.
 */
int h_read_response(int fd, char **response, int timeout_ms)
{
	size_t cap = 4096, len = 0, body = 0, need = 0;
	char *buf = malloc(cap);
	long long end = h_now_ms() + timeout_ms;
	int status = -1, in_body = 0;

	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		int left = (int)(end - h_now_ms());
		size_t want;
		ssize_t n;

		if (in_body && len >= need)
			break;
		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		want = in_body ? need - len : 1;
		if (len + want + 1 > cap) {
			cap = len + want + 1;
			buf = realloc(buf, cap);
		}
		n = recv(fd, buf + len, want, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (!in_body && len >= 4 && memcmp(buf + len - 4, "\r\n\r\n", 4) == 0) {
			const char *cl = strcasestr(buf, "\r\nContent-Length: ");

			if (strncmp(buf, "HTTP/1.1 100", 12) == 0) {
				len = 0; /* an interim answer; the real one follows */
				continue;
			}
			body = cl ? (size_t)atol(cl + 18) : 0;
			need = len + body;
			in_body = 1;
		}
	}
	buf[len] = '\0';
	if (len > 12 && strncmp(buf, "HTTP/1.1 ", 9) == 0)
		status = atoi(buf + 9);
	if (response)
		*response = buf;
	else
		free(buf);
	return status;
}

int h_http(int port, const char *raw, size_t len, char **response)
{
	int fd = h_connect(port), status;

	if (response)
		*response = NULL;
	if (fd < 0)
		return -1;
	if (send_all(fd, raw, len) != 0) {
		/* The server may answer and close before reading it all. */
	}
	status = h_read_response(fd, response, 5000);
	close(fd);
	return status;
}

int h_get(int port, const char *path, char **body)
{
	char req[512], *resp = NULL;
	int status;

	snprintf(req, sizeof(req),
		 "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
		 path);
	status = h_http(port, req, strlen(req), &resp);
	if (body) {
		const char *b = resp ? strstr(resp, "\r\n\r\n") : NULL;

		*body = strdup(b ? b + 4 : "");
	}
	free(resp);
	return status;
}

int h_wait_status(int port, const char *path, int want, int timeout_ms)
{
	long long end = h_now_ms() + timeout_ms;
	int status = -1;

	while (h_now_ms() < end) {
		status = h_get(port, path, NULL);
		if (status == want)
			return status;
		h_sleep_ms(50);
	}
	return status;
}

int h_pg(const char *action)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "sh %s/pg.sh %s %s >&2",
		 need_env("FREMDRIFT_SCRIPTS"), action,
		 need_env("FREMDRIFT_TEST_PGDIR"));
	return system(cmd);
}

/* The pseudonym of raw of kind under the key file at key_path; the
 * context of the last key file is kept. */
static const char *ident(const char *key_path, enum pseud_ident kind,
			 const char *raw)
{
	static char bufs[32][PSEUD_HEX_LEN + 1], path[256];
	static struct pseud_ctx *ctx;
	static int next;
	char *out = bufs[next++ % 32];

	if (ctx == NULL || strcmp(path, key_path) != 0) {
		struct pseud_key key;
		struct fr_err err;

		pseud_ctx_free(ctx);
		ctx = NULL;
		fr_err_clear(&err);
		if (keyfile_load(key_path, &key, &err) != 0 ||
		    pseud_ctx_new(key.bytes, key.len, &ctx, &err) != 0)
			fail_msg("h_course/h_rid: %s: %s", key_path, err.msg);
		keyfile_wipe(&key);
		snprintf(path, sizeof(path), "%s", key_path);
	}
	if (pseud_ident_hex(ctx, kind, raw, strlen(raw), out) != 0)
		fail_msg("h_course/h_rid: HMAC failed");
	return out;
}

const char *h_course(const char *key_path, const char *raw)
{
	return ident(key_path, PSEUD_COURSE, raw);
}

const char *h_rid(const char *key_path, const char *raw)
{
	return ident(key_path, PSEUD_RECORD_ID, raw);
}

const char *h_ident_list(const char *key_path, int courses, ...)
{
	static char bufs[4][16384];
	static int next;
	char *out = bufs[next++ % 4];
	size_t n = 0;
	const char *raw;
	va_list ap;

	out[n++] = '(';
	va_start(ap, courses);
	while ((raw = va_arg(ap, const char *)) != NULL) {
		if (n + PSEUD_HEX_LEN + 8 > sizeof(bufs[0]))
			fail_msg("h_courses/h_rids: too many");
		n += (size_t)snprintf(
			out + n, sizeof(bufs[0]) - n, "%s'%s'",
			n > 1 ? ", " : "",
			ident(key_path, courses ? PSEUD_COURSE : PSEUD_RECORD_ID,
			      raw));
	}
	va_end(ap);
	snprintf(out + n, sizeof(bufs[0]) - n, ")");
	return out;
}

const char *h_sql(const char *fmt, ...)
{
	static char bufs[8][16384];
	static int next;
	char *out = bufs[next++ % 8];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, sizeof(bufs[0]), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(bufs[0]))
		fail_msg("h_sql: the statement does not fit");
	return out;
}

const char *h_db_holds(PGconn *c, const char *needle)
{
	static char where[512];
	char hex[2 * 256 + 1];
	const char *params[2] = {NULL, hex};
	PGresult *rels;
	int found = 0;

	if (strlen(needle) > 256)
		fail_msg("h_db_holds: needle too long");
	pseud_hex((const unsigned char *)needle, strlen(needle), hex);
	rels = PQexec(c, "SELECT format('%I.%I', n.nspname, r.relname) FROM "
			 "pg_class r JOIN pg_namespace n ON n.oid = "
			 "r.relnamespace WHERE n.nspname IN ('fremdrift', "
			 "'report', 'dashboard') AND r.relkind IN ('r', 'v', "
			 "'m', 'p') ORDER BY 1");
	if (PQresultStatus(rels) != PGRES_TUPLES_OK)
		fail_msg("h_db_holds: %s", PQerrorMessage(c));
	params[0] = needle;
	for (int i = 0; i < PQntuples(rels) && !found; i++) {
		char sql[512];
		PGresult *r;

		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM %s t WHERE strpos(lower(t::text), "
			 "lower($1)) > 0 OR strpos(t::text, $2) > 0",
			 PQgetvalue(rels, i, 0));
		r = PQexecParams(c, sql, 2, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			fail_msg("h_db_holds: %s: %s", PQgetvalue(rels, i, 0),
				 PQerrorMessage(c));
		if (atoi(PQgetvalue(r, 0, 0)) > 0) {
			snprintf(where, sizeof(where), "%s: %s row(s)",
				 PQgetvalue(rels, i, 0), PQgetvalue(r, 0, 0));
			found = 1;
		}
		PQclear(r);
	}
	PQclear(rels);
	return found ? where : NULL;
}

int h_post_records(int port, const char *token, const char *ctype,
		   const char *body, char **response)
{
	size_t n = strlen(body);
	char *req = malloc(n + 512);
	int len, status;

	len = sprintf(req,
		      "POST /api/v1/records HTTP/1.1\r\nHost: x\r\n"
		      "Connection: close\r\n%s%s%sContent-Type: %s\r\n"
		      "Content-Length: %zu\r\n\r\n",
		      token ? "Authorization: Bearer " : "", token ? token : "",
		      token ? "\r\n" : "", ctype, n);
	memcpy(req + len, body, n);
	status = h_http(port, req, (size_t)len + n, response);
	free(req);
	return status;
}

void h_run_ok(const char *const *args, const char *const *env,
	      const char *stdin_data)
{
	struct h_result r = h_run(args, env, stdin_data,
				  stdin_data ? strlen(stdin_data) : 0);

	if (r.status != 0)
		fail_msg("fremdrift %s: exit %d: %s", args[0], r.status, r.err);
	h_result_free(&r);
}

struct h_page h_request(int port, const char *method, const char *path,
			const char *extra, const char *body)
{
	char raw[16384];
	struct h_page p = {0, NULL};
	int n = snprintf(raw, sizeof(raw),
			 "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s%s"
			 "Connection: close\r\n\r\n",
			 method, path, port, extra ? extra : "",
			 body ? "Content-Type: application/x-www-form-"
				"urlencoded\r\n"
			      : "");

	if (body) {
		/* Content-Length goes before the blank line. */
		n -= 2;
		n += snprintf(raw + n, sizeof(raw) - (size_t)n,
			      "Content-Length: %zu\r\n\r\n%s", strlen(body),
			      body);
	}
	assert_true(n > 0 && (size_t)n < sizeof(raw));
	p.status = h_http(port, raw, (size_t)n, &p.text);
	return p;
}

void h_page_free(struct h_page *p)
{
	free(p->text);
	p->text = NULL;
}

const char *h_page_body(const struct h_page *p)
{
	const char *b = p->text ? strstr(p->text, "\r\n\r\n") : NULL;

	return b ? b + 4 : "";
}

const char *h_page_header(const struct h_page *p, const char *name)
{
	static char out[512];
	const char *h = p->text, *end = h ? strstr(h, "\r\n\r\n") : NULL;
	size_t n = strlen(name);

	out[0] = '\0';
	for (; h && end && h < end; h = strstr(h, "\r\n") + 2)
		if (strncasecmp(h, name, n) == 0 && h[n] == ':') {
			const char *v = h + n + 1;

			while (*v == ' ')
				v++;
			snprintf(out, sizeof(out), "%.*s",
				 (int)strcspn(v, "\r"), v);
			break;
		}
	return out;
}

void h_assert_page_headers(const struct h_page *p, int no_store)
{
	assert_string_equal(h_page_header(p, "Content-Security-Policy"),
			    "default-src 'none'; script-src 'self'; "
			    "style-src 'self'; img-src 'self'; connect-src "
			    "'self'; form-action 'self'; frame-ancestors "
			    "'none'; base-uri 'none'");
	assert_string_equal(h_page_header(p, "Referrer-Policy"), "no-referrer");
	assert_string_equal(h_page_header(p, "X-Frame-Options"), "DENY");
	assert_string_equal(h_page_header(p, "X-Content-Type-Options"),
			    "nosniff");
	if (no_store)
		assert_string_equal(h_page_header(p, "Cache-Control"),
				    "no-store");
}
