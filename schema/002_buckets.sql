-- Buckets: every ticket counts, per minute of its own creation time, in one bucket per
-- dimension (and one per feature flag). The ticket row keeps the keys it currently counts
-- under, so an update that changes a dimension moves its count.
ALTER TABLE tickets ADD COLUMN buckets text[] NOT NULL DEFAULT '{}';

-- Minute counts. Each group commit appends its changes to bucket_deltas in the same
-- transaction as its tickets, one row per minute (an append costs far less than updating
-- hot counter rows);
-- liaisond folds the deltas into bucket_minutes every few seconds. bucket_counts is always
-- the exact sum of both.
CREATE TABLE bucket_minutes (
    dimension text        NOT NULL,
    value     text        NOT NULL,
    minute    timestamptz NOT NULL,
    tickets   integer     NOT NULL,
    PRIMARY KEY (dimension, value, minute)
);
CREATE INDEX bucket_minutes_minute ON bucket_minutes (minute);

-- One row per group commit and minute: keys[i] ("dimension:value") changed by tickets[i].
CREATE TABLE bucket_deltas (
    minute  timestamptz NOT NULL,
    keys    text[]      NOT NULL,
    tickets integer[]   NOT NULL
);

CREATE VIEW bucket_counts AS
SELECT dimension, value, minute, sum(tickets)::integer AS tickets
FROM (SELECT dimension, value, minute, tickets FROM bucket_minutes
      UNION ALL
      SELECT split_part(key, ':', 1), substr(key, strpos(key, ':') + 1), minute, d
      FROM bucket_deltas, unnest(keys, tickets) AS u(key, d)) AS parts
GROUP BY dimension, value, minute
HAVING sum(tickets) <> 0;

-- Accounts that operators load: the tier a ticket counts under when it does not name one,
-- and the contract terms used when an incident puts SLAs at risk.
CREATE TABLE accounts (
    account_id           text PRIMARY KEY,
    name                 text,
    tier                 text,
    sla_response_minutes integer CHECK (sla_response_minutes >= 0),
    uptime_sla           numeric(6, 3) CHECK (uptime_sla >= 0 AND uptime_sla <= 100),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
