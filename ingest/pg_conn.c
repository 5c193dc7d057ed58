#include "fremdrift/pg_conn.h"

#include "fremdrift/db.h"
#include "fremdrift/buf.h"
#include "fremdrift/log.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

enum pgc_state {
	PGC_IDLE,       /* waiting for the backoff timer */
	PGC_RESOLVING,  /* uv_getaddrinfo under way */
	PGC_CONNECTING, /* PQconnectPoll under way */
	PGC_UP,
	PGC_CLOSING
};

#define COPY_CHUNK (256u << 10)

struct pgc_query {
	struct pgc_query *next;
	char *sql;
	int nparams;            /* -1: a simple query (several statements) */
	char **values;
	const char *copy_data;  /* COPY FROM STDIN data (borrowed), or NULL */
	size_t copy_len, copy_off;
	int copy_state;         /* 0 before, 1 sending data, 2 ended */
	unsigned timeout_ms;
	pgc_result_cb cb;
	void *data;
};

struct pgc {
	uv_loop_t *loop;
	PQconninfoOption *opts;    /* the parsed conninfo */
	char *resolved_addr;       /* hostaddr from our own lookup, or NULL */
	char *dns_host;            /* the host name to resolve, or NULL */
	PGconn *conn;
	uv_poll_t *poll;           /* heap: freed in its close callback */
	int sock;
	int poll_events;
	uv_timer_t timer;          /* backoff and connect timeout */
	uv_timer_t qtimer;         /* query timeout */
	uv_getaddrinfo_t *gai;     /* heap: freed in its callback */
	enum pgc_state state;
	unsigned backoff_ms, backoff_min_ms, backoff_max_ms;
	unsigned connect_timeout_ms;
	char *application_name;
	struct pgc_query *head, *tail; /* head is in flight when sent */
	int sent;
	int holding;               /* a result callback runs: send nothing */
	PGresult *result;          /* the result kept for the head query */
	pgc_state_cb state_cb;
	void *data;
	pgc_notify_cb notify_cb;
	void *notify_data;
	int open_handles;
	void (*close_cb)(void *);
	void *close_data;
	unsigned failures;         /* connection attempts since the last up */
	unsigned session;          /* counts the connections that came up */
	int keep_open;             /* pgc_keep_open: until the next query */
};

static void start_connect(struct pgc *c);
static void conn_lost(struct pgc *c, const char *why);
static void send_next(struct pgc *c);
static void copy_push(struct pgc *c);
static struct pgc_query *new_query(const char *sql, int nparams,
				   const char *const *values,
				   unsigned timeout_ms, pgc_result_cb cb,
				   void *data);

int pgc_is_up(const struct pgc *c) { return c->state == PGC_UP; }
void pgc_keep_open(struct pgc *c) { c->keep_open = 1; }
unsigned pgc_session(const struct pgc *c) { return c->session; }

static void free_query(struct pgc_query *q)
{
	for (int i = 0; i < q->nparams; i++) /* none when nparams is -1 */
		free(q->values[i]);
	free(q->values);
	free(q->sql);
	free(q);
}

/* Drops one of the references that keep c alive; frees it at the last. */
static void release(struct pgc *c)
{
	if (--c->open_handles > 0)
		return;
	if (c->close_cb)
		c->close_cb(c->close_data);
	PQconninfoFree(c->opts);
	free(c->resolved_addr);
	free(c->dns_host);
	free(c->application_name);
	free(c);
}

static void handle_closed(uv_handle_t *h) { release(h->data); }

static void poll_closed(uv_handle_t *h) { free(h); }

/* Stops watching the socket before libpq may close it. */
static void stop_poll(struct pgc *c)
{
	if (c->poll == NULL)
		return;
	uv_poll_stop(c->poll);
	uv_close((uv_handle_t *)c->poll, poll_closed);
	c->poll = NULL;
	c->poll_events = 0;
	c->sock = -1;
}

static void on_poll(uv_poll_t *h, int status, int events);

