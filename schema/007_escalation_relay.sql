-- What lets every replica serve the escalation API, not only the detection leader: the state
-- the leader publishes, and the acknowledgements followers take for the leader to apply.

-- One row: GET /v1/escalation as the leader last published it (without "leader" and
-- "handoffs_due"), at once when its version changes and every few seconds otherwise, so
-- published_at tells a follower how old its answer is.
CREATE TABLE escalation_state (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    version bigint NOT NULL,
    body json NOT NULL, -- json, not jsonb: followers answer the leader's text as it was
    published_at timestamptz NOT NULL
);

-- An acknowledgement taken by a follower. The leader applies it, stores the escalation's "ack"
-- event, and only then sets applied_at with the outcome; after a takeover, a pending one whose
-- "ack" event (same who, note and time) is stored is marked without being applied again.
CREATE TABLE escalation_acks (
    id bigserial PRIMARY KEY,
    escalation_id text NOT NULL REFERENCES escalations (id) ON DELETE CASCADE,
    who text NOT NULL,
    note text NOT NULL,
    requested_at timestamptz NOT NULL, -- millisecond precision: the acknowledgement's time
    applied_at timestamptz,
    outcome text CHECK (outcome IN ('acked', 'not_found')),
    reply json, -- acked: the escalation after it, as POST /v1/escalations/{id}/ack answers
    error text  -- not_found: the leader's message
);
CREATE INDEX escalation_acks_pending ON escalation_acks (id) WHERE applied_at IS NULL;
