using Dapper;
using Microsoft.Data.Sqlite;

namespace EmailApi.Storage;

/// <summary>
/// The SQLite schema's steps (run by <see cref="SchemaMigrations"/>). Only this process uses the
/// file, so no lock is needed; the file's identity is checked and established first.
/// Never edit a released entry: append a new one.
/// </summary>
public sealed class SqliteMigrations(SqliteDb db, TimeProvider clock, ILogger<SqliteMigrations> log) : SchemaMigrations(clock, log)
{
    private static readonly string[] AllSteps =
    [
        // 1: accounts, keys, the queue (messages → recipients) and the event log.
        """
        CREATE TABLE accounts (
            id          TEXT PRIMARY KEY,
            name        TEXT NOT NULL UNIQUE,
            created_at  INTEGER NOT NULL,
            disabled    INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE api_keys (
            id           TEXT PRIMARY KEY,
            account_id   TEXT NOT NULL REFERENCES accounts(id),
            name         TEXT NOT NULL,
            hash         BLOB NOT NULL,
            scopes       TEXT NOT NULL,
            created_at   INTEGER NOT NULL,
            last_used_at INTEGER,
            revoked_at   INTEGER
        );
        CREATE INDEX ix_api_keys_account ON api_keys(account_id);
        CREATE TABLE messages (
            id            TEXT PRIMARY KEY,
            account_id    TEXT NOT NULL REFERENCES accounts(id),
            source        TEXT NOT NULL,
            envelope_from TEXT NOT NULL,
            header_from   TEXT,
            subject       TEXT,
            tags          TEXT,
            metadata      TEXT,
            size          INTEGER NOT NULL,
            raw           BLOB,
            created_at    INTEGER NOT NULL
        );
        CREATE INDEX ix_messages_account_created ON messages(account_id, created_at);
        CREATE TABLE recipients (
            id              INTEGER PRIMARY KEY,
            message_id      TEXT NOT NULL REFERENCES messages(id),
            address         TEXT NOT NULL,
            domain          TEXT NOT NULL,
            status          TEXT NOT NULL,
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER,
            lease_until     INTEGER,
            lease_token     INTEGER,
            last_response   TEXT,
            updated_at      INTEGER NOT NULL
        );
        CREATE INDEX ix_recipients_message ON recipients(message_id);
        CREATE INDEX ix_recipients_due ON recipients(next_attempt_at) WHERE status IN ('queued', 'deferred');
        CREATE INDEX ix_recipients_lease ON recipients(lease_until) WHERE status = 'sending';
        CREATE TABLE events (
            id           INTEGER PRIMARY KEY,
            message_id   TEXT NOT NULL,
            recipient_id INTEGER,
            type         TEXT NOT NULL,
            detail       TEXT,
            mx           TEXT,
            created_at   INTEGER NOT NULL
        );
        CREATE INDEX ix_events_message ON events(message_id, id);
        """,
        // 2: per-account suppression list (hard bounces and manual entries).
        """
        CREATE TABLE suppressions (
            account_id  TEXT NOT NULL REFERENCES accounts(id),
            address     TEXT NOT NULL COLLATE NOCASE,
            reason      TEXT NOT NULL,
            source      TEXT NOT NULL,
            created_at  INTEGER NOT NULL,
            PRIMARY KEY (account_id, address)
        );
        """,
        // 3: account limits and sender domains, usage counters, idempotency keys, scheduled sends,
        //    message-log indexes (recipients carry their account; tags get their own table) and webhooks.
        //    Accounts that existed before keep no quota: an upgrade must not start refusing mail.
        """
        ALTER TABLE accounts ADD COLUMN monthly_quota INTEGER;
        ALTER TABLE accounts ADD COLUMN per_minute INTEGER;
        ALTER TABLE accounts ADD COLUMN per_hour INTEGER;
        ALTER TABLE accounts ADD COLUMN sender_domains TEXT;
        ALTER TABLE accounts ADD COLUMN updated_at INTEGER;
        CREATE TABLE account_usage (
            account_id   TEXT NOT NULL REFERENCES accounts(id),
            period       TEXT NOT NULL,
            window_start INTEGER NOT NULL,
            used         INTEGER NOT NULL,
            PRIMARY KEY (account_id, period, window_start)
        );
        CREATE TABLE idempotency_keys (
            account_id   TEXT NOT NULL REFERENCES accounts(id),
            key          TEXT NOT NULL,
            request_hash BLOB NOT NULL,
            status_code  INTEGER,
            location     TEXT,
            response     TEXT,
            created_at   INTEGER NOT NULL,
            expires_at   INTEGER NOT NULL,
            PRIMARY KEY (account_id, key)
        );
        CREATE INDEX ix_idempotency_expires ON idempotency_keys(expires_at);
        ALTER TABLE messages ADD COLUMN send_at INTEGER;
        CREATE INDEX ix_messages_account_id ON messages(account_id, id);
        CREATE INDEX ix_messages_account_source ON messages(account_id, source, id);
        CREATE INDEX ix_messages_body_age ON messages(created_at) WHERE raw IS NOT NULL;
        ALTER TABLE recipients ADD COLUMN account_id TEXT;
        UPDATE recipients SET account_id = (SELECT m.account_id FROM messages m WHERE m.id = recipients.message_id);
        CREATE INDEX ix_recipients_account_status ON recipients(account_id, status, message_id);
        CREATE INDEX ix_recipients_account_address ON recipients(account_id, address COLLATE NOCASE, message_id);
        CREATE TABLE message_tags (
            account_id TEXT NOT NULL,
            tag        TEXT NOT NULL,
            message_id TEXT NOT NULL REFERENCES messages(id),
            PRIMARY KEY (account_id, tag, message_id)
        );
        CREATE INDEX ix_message_tags_message ON message_tags(message_id);
        INSERT OR IGNORE INTO message_tags (account_id, tag, message_id)
        SELECT m.account_id, j.value, m.id FROM messages m, json_each(m.tags) j WHERE m.tags IS NOT NULL;
        CREATE TABLE webhooks (
            id            TEXT PRIMARY KEY,
            account_id    TEXT NOT NULL REFERENCES accounts(id),
            url           TEXT NOT NULL,
            events        TEXT NOT NULL,
            secret        TEXT NOT NULL,
            created_at    INTEGER NOT NULL,
            failing_since INTEGER,
            disabled_at   INTEGER,
            deleted_at    INTEGER
        );
        CREATE INDEX ix_webhooks_account ON webhooks(account_id);
        CREATE TABLE webhook_deliveries (
            id              INTEGER PRIMARY KEY,
            webhook_id      TEXT NOT NULL REFERENCES webhooks(id),
            event_id        INTEGER NOT NULL,
            message_id      TEXT NOT NULL,
            status          TEXT NOT NULL,
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,
            lease_until     INTEGER,
            last_error      TEXT,
            created_at      INTEGER NOT NULL,
            updated_at      INTEGER NOT NULL
        );
        CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'pending';
        CREATE INDEX ix_webhook_deliveries_order ON webhook_deliveries(webhook_id, message_id, id) WHERE status = 'pending';
        CREATE INDEX ix_webhook_deliveries_age ON webhook_deliveries(created_at);
        CREATE TABLE webhook_cursor (
            id            INTEGER PRIMARY KEY CHECK (id = 1),
            last_event_id INTEGER NOT NULL
        );
        INSERT INTO webhook_cursor (id, last_event_id) SELECT 1, COALESCE(MAX(id), 0) FROM events;
        """,
        // 4: ix_messages_account_created served no query (the message log pages by (account_id, id), ids being
        // time-ordered); every index is one more page written per commit on the hot enqueue path.
        """
        DROP INDEX IF EXISTS ix_messages_account_created;
        """,
        // 5: sending domains of accounts (issue 16): their DKIM keys (private halves sealed with ASP.NET Core Data
        //    Protection), the last DNS check, domain events, and the Data Protection key ring for nodes that share a database.
        """
        CREATE TABLE domains (
            id              TEXT PRIMARY KEY,
            account_id      TEXT NOT NULL REFERENCES accounts(id),
            name            TEXT NOT NULL UNIQUE,
            status          TEXT NOT NULL,
            dmarc_rua       TEXT,
            checks          TEXT,
            last_error      TEXT,
            created_at      INTEGER NOT NULL,
            verified_at     INTEGER,
            checked_at      INTEGER,
            next_check_at   INTEGER NOT NULL,
            check_failures  INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX ix_domains_account ON domains(account_id, name);
        CREATE INDEX ix_domains_due ON domains(next_check_at);
        CREATE TABLE domain_keys (
            id            TEXT PRIMARY KEY,
            domain_id     TEXT NOT NULL REFERENCES domains(id),
            selector      TEXT NOT NULL,
            algorithm     TEXT NOT NULL,
            public_key    TEXT NOT NULL,
            private_key   TEXT NOT NULL,
            state         TEXT NOT NULL,
            created_at    INTEGER NOT NULL,
            activated_at  INTEGER,
            retire_after  INTEGER,
            UNIQUE (domain_id, selector)
        );
        CREATE TABLE domain_events (
            id          INTEGER PRIMARY KEY,
            account_id  TEXT NOT NULL,
            domain_id   TEXT NOT NULL,
            domain      TEXT NOT NULL,
            type        TEXT NOT NULL,
            detail      TEXT,
            created_at  INTEGER NOT NULL
        );
        CREATE INDEX ix_domain_events_account ON domain_events(account_id, id);
        CREATE TABLE data_protection_keys (
            name        TEXT PRIMARY KEY,
            xml         TEXT NOT NULL,
            created_at  INTEGER NOT NULL
        );
        """,
        // 6: secrets the service makes for itself, shared by every node (the unsubscribe token key, sealed with Data Protection).
        """
        CREATE TABLE service_secrets (
            name        TEXT PRIMARY KEY,
            value       TEXT NOT NULL,
            created_at  INTEGER NOT NULL
        );
        """,
        // 7: domain events (domain.verified, domain.failed) reach webhooks through the same outbox: a delivery says which
        //    event table its event_id is in (kind), and the fan-out keeps a second cursor. Events logged before the upgrade
        //    are not sent (the cursor starts at the end), as when webhooks came.
        """
        ALTER TABLE webhook_deliveries ADD COLUMN kind TEXT NOT NULL DEFAULT 'message';
        ALTER TABLE webhook_cursor ADD COLUMN last_domain_event_id INTEGER NOT NULL DEFAULT 0;
        UPDATE webhook_cursor SET last_domain_event_id = (SELECT COALESCE(MAX(id), 0) FROM domain_events);
        """,
        // 8: MTA-STS policies (RFC 8461 §5.1), cached until they expire and shared by every sender.
        """
        CREATE TABLE mta_sts_policies (
            domain      TEXT PRIMARY KEY,
            policy_id   TEXT NOT NULL,
            policy_text TEXT NOT NULL,
            fetched_at  INTEGER NOT NULL,
            expires_at  INTEGER NOT NULL
        );
        """,
        // 9: issue 17 (feedback): the secret behind VERP return-path tokens, one row shared by every
        // node, sealed with Data Protection like the DKIM keys; and the reports the inbound (mx)
        // listener took, each stored before its 250 and processed later by a sender node.
        """
        CREATE TABLE feedback_keys (
            name        TEXT PRIMARY KEY,
            sealed_key  TEXT NOT NULL,
            created_at  INTEGER NOT NULL
        );
        CREATE TABLE inbound_reports (
            id              TEXT PRIMARY KEY,
            received_at     INTEGER NOT NULL,
            remote          TEXT NOT NULL,
            mail_from       TEXT NOT NULL,
            rcpt_to         TEXT NOT NULL,
            raw             BLOB NOT NULL,
            state           TEXT NOT NULL,
            classification  TEXT,
            token_check     TEXT,
            account_id      TEXT,
            message_id      TEXT,
            recipient_id    INTEGER,
            recipient       TEXT,
            effect          TEXT,
            detail          TEXT,
            processed_at    INTEGER
        );
        CREATE INDEX ix_inbound_reports_pending ON inbound_reports(received_at) WHERE state = 'pending';
        CREATE INDEX ix_inbound_reports_message ON inbound_reports(message_id);
        """,
        // 10 onwards: the same DDL on both engines.
        .. SharedMigrationSteps.FromStep10,
    ];

    public static int LatestVersion => AllSteps.Length;

    protected override IReadOnlyList<string> Steps => AllSteps;

    protected override string VersionTable => "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)";

    protected override string DatabaseName => db.FilePath;

    public override async Task ApplyAsync(Func<CancellationToken, Task> whileLocked, CancellationToken ct)
    {
        SqliteIdentity.CheckBeforeOpen(db.FilePath, db.AllowCreate);
        var directory = Path.GetDirectoryName(db.FilePath);
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);

        await using (var connection = new SqliteConnection(db.CreatingConnectionString))
        {
            await connection.OpenAsync(ct);
            await connection.ExecuteAsync(new CommandDefinition("PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;", cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition("PRAGMA journal_mode=WAL;", cancellationToken: ct));
            // Outside the numbered steps: it is the file's, not the schema's.
            db.Identity = SqliteIdentity.Establish(connection, db.FilePath, db.AllowCreate, Clock.GetUtcNow());
            await MigrateAsync(connection, ct);
        }
        await whileLocked(ct);
    }
}