/* Watches the libpq socket for events, following socket changes. */
static int watch(struct pgc *c, int events)
{
	int sock = PQsocket(c->conn);

	if (sock < 0)
		return -1;
	if (c->poll != NULL && sock != c->sock)
		stop_poll(c);
	if (c->poll == NULL) {
		c->poll = fr_xmalloc(sizeof(*c->poll));
		if (uv_poll_init(c->loop, c->poll, sock) != 0) {
			free(c->poll);
			c->poll = NULL;
			return -1;
		}
		c->poll->data = c;
		c->sock = sock;
		c->poll_events = 0;
	}
	if (events != c->poll_events) {
		if (uv_poll_start(c->poll, events, on_poll) != 0)
			return -1;
		c->poll_events = events;
	}
	return 0;
}

static void fail_queries(struct pgc *c, const char *why)
{
	struct pgc_query *q;

	uv_timer_stop(&c->qtimer);
	if (c->result) {
		PQclear(c->result);
		c->result = NULL;
	}
	while ((q = c->head) != NULL) {
		c->head = q->next;
		if (c->head == NULL)
			c->tail = NULL;
		c->sent = 0;
		if (q->cb)
			q->cb(c, NULL, why, q->data);
		free_query(q);
	}
	c->sent = 0;
}

static void on_backoff(uv_timer_t *t)
{
	struct pgc *c = t->data;

	if (c->state == PGC_IDLE)
		start_connect(c);
}

static void schedule_retry(struct pgc *c)
{
	c->state = PGC_IDLE;
	uv_timer_start(&c->timer, on_backoff, c->backoff_ms, 0);
	c->backoff_ms *= 2;
	if (c->backoff_ms > c->backoff_max_ms)
		c->backoff_ms = c->backoff_max_ms;
}

static void teardown(struct pgc *c)
{
	c->keep_open = 0;
	stop_poll(c);
	uv_timer_stop(&c->timer);
	if (c->conn) {
		PQfinish(c->conn);
		c->conn = NULL;
	}
}

static void connect_failed(struct pgc *c, const char *why)
{
	/* Say it once, then quietly until it comes back. */
	if (c->failures++ == 0)
		log_warning("pg", "cannot connect to the database: %s; retrying",
			    why);
	else
		log_debug("pg", "connect attempt %u failed: %s", c->failures,
			  why);
	teardown(c);
	schedule_retry(c);
}

static void conn_lost(struct pgc *c, const char *why)
{
	int was_up = c->state == PGC_UP;

	if (c->state == PGC_CLOSING)
		return;
	log_warning("pg", "database connection lost: %s", why);
	teardown(c);
	c->failures = 1;
	schedule_retry(c);
	fail_queries(c, why);
	if (was_up && c->state_cb)
		c->state_cb(c, 0, c->data);
}

/* Copies libpq's last error, trimmed, for a log line. */
static const char *conn_error(struct pgc *c, char *buf, size_t n)
{
	const char *msg = c->conn ? PQerrorMessage(c->conn) : "no connection";
	size_t len;

	snprintf(buf, n, "%s", msg && *msg ? msg : "unknown error");
	len = strlen(buf);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = ' ';
	return buf;
}

static void flush_output(struct pgc *c)
{
	int rc = PQflush(c->conn);
	char buf[512];

	if (rc < 0) {
		conn_lost(c, conn_error(c, buf, sizeof(buf)));
		return;
	}
	/* Writable interest only while output is pending: uv_poll is level
	 * triggered and would spin otherwise. */
	if (watch(c, UV_READABLE | (rc == 1 ? UV_WRITABLE : 0)) != 0)
		conn_lost(c, "cannot watch the database socket");
}

/*
 * After a query's callback, when the session is inside a transaction
 * block: what that callback queued (after before, the tail it found) is
 * the transaction's next statement and goes first, ahead of unrelated
 * queries that waited meanwhile (a token look-up run inside a batch's
 * aborted transaction fails; issue 12). A transaction left open with
 * nothing queued to go on with would swallow the next unrelated query, so
 * it is rolled back.
 */
