/*
 * What the integration tests share: the real fremdrift binary, run as a
 * child process, against the real PostgreSQL cluster that scripts/test.sh
 * started (FREMDRIFT_TEST_PGDIR), over real sockets.
 */
#ifndef FREMDRIFT_TEST_HARNESS_H
#define FREMDRIFT_TEST_HARNESS_H

#include <libpq-fe.h>
#include <stddef.h>
#include <sys/types.h>

struct h_result {
	int status; /* exit code, or 128 + signal */
	char *out;  /* stdout, NUL-terminated */
	char *err;  /* stderr */
};

/* The binary under test (FREMDRIFT_BIN). */
const char *h_bin(void);

/* A scratch folder for this test program, made on first use. */
const char *h_tmpdir(void);

/* A new empty database called name; returns its conninfo (static). */
const char *h_fresh_db(const char *name);

/*
 * A site: a fresh, migrated database and a new key file, with the
 * environment strings that point the binary at them.
 */
struct h_site {
	char db[512];      /* conninfo */
	char env_db[600];  /* "DATABASE_URL=<db>" */
	char key_path[256];
	char env_key[300]; /* "FREMDRIFT_KEY_FILE=<key_path>" */
};

/*
 * Makes database name afresh, writes the key file <name>.key in the scratch
 * folder and runs `fremdrift migrate`. 0, or -1 with the reason on stderr.
 */
int h_site_new(struct h_site *s, const char *name);

/*
 * A new API token of source and role (`fremdrift token create` under env)
 * into out (80 bytes). 0, or -1 with the reason on stderr.
 */
int h_token(const char *const *env, const char *source, const char *role,
	    char out[80]);

/*
 * A free port for a server of the test: writes "FREMDRIFT_HTTP=127.0.0.1:
 * <port>" into env_http (64 bytes) and "<scratch>/<name>.log" into
 * log_path (256 bytes). Returns the port.
 */
int h_listen_env(char *env_http, char *log_path, const char *name);

/*
 * `fremdrift serve` under env, as the login fremdrift_app, a member of the
 * service role (not the owner): its stderr to log_path; waits until /health
 * on port answers 200. The pid, or -1 when it did not become healthy.
 */
pid_t h_serve(const char *const *env, const char *log_path, int port);

/*
 * The setup of a test that serves one site: the site made afresh as name
 * (h_site_new), a port and a log of its own (h_listen_env: env_http and
 * log_path, named name too), an ingest token of source into token
 * (h_token) and `fremdrift serve` under env, which holds the site's
 * strings and env_http (h_serve). The port into *port; returns the
 * server's pid, or -1 with the reason on stderr.
 */
pid_t h_site_serve(struct h_site *site, const char *name,
		   const char *const *env, char *env_http, char *log_path,
		   const char *source, char token[80], int *port);

/* Stops a server h_serve started (SIGTERM, then waits up to ms): 0, or -1
 * when it did not stop in time or never started (pid <= 0: a setup that
 * failed first must not kill(0, ...) the whole process group). */
int h_stop(pid_t pid, int ms);

/* The whole file at path, NUL-terminated (caller frees); "" when it cannot
 * be read. */
char *h_read_file(const char *path);

/*
 * The CPR number `fremdrift synth` gave citizen i in the NDJSON file at
 * path, into out (12 bytes: DDMMYY-SSSS); 0, or -1 (out "") when the file
 * has no such citizen. A citizen's number follows from the target group
 * drawn for them, so a test reads it from the file it made.
 */
int h_synth_cpr(const char *path, long i, char out[12]);

/*
 * Runs the binary with args (NULL-terminated, without argv[0]), the
 * environment plus env ("NAME=value" strings, NULL-terminated; may be NULL),
 * and stdin_data (may be NULL) on stdin. Waits for it.
 */
struct h_result h_run(const char *const *args, const char *const *env,
		      const char *stdin_data, size_t stdin_len);
void h_result_free(struct h_result *r);

/* h_run that must exit 0: fails the test with its stderr otherwise. */
void h_run_ok(const char *const *args, const char *const *env,
	      const char *stdin_data);

/* Starts the binary in the background, stderr to stderr_path. */
pid_t h_spawn(const char *const *args, const char *const *env,
	      const char *stderr_path);

/* Waits up to timeout_ms for pid; returns its status as in h_result, or -1. */
int h_wait(pid_t pid, int timeout_ms);

/* A free TCP port on 127.0.0.1. */
int h_free_port(void);

