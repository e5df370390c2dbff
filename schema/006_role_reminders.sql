-- Hand-off reminders of incident roles (lib/roles.h). A reminder is numbered from the moment a
-- hand-off became due, so (incident, role, stint start, number) names one reminder for good:
-- the leader inserts it before queuing notifications, and a reminder already recorded (by
-- this replica before a restart, or by another one) is not sent again.
CREATE TABLE role_reminders (
    incident_id bigint      NOT NULL REFERENCES incidents (id),
    role        text        NOT NULL,
    stint_from  timestamptz NOT NULL, -- when the holder took the role
    reminder    integer     NOT NULL CHECK (reminder >= 0),
    holder      text        NOT NULL,
    next_holder text, -- the rota's pick; NULL when it had nobody to offer
    sent_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (incident_id, role, stint_from, reminder)
);

-- The outbox also carries hand-off reminders. They are no escalation event: event_id is NULL
-- and escalation_id holds the reminder's key ("incident/7/liaison"), which keeps one role's
-- reminders to one target in order, as an escalation's events are.
ALTER TABLE notification_outbox ALTER COLUMN event_id DROP NOT NULL;
ALTER TABLE notification_log ALTER COLUMN event_id DROP NOT NULL;
