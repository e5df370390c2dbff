-- One bucket_deltas row per group commit instead of one per minute: parallel arrays, key i
-- changed by tickets[i] in minutes[i]. A group of new tickets then appends the row liaisond
-- computed, without PostgreSQL unnesting and regrouping every ticket's keys. Deltas not yet
-- folded move into bucket_minutes first, so no count is lost.
WITH moved AS (DELETE FROM bucket_deltas RETURNING minute, keys, tickets)
INSERT INTO bucket_minutes AS m (dimension, value, minute, tickets)
SELECT split_part(key, ':', 1), substr(key, strpos(key, ':') + 1), minute, sum(d)
FROM moved, unnest(keys, tickets) AS u(key, d)
GROUP BY 1, 2, 3
ON CONFLICT (dimension, value, minute) DO UPDATE SET tickets = m.tickets + excluded.tickets;

DROP VIEW bucket_counts;
ALTER TABLE bucket_deltas DROP COLUMN minute;
ALTER TABLE bucket_deltas ADD COLUMN minutes timestamptz[] NOT NULL;

CREATE VIEW bucket_counts AS
SELECT dimension, value, minute, sum(tickets)::integer AS tickets
FROM (SELECT dimension, value, minute, tickets FROM bucket_minutes
      UNION ALL
      SELECT split_part(key, ':', 1), substr(key, strpos(key, ':') + 1), minute, d
      FROM bucket_deltas, unnest(minutes, keys, tickets) AS u(minute, key, d)) AS parts
GROUP BY dimension, value, minute
HAVING sum(tickets) <> 0;