static void keep_transaction(struct pgc *c, struct pgc_query *before)
{
	struct pgc_query *first = before ? before->next : c->head;
	PGTransactionStatusType ts = PQtransactionStatus(c->conn);

	if (ts != PQTRANS_INTRANS && ts != PQTRANS_INERROR)
		return;
	if (first == NULL && c->keep_open)
		return; /* its owner goes on with it later */
	if (first == NULL) {
		log_warning("pg", "a transaction was left open with nothing "
				  "to continue it; rolling it back");
		first = new_query("ROLLBACK", -1, NULL, 0, NULL, NULL);
		if (c->tail)
			c->tail->next = first;
		else
			c->head = first;
		c->tail = first;
	}
	if (before == NULL)
		return; /* the queue was empty: the continuation is the head */
	/* Move first..tail to the front. */
	before->next = NULL;
	c->tail->next = c->head;
	c->head = first;
	c->tail = before;
}

static void finish_query(struct pgc *c)
{
	struct pgc_query *q = c->head;
	PGresult *res = c->result;
	struct pgc_query *before;
	const char *err = NULL;

	uv_timer_stop(&c->qtimer);
	c->head = q->next;
	if (c->head == NULL)
		c->tail = NULL;
	c->sent = 0;
	c->result = NULL;
	if (res == NULL)
		err = "no result";
	else if (PQresultStatus(res) == PGRES_FATAL_ERROR)
		err = PQresultErrorMessage(res);
	before = c->tail;
	c->holding = 1;
	if (q->cb)
		q->cb(c, res, err, q->data);
	c->holding = 0;
	if (res)
		PQclear(res);
	free_query(q);
	if (c->state == PGC_UP)
		keep_transaction(c, before);
}

/*
 * Sends COPY data in chunks. After each chunk, output libpq could not pass
 * to the kernel at once means "wait for writable": libpq's buffer never
 * grows by more than one chunk (PQputCopyData returning 0 means "not
 * queued": wait for writable and retry).
 */
static void copy_push(struct pgc *c)
{
	struct pgc_query *q = c->head;
	char buf[512];

	while (q->copy_state == 1) {
		int rc = PQflush(c->conn);

		if (rc < 0) {
			conn_lost(c, conn_error(c, buf, sizeof(buf)));
			return;
		}
		if (rc == 1) {
			if (watch(c, UV_READABLE | UV_WRITABLE) != 0)
				conn_lost(c, "cannot watch the database socket");
			return;
		}
		if (q->copy_off < q->copy_len) {
			size_t n = q->copy_len - q->copy_off;

			if (n > COPY_CHUNK)
				n = COPY_CHUNK;
			rc = PQputCopyData(c->conn, q->copy_data + q->copy_off,
					   (int)n);
			if (rc == 1) {
				q->copy_off += n;
				continue;
			}
		} else {
			rc = PQputCopyEnd(c->conn, NULL);
			if (rc == 1) {
				q->copy_state = 2;
				break;
			}
		}
		if (rc == 0) {
			/* Not queued: wait for room and try the same again. */
			if (watch(c, UV_READABLE | UV_WRITABLE) != 0)
				conn_lost(c, "cannot watch the database socket");
			return;
		}
		/* -1: the server ended the COPY (an error is waiting among
		 * the results), or the connection broke. */
		if (PQstatus(c->conn) != CONNECTION_OK) {
			conn_lost(c, conn_error(c, buf, sizeof(buf)));
			return;
		}
		q->copy_state = 2;
	}
	flush_output(c);
}

/* Reads every result libpq has; finishes queries whose results are done. */
static void drain_results(struct pgc *c)
{
	while (c->state == PGC_UP && c->head && c->sent && !PQisBusy(c->conn)) {
		PGresult *res = PQgetResult(c->conn);

		if (res == NULL) {
			finish_query(c);
			send_next(c);
			continue;
		}
		/* Keep the first error, otherwise the last result. */
		if (c->result &&
		    PQresultStatus(c->result) == PGRES_FATAL_ERROR) {
			PQclear(res);
		} else {
			if (c->result)
				PQclear(c->result);
			c->result = res;
		}
		if (PQresultStatus(res) == PGRES_COPY_IN) {
			if (c->head->copy_data == NULL) {
				conn_lost(c, "COPY started by a plain query");
				return;
			}
			/* Not a final result: send the data, then read on. */
			PQclear(c->result);
			c->result = NULL;
			c->head->copy_state = 1;
			copy_push(c);
			if (c->state != PGC_UP || c->head == NULL ||
			    c->head->copy_state == 1)
				return; /* waiting for the socket */
			continue;
		}
		if (PQresultStatus(res) == PGRES_COPY_OUT ||
		    PQresultStatus(res) == PGRES_COPY_BOTH) {
			conn_lost(c, "unexpected COPY TO on this connection");
			return;
		}
	}
	while (c->state == PGC_UP) {
		PGnotify *n = PQnotifies(c->conn);

		if (n == NULL)
			break;
		if (c->notify_cb)
			c->notify_cb(c, n->relname, n->extra, c->notify_data);
		PQfreemem(n);
	}
}

