-- Catalogue privacy (issue 13). The roles dashboard and analyst read
-- their own schema and nothing else, yet PostgreSQL lets every role
-- (PUBLIC) read statistics that depend on the data of every table:
-- pg_stat_user_tables.n_tup_del counted the rows an erasure of one
-- citizen deleted. This file takes from PUBLIC, in this database:
--
--   * the statistics functions, pg_stat_get_*(): n_tup_ins/del,
--     n_live_tup, scans, blocks, pg_stat_database, pg_stat_activity,
--     pg_stat_wal. The pg_stat_*, pg_statio_* and pg_stat_xact_* views
--     call them, and a view's function calls are checked against the
--     caller, so the views are closed with them;
--   * the size functions: of a relation (pg_relation_size,
--     pg_total_relation_size, pg_table_size, pg_indexes_size), of the
--     database and of a tablespace, which grow with the rows;
--   * the WAL position (pg_current_wal_*lsn, pg_last_wal_*_lsn,
--     pg_control_checkpoint), which advances with every row written;
--   * pg_lock_status() (pg_locks): who is writing which table right now;
--   * pg_class's row and page estimates (reltuples, relpages,
--     relallvisible): every other column of pg_class stays readable, so
--     psql's \d and the type and table queries of BI drivers work.
--
-- pg_read_all_stats (and so pg_monitor) gets all of it back, so
-- monitoring keeps working; superusers are not affected. Already safe
-- without this file: pg_stats (only columns the role may read),
-- pg_statistic, the last value of a sequence, and the query text of other
-- roles' sessions. tests/integration/test_dash_roles.c attacks all of it.
--
-- Privileges on pg_catalog need a superuser. Run by anyone else (the
-- database owner in a production that keeps superusers apart), the file
-- changes nothing and says so in a WARNING; docs/privacy.md §9 gives the
-- command a superuser runs instead. Idempotent: every run ends in the
-- same privileges.
DO $$
DECLARE
    fn regprocedure;
    cols text;
BEGIN
    IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles
            WHERE rolname = current_user) THEN
        RAISE WARNING 'sql/current/80_catalog_privacy.sql changed nothing: '
            'it needs a superuser, and % is not one, so the dashboard and '
            'analyst roles can still read table statistics and sizes; a '
            'superuser must run it (docs/privacy.md §9)', current_user;
        RETURN;
    END IF;

    FOR fn IN
        SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
        WHERE p.pronamespace = 'pg_catalog'::regnamespace
          AND (p.proname LIKE 'pg\_stat\_get\_%'
               OR p.proname IN ('pg_relation_size', 'pg_total_relation_size',
                                'pg_table_size', 'pg_indexes_size',
                                'pg_database_size', 'pg_tablespace_size',
                                'pg_current_wal_lsn', 'pg_current_wal_insert_lsn',
                                'pg_current_wal_flush_lsn', 'pg_last_wal_receive_lsn',
                                'pg_last_wal_replay_lsn', 'pg_control_checkpoint',
                                'pg_lock_status'))
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO pg_read_all_stats', fn);
    END LOOP;

    -- Every column but the three estimates, system columns included,
    -- whatever columns this version of PostgreSQL has.
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
    FROM pg_catalog.pg_attribute
    WHERE attrelid = 'pg_catalog.pg_class'::regclass AND attnum <> 0
      AND NOT attisdropped
      AND attname NOT IN ('reltuples', 'relpages', 'relallvisible');
    -- Revoking the table's SELECT revokes its columns' too.
    REVOKE SELECT ON pg_catalog.pg_class FROM PUBLIC;
    EXECUTE format('GRANT SELECT (%s) ON pg_catalog.pg_class TO PUBLIC', cols);
    GRANT SELECT (reltuples, relpages, relallvisible) ON pg_catalog.pg_class
        TO pg_read_all_stats;
END $$;
