-- Tickets as liaison stores them: only what aggregation needs, plus the raw payload when a
-- source asks for it. One row per (source, helpdesk ticket id).
CREATE TABLE tickets (
    id            bigserial PRIMARY KEY,
    source        text        NOT NULL,
    external_id   text        NOT NULL,
    event_id      text        NOT NULL, -- the delivery that created or last updated it
    created_at    timestamptz NOT NULL,
    received_at   timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    country       text        NOT NULL,
    region        text        NOT NULL,
    account_id    text,
    tier          text,
    platform      text        NOT NULL,
    app_version   text,
    feature_flags text[]      NOT NULL DEFAULT '{}',
    subject       text,
    link          text,
    raw           jsonb,
    UNIQUE (source, external_id)
);

CREATE INDEX tickets_created_at ON tickets (created_at);

-- Every accepted update delivery, so a helpdesk's retry of the same update is recognised. A
-- retried create is recognised by its ticket id (tickets.event_id keeps its delivery id).
CREATE TABLE ticket_events (
    source      text        NOT NULL,
    event_id    text        NOT NULL,
    received_at timestamptz NOT NULL,
    PRIMARY KEY (source, event_id)
);