static void on_query_timeout(uv_timer_t *t)
{
	struct pgc *c = t->data;

	conn_lost(c, "timed out");
}

static void send_next(struct pgc *c)
{
	struct pgc_query *q = c->head;
	char buf[512];

	if (c->state != PGC_UP || q == NULL || c->sent || c->holding)
		return;
	if (q->nparams < 0 ? !PQsendQuery(c->conn, q->sql)
			   : !PQsendQueryParams(c->conn, q->sql, q->nparams, NULL,
						(const char *const *)q->values,
						NULL, NULL, 0)) {
		conn_lost(c, conn_error(c, buf, sizeof(buf)));
		return;
	}
	c->sent = 1;
	c->keep_open = 0;
	if (q->timeout_ms)
		uv_timer_start(&c->qtimer, on_query_timeout, q->timeout_ms, 0);
	flush_output(c);
}

static void connected(struct pgc *c)
{
	char buf[512];

	uv_timer_stop(&c->timer);
	if (PQsetnonblocking(c->conn, 1) != 0) {
		connect_failed(c, conn_error(c, buf, sizeof(buf)));
		return;
	}
	c->state = PGC_UP;
	c->session++;
	c->backoff_ms = c->backoff_min_ms;
	if (c->failures > 0)
		log_info("pg", "database connection re-established");
	else
		log_info("pg", "connected to the database");
	c->failures = 0;
	if (watch(c, UV_READABLE) != 0) {
		conn_lost(c, "cannot watch the database socket");
		return;
	}
	if (c->state_cb)
		c->state_cb(c, 1, c->data);
	send_next(c);
}

static void connect_step(struct pgc *c)
{
	char buf[512];

	switch (PQconnectPoll(c->conn)) {
	case PGRES_POLLING_OK:
		connected(c);
		return;
	case PGRES_POLLING_READING:
		if (watch(c, UV_READABLE) != 0)
			connect_failed(c, "cannot watch the database socket");
		return;
	case PGRES_POLLING_WRITING:
		if (watch(c, UV_WRITABLE) != 0)
			connect_failed(c, "cannot watch the database socket");
		return;
	default:
		connect_failed(c, conn_error(c, buf, sizeof(buf)));
		return;
	}
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct pgc *c = h->data;
	char buf[512];

	if (c->state == PGC_CONNECTING) {
		/* Whatever happened, PQconnectPoll finds out and says. */
		connect_step(c);
		return;
	}
	if (c->state != PGC_UP)
		return;
	if (status < 0) {
		/* libuv reports POLLERR as status < 0 with events == 0. */
		PQconsumeInput(c->conn);
		conn_lost(c, conn_error(c, buf, sizeof(buf)));
		return;
	}
	if (events & UV_READABLE) {
		if (!PQconsumeInput(c->conn)) {
			conn_lost(c, conn_error(c, buf, sizeof(buf)));
			return;
		}
	}
	if (PQstatus(c->conn) == CONNECTION_BAD) {
		conn_lost(c, conn_error(c, buf, sizeof(buf)));
		return;
	}
	if (c->head && c->sent && c->head->copy_state == 1)
		copy_push(c);
	else if (c->sent)
		flush_output(c);
	if (c->state == PGC_UP)
		drain_results(c);
	/* A server that closed on us with nothing in flight shows up here. */
	if (c->state == PGC_UP && PQstatus(c->conn) == CONNECTION_BAD)
		conn_lost(c, conn_error(c, buf, sizeof(buf)));
}