/* Connects to 127.0.0.1:port; returns the socket or -1. */
int h_connect(int port);

/*
 * Sends raw (len bytes) on a new connection and reads one response (until
 * Content-Length is satisfied or the peer closes). Returns the status code
 * or -1; *response (may be NULL) gets the whole text, caller frees.
 */
int h_http(int port, const char *raw, size_t len, char **response);

/*
 * POST /api/v1/records on port with token (may be NULL) and Content-Type
 * ctype; returns the status; *response (may be NULL) gets the whole
 * answer, caller frees.
 */
int h_post_records(int port, const char *token, const char *ctype,
		   const char *body, char **response);

/* Reads one response from an open socket, as h_http. */
int h_read_response(int fd, char **response, int timeout_ms);

/* GET path; returns the status; *body (may be NULL) gets the body. */
int h_get(int port, const char *path, char **body);

/* Polls GET path until it answers want (or timeout_ms passes). */
int h_wait_status(int port, const char *path, int want, int timeout_ms);

/* An HTTP answer: status, and headers and body in one text. */
struct h_page {
	int status;
	char *text;
};
/*
 * One request on a new connection to port: extra (may be NULL) is more
 * header lines, each ending in CRLF; a body (NULL for none) is sent as a
 * form (application/x-www-form-urlencoded).
 */
struct h_page h_request(int port, const char *method, const char *path,
			const char *extra, const char *body);
void h_page_free(struct h_page *p);
/* The body of p ("" when none). */
const char *h_page_body(const struct h_page *p);
/* The value of header name in p ("" if absent; static, one at a time). */
const char *h_page_header(const struct h_page *p, const char *name);
/* The headers every page carries (docs/links.md): the CSP, no referrer,
 * no frames, nosniff; and with no_store, Cache-Control: no-store. */
void h_assert_page_headers(const struct h_page *p, int no_store);

/* Runs scripts/pg.sh action on the test cluster (stop/start). */
int h_pg(const char *action);

/* A blocking connection to conninfo; fails the test if it cannot. */
PGconn *h_db(const char *conninfo);

/* The first value of the first row of sql (static buffer), or NULL. */
const char *h_scalar(PGconn *c, const char *sql);

/* The same as a number; fails the test when there is none. */
double h_num(PGconn *c, const char *sql);

/* Asks count_sql (a SELECT count(*)) every 100 ms until it is not 0, for
 * up to 60 s: e.g. until a session waits on a lock. Returns the count. */
int h_await_count(PGconn *c, const char *count_sql);

/* Runs `fremdrift a b` (b may be NULL) with env, input on stdin. */
struct h_result h_cmd(const char *const *env, const char *a, const char *b,
		      const char *input);

/*
 * Course keys and record ids are stored as keyed pseudonyms (issue 14):
 * h_course and h_rid give the stored form of raw, a course key or record
 * id as a source sends it, under the key file at key_path (a site's
 * key_path): 64 lowercase hex digits, as `fremdrift pseudonym --course` /
 * `--record-id` would print. Each returns one of 32 static buffers, used
 * in turn, so several may appear in one expression.
 */
const char *h_course(const char *key_path, const char *raw);
const char *h_rid(const char *key_path, const char *raw);

/*
 * An SQL list "('<hex>', '<hex>', ...)" of the pseudonyms of the course
 * keys (h_courses) or record ids (h_rids) given, up to a NULL; for
 * `WHERE course IN %s` where a test once wrote `course LIKE 'X%'`. One of
 * 4 static buffers, used in turn.
 */
const char *h_ident_list(const char *key_path, int courses, ...);
#define h_courses(key_path, ...) h_ident_list(key_path, 1, __VA_ARGS__)
#define h_rids(key_path, ...) h_ident_list(key_path, 0, __VA_ARGS__)

/* printf into one of 8 static buffers (16 KiB each), used in turn: SQL
 * with pseudonyms in it. Fails the test if it does not fit. */
const char *h_sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Where the database holds needle: every row of every table and view in
 * schemas fremdrift, report and dashboard, read as text (all columns at
 * once, case folded), searched for needle and for the hex of its bytes
 * (how a bytea column shows them). NULL when nowhere; otherwise
 * "<relation>: <n> row(s)" (static) for the first relation that has it.
 */
const char *h_db_holds(PGconn *c, const char *needle);

/* Milliseconds on a monotonic clock. */
long long h_now_ms(void);
void h_sleep_ms(int ms);

#endif
