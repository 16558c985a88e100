namespace EmailApi.Storage;

/// <summary>
/// Migration steps whose DDL both engines run unchanged (every step from 10 on): written once here and
/// spread into each engine's list, which keeps only the steps where the engines' DDL truly differs.
/// Numbers continue each engine's list; a step is never edited once released, only appended.
/// </summary>
internal static class SharedMigrationSteps
{
    public static readonly string[] FromStep10 =
    [
        // 10: issue 16 point 3: the account default for unsubscribe, a JSON array of tags whose
        // messages get one-click unsubscribe (RFC 8058). NULL (none) for existing accounts, so an
        // upgrade changes no running sender's mail; new accounts start with ["broadcast"].
        """
        ALTER TABLE accounts ADD COLUMN unsubscribe_tags TEXT;
        """,
        // 11: TLS report counts per UTC day (RFC 8460 §4.1), shared by every sender node, and the claim that
        // lets one node send each (day, policy domain) report. '' stands for "no MX host" / "no policy id".
        """
        CREATE TABLE tls_report_counts (
            day             TEXT NOT NULL,
            policy_domain   TEXT NOT NULL,
            policy_type     TEXT NOT NULL,
            policy_id       TEXT NOT NULL,
            result_type     TEXT NOT NULL,
            mx_host         TEXT NOT NULL,
            policy_text     TEXT NOT NULL,
            sessions        BIGINT NOT NULL,
            PRIMARY KEY (day, policy_domain, policy_type, policy_id, result_type, mx_host)
        );
        CREATE TABLE tls_report_claims (
            day             TEXT NOT NULL,
            policy_domain   TEXT NOT NULL,
            node            TEXT NOT NULL,
            claimed_at      BIGINT NOT NULL,
            PRIMARY KEY (day, policy_domain)
        );
        """,
        // 12: issue 17 point 4: what an inbound report changed. A recipient whose status a report set
        // (delivered → bounced or complained, after our own delivery) names that report (report_id: async);
        // its event carries the report's facts as JSON (reporting MTA, status, diagnostic; feedback type,
        // provider); the report records the status it set.
        """
        ALTER TABLE recipients ADD COLUMN report_id TEXT;
        ALTER TABLE events ADD COLUMN report TEXT;
        ALTER TABLE inbound_reports ADD COLUMN recipient_status TEXT;
        """,
        // 13: issue 21: fresh mail and retries in separate due indexes (Postfix's incoming and deferred
        // queues), each with the domain, so the lease takes fresh mail first and skips busy destinations
        // from the index alone, and a large deferred queue costs a lease a bounded window, not a scan.
        """
        CREATE INDEX ix_recipients_fresh ON recipients(next_attempt_at, domain) WHERE status = 'queued';
        CREATE INDEX ix_recipients_retry ON recipients(next_attempt_at, domain) WHERE status = 'deferred';
        DROP INDEX ix_recipients_due;
        """,
        // 14: issue 18 point 3: the SMTP reply of the last attempt kept as its parts beside the line
        // (last_response/detail keep the whole reply as before): the reply code (NULL when no server
        // answered) and the RFC 3463 enhanced status (NULL when the server gave none).
        """
        ALTER TABLE recipients ADD COLUMN last_reply_code BIGINT;
        ALTER TABLE recipients ADD COLUMN last_enhanced_status TEXT;
        ALTER TABLE events ADD COLUMN reply_code BIGINT;
        ALTER TABLE events ADD COLUMN enhanced_status TEXT;
        """,
        // 15: issue 19 follow-up. The console overview reads per-account event counts per closed UTC hour
        // (activity_hours, rolled up once from the append-only events; activity_rollup holds the first hour
        // not yet rolled up) plus the live events since, found by time (ix_events_created). Console
        // sessions ended before their expiry (sign-out) and the short-lived stash that shows a new secret
        // once after a redirect are shared by every node.
        """
        CREATE INDEX ix_events_created ON events(created_at);
        CREATE TABLE activity_hours (
            account_id TEXT NOT NULL,
            hour       BIGINT NOT NULL,
            kind       TEXT NOT NULL,
            count      BIGINT NOT NULL,
            PRIMARY KEY (account_id, hour, kind)
        );
        CREATE TABLE activity_rollup (
            id      INTEGER PRIMARY KEY,
            through BIGINT NOT NULL
        );
        CREATE TABLE console_sessions_ended (
            id         TEXT PRIMARY KEY,
            expires_at BIGINT NOT NULL
        );
        CREATE INDEX ix_console_sessions_ended_expires ON console_sessions_ended(expires_at);
        CREATE TABLE console_stash (
            id         TEXT PRIMARY KEY,
            session_id TEXT NOT NULL,
            value      TEXT NOT NULL,
            expires_at BIGINT NOT NULL
        );
        CREATE INDEX ix_console_stash_expires ON console_stash(expires_at);
        """,
        // 16: issue 21: fresh mail by destination. A lease reads the head of the fresh queue through a
        // bounded window; the mail of other destinations queued behind full ones is found from here,
        // one index seek per domain (BehindFullDestinations), instead of by walking every queued
        // recipient of the full destinations.
        """
        CREATE INDEX ix_recipients_queued_domain ON recipients(domain, next_attempt_at) WHERE status = 'queued';
        """,
    ];
}