static void on_connect_timeout(uv_timer_t *t)
{
	struct pgc *c = t->data;

	if (c->state == PGC_CONNECTING || c->state == PGC_RESOLVING)
		connect_failed(c, "connection attempt timed out");
}

static void start_libpq(struct pgc *c)
{
	const char *keys[64], *vals[64];
	int n = 0;
	char buf[512];

	for (PQconninfoOption *o = c->opts; o->keyword && n < 60; o++) {
		if (o->val == NULL || o->val[0] == '\0')
			continue;
		keys[n] = o->keyword;
		vals[n++] = o->val;
	}
	if (c->resolved_addr) {
		keys[n] = "hostaddr";
		vals[n++] = c->resolved_addr;
	}
	keys[n] = "fallback_application_name";
	vals[n++] = c->application_name;
	keys[n] = NULL;
	vals[n] = NULL;

	c->state = PGC_CONNECTING;
	c->conn = PQconnectStartParams(keys, vals, 0);
	if (c->conn == NULL) {
		connect_failed(c, "out of memory");
		return;
	}
	if (PQstatus(c->conn) == CONNECTION_BAD) {
		connect_failed(c, conn_error(c, buf, sizeof(buf)));
		return;
	}
	PQsetNoticeReceiver(c->conn, db_log_notice, NULL);
	/* libpq's first wish after PQconnectStart is a writable socket. */
	if (watch(c, UV_WRITABLE) != 0)
		connect_failed(c, "cannot watch the database socket");
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *ai)
{
	struct pgc *c = req->data;
	char ip[INET6_ADDRSTRLEN];

	free(req);
	c->gai = NULL;
	if (c->state == PGC_CLOSING) {
		uv_freeaddrinfo(ai);
		release(c); /* the lookup's reference */
		return;
	}
	c->open_handles--; /* the lookup's reference; timers still hold c */
	if (status != 0 || ai == NULL) {
		uv_freeaddrinfo(ai);
		c->state = PGC_CONNECTING;
		connect_failed(c, uv_strerror(status));
		return;
	}
	uv_ip_name(ai->ai_addr, ip, sizeof(ip));
	uv_freeaddrinfo(ai);
	free(c->resolved_addr);
	c->resolved_addr = fr_xstrdup(ip);
	start_libpq(c);
}

static void start_connect(struct pgc *c)
{
	struct addrinfo hints;

	uv_timer_start(&c->timer, on_connect_timeout, c->connect_timeout_ms, 0);
	if (c->dns_host == NULL) {
		start_libpq(c);
		return;
	}
	/* PQconnectStart would block in getaddrinfo: resolve on the pool. */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	c->gai = fr_xmalloc(sizeof(*c->gai));
	c->gai->data = c;
	c->state = PGC_RESOLVING;
	c->open_handles++; /* the lookup holds c alive until it returns */
	if (uv_getaddrinfo(c->loop, c->gai, on_resolved, c->dns_host, NULL,
			   &hints) != 0) {
		free(c->gai);
		c->gai = NULL;
		c->open_handles--;
		c->state = PGC_CONNECTING;
		connect_failed(c, "cannot start a host name lookup");
	}
}

/* Finds whether the host needs resolving by us (a single name, no addr). */
static void plan_resolution(struct pgc *c)
{
	const char *host = NULL, *hostaddr = NULL;
	struct in6_addr a6;
	struct in_addr a4;

	for (PQconninfoOption *o = c->opts; o->keyword; o++) {
		if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "hostaddr") == 0)
			hostaddr = o->val;
	}
	if (host == NULL || *host == '\0' || (hostaddr && *hostaddr) ||
	    host[0] == '/' || host[0] == '@' || strchr(host, ',') ||
	    inet_pton(AF_INET, host, &a4) == 1 ||
	    inet_pton(AF_INET6, host, &a6) == 1)
		return;
	c->dns_host = fr_xstrdup(host);
}

