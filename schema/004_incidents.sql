-- The incident workspace: incidents and their timelines. A timeline is append-only: every
-- change (opening, severity, status, an attached escalation, a decision, a note, and kinds
-- added later such as role hand-offs) is a new entry with who and when, and a correction is a
-- new entry that points at the entry it corrects. The incident's state is the fold of its
-- entries; the incidents row only caches it for listing, and is the row writers lock.

CREATE TABLE incidents (
    id          bigserial PRIMARY KEY,
    opened_at   timestamptz NOT NULL,
    -- The cache, rewritten with each entry in the same transaction.
    title       text        NOT NULL,
    severity    smallint    NOT NULL CHECK (severity BETWEEN 1 AND 4),
    status      text        NOT NULL CHECK (status IN ('open', 'mitigated', 'closed')),
    buckets     text[]      NOT NULL DEFAULT '{}',
    escalations text[]      NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL
);
CREATE INDEX incidents_open ON incidents (opened_at) WHERE status <> 'closed';

CREATE TABLE incident_entries (
    id          bigserial PRIMARY KEY,
    incident_id bigint      NOT NULL REFERENCES incidents (id),
    -- open, severity, status, escalation, decision, note; new kinds need no schema change.
    kind        text        NOT NULL CHECK (kind ~ '^[a-z][a-z_-]{0,14}$'),
    at          timestamptz NOT NULL, -- when it happened (a decision's own time)
    recorded_at timestamptz NOT NULL, -- when it was written down
    who         text        NOT NULL,
    corrects    bigint REFERENCES incident_entries (id),
    detail      jsonb       NOT NULL CHECK (jsonb_typeof(detail) = 'object')
);
CREATE INDEX incident_entries_incident ON incident_entries (incident_id, id);

-- Nothing in a timeline is ever rewritten or removed.
CREATE FUNCTION incident_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'incident entries are append-only; record a correction instead';
END;
$$;
CREATE TRIGGER incident_entries_append_only BEFORE UPDATE OR DELETE ON incident_entries
    FOR EACH ROW EXECUTE FUNCTION incident_entries_append_only();
