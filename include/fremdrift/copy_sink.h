/*
 * The copy sink: writes one batch at a time to PostgreSQL, exactly once.
 *
 * Normal path, one transaction in two or three round trips:
 * "BEGIN; COPY responses" (+ data), "COPY events" (+ data), then "record
 * the batch (and the file checkpoint); COMMIT". No per-row work beyond
 * PostgreSQL's own COPY.
 *
 * A batch of no file (HTTP) takes two round trips on this path: BEGIN
 * and the bookkeeping go with the first COPY, COMMIT with the last.
 *
 * Duplicate path: when COPY hits a (source, id) already stored (unique
 * violation), the transaction is rolled back and the batch goes again
 * through temporary staging tables: the rows are inserted with ON
 * CONFLICT DO NOTHING, and those the transaction did not insert itself
 * (stored before, or by a transaction that committed meanwhile) are
 * flagged in batch->resp_dup/ev_dup.
 *
 * Connection lost: the sink waits for the connection to come back
 * (sink_connection_up), then asks whether the batch id is in
 * fremdrift.ingest_batches: if so the COMMIT had landed and the batch is
 * done; if not it is replayed from the start. Nothing lost, nothing twice.
 *
 * Commit order: a sink may be given a gate, asked before each COMMIT goes
 * out. A file ingest writes over two connections at once and must commit
 * its batches in file order, so that the file's checkpoint, committed with
 * each batch, never claims a line whose batch has not committed: the
 * younger batch's COPY runs beside the older one's, and its transaction
 * is held open at the COMMIT until the older has committed.
 *
 * Threads: loop thread only. The batch is borrowed from submit until the
 * done callback, which is called exactly once per submitted batch.
 */
#ifndef FREMDRIFT_COPY_SINK_H
#define FREMDRIFT_COPY_SINK_H

#include "fremdrift/batch.h"
#include "fremdrift/pg_conn.h"

struct sink;

/*
 * rc 0: committed (duplicate flags filled in); otherwise the batch could
 * not be stored for a reason replaying will not cure (error says which).
 */
typedef void (*sink_done_cb)(struct batch *b, int rc, const char *error,
			     void *data);

/* A sink writing over pg (borrowed; must outlive the sink). */
struct sink *sink_new(struct pgc *pg);
void sink_free(struct sink *s);

/* 1 while a batch is being written. */
int sink_busy(const struct sink *s);

/* Starts writing b. FR_ESTATE when busy (cb is then never called). */
int sink_submit(struct sink *s, struct batch *b, sink_done_cb cb, void *data);

/*
 * Asked before the COMMIT of each batch: 1 to commit now, 0 to hold the
 * transaction open (with nothing in flight) until sink_release. It may
 * change b's file checkpoint figures, which go out with the COMMIT. No
 * gate (NULL, the default) commits at once.
 */
typedef int (*sink_gate_cb)(struct batch *b, void *data);
void sink_set_gate(struct sink *s, sink_gate_cb gate, void *data);

/* 1 while a batch is held at its COMMIT (or parked). */
int sink_held(const struct sink *s);

/*
 * A held batch asks its gate again and commits if it now may; a parked
 * one is written again from the start. Does nothing otherwise. A batch
 * whose connection was lost while it was held is written again too.
 */
void sink_release(struct sink *s);

/*
 * A held batch rolls back and waits, holding no locks, for sink_release
 * to write it again from the start: for a batch held so long that the one
 * it waits for may itself be waiting on its rows.
 */
void sink_park(struct sink *s);

/* Tell the sink the connection is up again (from the pgc state callback). */
void sink_connection_up(struct sink *s);

#endif
