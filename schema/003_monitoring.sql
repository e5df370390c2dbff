-- Monitoring alerts, escalations with their event history, and the notification outbox.

-- One row per alert, keyed by Alertmanager's fingerprint (or a signal's id); the latest state.
CREATE TABLE alerts (
    fingerprint text PRIMARY KEY,
    name text NOT NULL DEFAULT '',
    status text NOT NULL CHECK (status IN ('firing', 'resolved')),
    severity smallint NOT NULL DEFAULT 0 CHECK (severity BETWEEN 0 AND 4),
    coverage text[] NOT NULL DEFAULT '{}', -- bucket keys; empty covers every bucket
    labels jsonb NOT NULL DEFAULT '{}',
    annotations jsonb NOT NULL DEFAULT '{}',
    starts_at timestamptz NOT NULL,
    ends_at timestamptz,
    expected_accounts bigint,
    origin text NOT NULL CHECK (origin IN ('alertmanager', 'signal')),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alerts_firing ON alerts (updated_at) WHERE status = 'firing';

-- Every change an alert went through, in arrival order, so detection can be replayed.
CREATE TABLE alert_events (
    id bigserial PRIMARY KEY,
    fingerprint text NOT NULL,
    status text NOT NULL CHECK (status IN ('firing', 'resolved')),
    at timestamptz NOT NULL, -- startsAt when firing, endsAt (or receipt) when resolved
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_events_fingerprint ON alert_events (fingerprint, id);

-- The escalation as last known, and its history.
CREATE TABLE escalations (
    id text PRIMARY KEY,
    reason text NOT NULL,
    state text NOT NULL CHECK (state IN ('open', 'resolved')),
    severity smallint NOT NULL CHECK (severity BETWEEN 0 AND 4),
    first_seen timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    resolved_at timestamptz,
    acked_at timestamptz,
    acked_by text,
    ack_note text,
    body jsonb NOT NULL -- the escalation as GET /v1/escalation shows it
);
CREATE INDEX escalations_open ON escalations (first_seen) WHERE state = 'open';

CREATE TABLE escalation_events (
    id bigserial PRIMARY KEY,
    escalation_id text NOT NULL REFERENCES escalations (id),
    kind text NOT NULL CHECK (kind IN ('open', 'severity', 'update', 'ack', 'resolve')),
    at timestamptz NOT NULL,
    severity_from smallint NOT NULL,
    severity_to smallint NOT NULL,
    body jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX escalation_events_escalation ON escalation_events (escalation_id, id);

-- Notifications to send, written in the same transaction as the escalation event they carry;
-- a row is deleted only after its target accepted it (or it gave up), so a restart resends.
-- A target gets one escalation's events in order: a row waits while an older one of the same
-- target and escalation is still here.
CREATE TABLE notification_outbox (
    id bigserial PRIMARY KEY,
    target text NOT NULL, -- name under "notifications:"
    event_id bigint NOT NULL REFERENCES escalation_events (id),
    escalation_id text NOT NULL,
    body jsonb NOT NULL, -- the escalation event (lia_esc_event_json)
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at);
CREATE INDEX notification_outbox_escalation ON notification_outbox (target, escalation_id, id);

-- Sent (or abandoned) notifications, for the post-incident record; id is the outbox row's.
CREATE TABLE notification_log (
    id bigint PRIMARY KEY,
    target text NOT NULL,
    event_id bigint NOT NULL,
    escalation_id text NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('sent', 'failed')),
    attempts integer NOT NULL,
    last_status integer, -- HTTP status of the last attempt; NULL when none came
    last_error text,
    created_at timestamptz NOT NULL, -- when the outbox row was written
    finished_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_log_escalation ON notification_log (target, escalation_id)
    WHERE outcome = 'sent';
