-- Retention (retention.tickets, retention.raw_payload) removes rows by when liaison received
-- them, a few at a time; these indexes let each batch find its rows without a full scan.
CREATE INDEX tickets_received_at ON tickets (received_at);
CREATE INDEX tickets_raw_received_at ON tickets (received_at) WHERE raw IS NOT NULL;
CREATE INDEX ticket_events_received_at ON ticket_events (received_at);