int pgc_new(uv_loop_t *loop, const char *conninfo, const struct pgc_opts *opts,
	    pgc_state_cb state_cb, void *data, struct pgc **out,
	    struct fr_err *err)
{
	char *errmsg = NULL;
	PQconninfoOption *parsed = PQconninfoParse(conninfo, &errmsg);
	struct pgc *c;

	*out = NULL;
	if (parsed == NULL) {
		/* libpq's message may quote the string; keep secrets out. */
		fr_err_set(err, FR_ECONFIG, "DATABASE_URL",
			   "the database connection string does not parse");
		PQfreemem(errmsg);
		return FR_ECONFIG;
	}
	c = fr_xcalloc(1, sizeof(*c));
	c->loop = loop;
	c->opts = parsed;
	c->sock = -1;
	c->state_cb = state_cb;
	c->data = data;
	c->connect_timeout_ms =
		opts && opts->connect_timeout_ms ? opts->connect_timeout_ms : 10000;
	c->backoff_min_ms =
		opts && opts->backoff_min_ms ? opts->backoff_min_ms : 100;
	c->backoff_max_ms =
		opts && opts->backoff_max_ms ? opts->backoff_max_ms : 5000;
	c->backoff_ms = c->backoff_min_ms;
	c->application_name = fr_xstrdup(
		opts && opts->application_name ? opts->application_name
					       : "fremdrift");
	uv_timer_init(loop, &c->timer);
	uv_timer_init(loop, &c->qtimer);
	c->timer.data = c;
	c->qtimer.data = c;
	c->open_handles = 2;
	plan_resolution(c);
	start_connect(c);
	*out = c;
	return 0;
}

static struct pgc_query *new_query(const char *sql, int nparams,
				   const char *const *values,
				   unsigned timeout_ms, pgc_result_cb cb,
				   void *data)
{
	struct pgc_query *q = fr_xcalloc(1, sizeof(*q));

	q->sql = fr_xstrdup(sql);
	q->nparams = nparams;
	q->values = fr_xcalloc((size_t)(nparams > 0 ? nparams : 1),
			       sizeof(char *));
	for (int i = 0; i < nparams; i++)
		q->values[i] = values[i] ? fr_xstrdup(values[i]) : NULL;
	q->timeout_ms = timeout_ms;
	q->cb = cb;
	q->data = data;
	return q;
}

static void enqueue(struct pgc *c, struct pgc_query *q)
{
	if (c->tail)
		c->tail->next = q;
	else
		c->head = q;
	c->tail = q;
	send_next(c);
}

int pgc_query(struct pgc *c, const char *sql, int nparams,
	      const char *const *values, unsigned timeout_ms, pgc_result_cb cb,
	      void *data)
{
	if (c->state != PGC_UP)
		return FR_EDB;
	enqueue(c, new_query(sql, nparams, values, timeout_ms, cb, data));
	return 0;
}

int pgc_exec(struct pgc *c, const char *sql, pgc_result_cb cb, void *data)
{
	if (c->state != PGC_UP)
		return FR_EDB;
	enqueue(c, new_query(sql, -1, NULL, 0, cb, data));
	return 0;
}

int pgc_copy(struct pgc *c, const char *sql, const char *data, size_t len,
	     pgc_result_cb cb, void *cbdata)
{
	struct pgc_query *q;

	if (c->state != PGC_UP)
		return FR_EDB;
	/* The simple protocol, so statements may precede the COPY in one
	 * message ("BEGIN; COPY ..."), saving round trips. */
	q = new_query(sql, -1, NULL, 0, cb, cbdata);
	q->copy_data = data ? data : "";
	q->copy_len = len;
	enqueue(c, q);
	return 0;
}

void pgc_on_notify(struct pgc *c, pgc_notify_cb cb, void *data)
{
	c->notify_cb = cb;
	c->notify_data = data;
}

void pgc_close(struct pgc *c, void (*cb)(void *data), void *data)
{
	c->close_cb = cb;
	c->close_data = data;
	c->state = PGC_CLOSING;
	fail_queries(c, "shutting down");
	teardown(c);
	uv_close((uv_handle_t *)&c->timer, handle_closed);
	uv_close((uv_handle_t *)&c->qtimer, handle_closed);
}
