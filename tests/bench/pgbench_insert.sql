-- pgbench reference for tests/bench/ingest.sh: one durable single-row INSERT per transaction of
-- a ticket row shaped like the ones liaisond stores (bench_tickets is created LIKE tickets).
\set r random(1, 4611686018427387903)
INSERT INTO bench_tickets (source, external_id, event_id, created_at, received_at, updated_at,
                           country, region, account_id, tier, platform, app_version,
                           feature_flags, subject, link)
VALUES ('zendesk-bench', 'pgbench-' || :client_id || '-' || :r, 'invocation-' || :r,
        now() - interval '17 minutes',
        now(), now(), 'DE', 'emea', '20481', 'gold', 'android', '5.12.0',
        '{new_checkout_v2,smart_search}', 'App crashes when I open the checkout',
        'https://acme.zendesk.com/agent/tickets/1048213');
