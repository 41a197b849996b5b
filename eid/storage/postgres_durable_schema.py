"""The PostgreSQL layout of the durable store, created idempotently at start.

The same tables as the SQLite default (:mod:`eid.storage.sqlite_durable`), in
PostgreSQL's types: times are ``double precision`` (seconds since the epoch, as
the records carry them), JSON documents ``text`` (read back exactly as written
and checked when read, as the SQLite store does), secrets ``bytea``.

Several instances may start at once against an empty database, and
``CREATE TABLE IF NOT EXISTS`` alone is not safe then (two sessions can both
decide to create and one fails on the catalogue's unique index), so the whole
script runs in one transaction under a transaction-level advisory lock.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SCHEMA_VERSION", "create_schema", "pair_lock"]

SCHEMA_VERSION = "1"
# pg_advisory_xact_lock key for schema changes: "eid durable" as a 64-bit number.
_SCHEMA_LOCK = 0x6569_6420_6475_7261



def pair_lock(subject: str, client: str) -> str:
    """The SQL that takes the transaction's advisory lock of one (citizen, client) pair,
    given the SQL of the two values: the one key revocations and grant saves share.
    hashtextextended is PostgreSQL's own 64-bit hash; a collision only makes two
    unrelated pairs wait for each other."""
    return f"pg_advisory_xact_lock(hashtextextended({subject} || chr(31) || {client}, 0))"


_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS durable_meta (key text PRIMARY KEY, value text NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS signing_keys (
        kid text PRIMARY KEY, alg text NOT NULL, private_jwk text NOT NULL,
        created_at double precision NOT NULL, retired_at double precision,
        activates_at double precision NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS consents (
        subject text NOT NULL, client_id text NOT NULL, scopes text NOT NULL,
        granted_at double precision NOT NULL, PRIMARY KEY (subject, client_id)
    )""",
    """CREATE TABLE IF NOT EXISTS grants (
        grant_id text PRIMARY KEY, subject text NOT NULL, client_id text NOT NULL,
        scopes text NOT NULL, details text NOT NULL, refresh_hash text,
        created_at double precision NOT NULL, expires_at double precision NOT NULL,
        revoked_at double precision
    )""",
    "CREATE INDEX IF NOT EXISTS grants_by_subject ON grants (subject, client_id)",
    # The sweep of expired grants on every write reads this, not the whole table.
    "CREATE INDEX IF NOT EXISTS grants_by_expiry ON grants (expires_at)",
    """CREATE TABLE IF NOT EXISTS logout_notices (
        notice_id text PRIMARY KEY, client_id text NOT NULL, subject text NOT NULL,
        sid text NOT NULL, created_at double precision NOT NULL, attempts integer NOT NULL,
        due_at double precision NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS logout_notices_due ON logout_notices (due_at, notice_id)",
    """CREATE TABLE IF NOT EXISTS revocations (
        subject text NOT NULL, client_id text NOT NULL, epoch integer NOT NULL,
        revoked_at double precision NOT NULL, PRIMARY KEY (subject, client_id)
    )""",
    "CREATE TABLE IF NOT EXISTS secrets (name text PRIMARY KEY, value bytea NOT NULL)",
    """CREATE TABLE IF NOT EXISTS registered_clients (
        client_id text PRIMARY KEY, metadata text NOT NULL, secret_hash text,
        token_hash text NOT NULL, issued_at double precision NOT NULL
    )""",
    # The data-access log (eid.storage.access_log): entries, tree nodes, checkpoints.
    """CREATE TABLE IF NOT EXISTS access_log (
        idx bigint PRIMARY KEY, citizen text NOT NULL, client_id text NOT NULL,
        entry bytea NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS access_by_citizen ON access_log (citizen, client_id, idx)",
    "CREATE INDEX IF NOT EXISTS access_by_citizen_time ON access_log (citizen, idx)",
    """CREATE TABLE IF NOT EXISTS access_nodes (
        level smallint NOT NULL, idx bigint NOT NULL, hash bytea NOT NULL,
        PRIMARY KEY (level, idx)
    )""",
    """CREATE TABLE IF NOT EXISTS access_checkpoints (
        size bigint PRIMARY KEY, root bytea NOT NULL, note text NOT NULL,
        signed_at double precision NOT NULL
    )""",
    # Append-only: a bug or a careless UPDATE / DELETE / TRUNCATE is refused; one who drops
    # the triggers is caught by `eid audit verify`.
    """CREATE OR REPLACE FUNCTION eid_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$""",
    *(f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
      f" FOR EACH ROW EXECUTE FUNCTION eid_append_only()"
      for table in ("access_log", "access_nodes", "access_checkpoints")),
    *(f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
      f" FOR EACH STATEMENT EXECUTE FUNCTION eid_append_only()"
      for table in ("access_log", "access_nodes", "access_checkpoints")),
    # A grant saved only while its pair's consent covers it and no revocation came since
    # the code (DurableStore.save_grant_if_consented), in one round trip instead of five
    # (BEGIN, the lock, the read, the insert, COMMIT). The pair's lock is the one
    # revoke_access takes (_PAIR_LOCK); under READ COMMITTED each statement of a volatile
    # function takes its own snapshot, so the reads after the lock see the revocation it
    # waited for. Expired grants are swept with the insert, as save_grant does.
    r"""CREATE OR REPLACE FUNCTION eid_save_grant_if_consented(
        g_id text, g_subject text, g_client text, g_scopes text, g_details text,
        g_refresh text, g_created double precision, g_expires double precision,
        g_revoked double precision, g_needs text[], g_epoch integer
    ) RETURNS boolean LANGUAGE plpgsql AS $$
    DECLARE
        granted text;
        pair_epoch integer;
    BEGIN
        PERFORM """ + pair_lock("g_subject", "g_client") + r""";
        SELECT scopes INTO granted FROM consents
            WHERE subject = g_subject AND client_id = g_client;
        SELECT epoch INTO pair_epoch FROM revocations
            WHERE subject = g_subject AND client_id = g_client;
        IF granted IS NULL OR COALESCE(pair_epoch, 0) <> g_epoch
                OR NOT g_needs <@ regexp_split_to_array(granted, '\s+') THEN
            RETURN false;
        END IF;
        WITH swept AS (DELETE FROM grants WHERE grant_id IN (SELECT grant_id FROM grants
            WHERE expires_at < g_created LIMIT 100 FOR UPDATE SKIP LOCKED))
        INSERT INTO grants (grant_id, subject, client_id, scopes, details, refresh_hash,
                            created_at, expires_at, revoked_at)
            VALUES (g_id, g_subject, g_client, g_scopes, g_details, g_refresh, g_created,
                    g_expires, g_revoked);
        RETURN true;
    END $$""",  # noqa: S608 - pair_lock is given two constant names, no input
    # An entry of the data-access log appended in one round trip instead of five (BEGIN,
    # the lock, the next index and siblings, the insert, COMMIT), so the log's lock, which
    # every appender of every instance queues for, is held for one statement and its
    # commit. The same rows as eid.storage.access_log.append_rows: the entry, its leaf
    # (hashed by the caller from the entry's canonical bytes) and each subtree it
    # completes, SHA-256(0x01 || left || right) (RFC 9162 §2.1.1), as
    # eid.audit.completed_nodes. EXCLUSIVE conflicts with every writer of the table and
    # with itself, not with readers: proofs and views go on. Under READ COMMITTED each
    # statement of a volatile function takes its own snapshot, so the next index is read
    # after the lock and sees the last appender's commit. A missing or malformed sibling
    # (the tables were changed behind the triggers) is data_corrupted: nothing is written.
    r"""CREATE OR REPLACE FUNCTION eid_append_access(
        a_citizen text, a_client text, a_entry bytea, a_leaf bytea
    ) RETURNS bigint LANGUAGE plpgsql AS $$
    DECLARE
        appended bigint;
        lvl smallint := 0;
        pos bigint;
        node bytea := a_leaf;
        sibling bytea;
    BEGIN
        LOCK TABLE access_log IN EXCLUSIVE MODE;
        SELECT coalesce(max(idx) + 1, 0) INTO appended FROM access_log;
        INSERT INTO access_log (idx, citizen, client_id, entry)
            VALUES (appended, a_citizen, a_client, a_entry);
        INSERT INTO access_nodes (level, idx, hash) VALUES (0, appended, node);
        pos := appended;
        WHILE pos % 2 = 1 LOOP
            SELECT hash INTO sibling FROM access_nodes WHERE level = lvl AND idx = pos - 1;
            IF sibling IS NULL THEN
                RAISE EXCEPTION 'the data-access log lacks tree node (%, %)', lvl, pos - 1
                    USING ERRCODE = 'data_corrupted';
            ELSIF length(sibling) <> 32 THEN
                RAISE EXCEPTION 'corrupt data-access log tree row (%, %)', lvl, pos - 1
                    USING ERRCODE = 'data_corrupted';
            END IF;
            node := sha256('\x01'::bytea || sibling || node);
            lvl := lvl + 1;
            pos := pos / 2;
            INSERT INTO access_nodes (level, idx, hash) VALUES (lvl, pos, node);
        END LOOP;
        RETURN appended;
    END $$""",
    # Credential status (eid.storage.credential_status): a sequence, from 1 up.
    """CREATE TABLE IF NOT EXISTS credential_status (
        idx bigserial PRIMARY KEY, subject text NOT NULL, client_id text NOT NULL,
        epoch integer NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS credential_status_by_pair ON credential_status"
    " (subject, client_id)",
    # Added after the first release (a table without it gets it; its entries stay, their
    # lifetime unknown): what lets expired credentials' entries be removed. Looked up
    # first: ALTER TABLE takes the table's exclusive lock even when the column is there,
    # and every instance runs this at start while others serve.
    """DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                       WHERE table_schema = current_schema()
                       AND table_name = 'credential_status' AND column_name = 'expires_at')
        THEN ALTER TABLE credential_status ADD COLUMN expires_at double precision;
        END IF;
    END $$""",
    "CREATE INDEX IF NOT EXISTS credential_status_by_expiry ON credential_status"
    " (expires_at)",
)


def create_schema(conn: Any) -> str:
    """Create what is missing, in the caller's transaction; returns the stored
    schema version (this module's for a new database)."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
    for statement in _SCHEMA:
        conn.execute(statement)
    conn.execute("INSERT INTO durable_meta VALUES ('schema_version', %s)"
                 " ON CONFLICT (key) DO NOTHING", (SCHEMA_VERSION,))
    row = conn.execute("SELECT value FROM durable_meta WHERE key = 'schema_version'").fetchone()
    return str(row[0])
