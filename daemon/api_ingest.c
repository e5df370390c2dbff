/* SPDX-License-Identifier: MIT */
/* POST /v1/webhooks/{source}: authenticate and parse in lib, queue for group commit, and
 * answer only once the ticket's transaction has committed or its spool record is durable. */
#include "api_ingest.h"
#include "clock.h"
#include "http.h"

#include "bucket.h"
#include "ingest.h"
#include "jsonutil.h"
#include "log.h"
#include "mem.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const struct lia_source *request_source(const struct req *r)
{
    return lia_config_source(r->snap->cfg, r->param);
}

static int webhook_precheck(struct req *r, struct lia_err *err)
{
    const struct lia_source *src = request_source(r);
    if (src == NULL) {
        return lia_err_set(err, LIA_E_UNKNOWN_SOURCE, NULL, "no source named \"%.64s\"", r->param);
    }
    r->log_source = src->name;
    return 0;
}

static const char *header_lookup(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_HEADER_KIND, name);
}

/* Buckets of the item's ticket: its own tier, else the accounts table's. */
static void compute_keys(struct engine *engine, const struct lia_config *cfg,
                         struct ingest_item *item)
{
    const char *tier = item->ticket.tier;
    char stored_tier[LIA_TICKET_MAX_TEXT + 1];
    if (tier == NULL) {
        engine_tier(engine, item->ticket.account_id, stored_tier, sizeof(stored_tier));
        tier = stored_tier[0] != '\0' ? stored_tier : NULL;
    }
    struct lia_bucket_key keys[LIA_BUCKET_KEYS_MAX];
    item->nkeys = lia_bucket_keys(cfg, &item->ticket, tier, keys);
    item->keys = xrealloc(item->keys, item->nkeys * sizeof(*item->keys));
    memcpy(item->keys, keys, item->nkeys * sizeof(*item->keys));
}

static void item_rekey(struct ingest_item *item)
{
    struct req *r = item->rekey_ctx;
    compute_keys(r->app->engine, r->snap->cfg, item);
}

void api_ingest_rekey_replayed(struct ingest_item *item)
{
    struct app *app = item->rekey_ctx;
    struct snapshot *snap = app_snapshot(app);
    compute_keys(app->engine, snap->cfg, item);
    snapshot_release(snap);
}

static void item_done(struct ingest_item *item, void *ctx)
{
    (void)item;
    http_resume(ctx);
}

/* Written directly: a jansson object and its dump cost a dozen allocations a delivery. */
static enum MHD_Result reply_ticket(struct req *r, unsigned status, const char *what,
                                    bool duplicate)
{
    const struct lia_ticket *t = &r->item.ticket;
    struct lia_buf body;
    lia_buf_init(&body, SIZE_MAX / 4);
    lia_buf_printf(&body, "{\"status\":\"%s\",\"duplicate\":%s,\"source\":", what,
                   duplicate ? "true" : "false");
    lia_json_append_string(&body, r->log_source);
    lia_buf_append_str(&body, ",\"ticket_id\":");
    lia_json_append_string(&body, t->external_id);
    lia_buf_append_str(&body, ",\"event_id\":");
    lia_json_append_string(&body, t->event_id);
    lia_buf_append_str(&body, r->item.outcome == INGEST_SPOOLED ? ",\"spooled\":true}" : "}");
    return http_reply_buf(r, status, &body);
}

/* Second call, after the batcher resumed the connection. */
static enum MHD_Result reply_outcome(struct req *r)
{
    switch (r->item.outcome) {
    case INGEST_CREATED:
        return reply_ticket(r, MHD_HTTP_ACCEPTED, "stored", false);
    case INGEST_UPDATED:
        return reply_ticket(r, MHD_HTTP_ACCEPTED, "updated", false);
    case INGEST_DUPLICATE:
        return reply_ticket(r, MHD_HTTP_OK, "duplicate", true);
    case INGEST_SPOOLED:
        return reply_ticket(r, MHD_HTTP_ACCEPTED, "spooled", false);
    case INGEST_UNAVAILABLE:
        return http_reply_error(r, LIA_E_UNAVAILABLE,
                                "the database is unavailable; the ticket was not stored, retry");
    case INGEST_PENDING:
    case INGEST_FAILED:
        break;
    }
    return http_reply_error(r, LIA_E_INTERNAL, "the ticket could not be stored (request %llu)",
                            (unsigned long long)r->id);
}

static enum MHD_Result webhook_handler(struct req *r)
{
    if (r->suspended) {
        return reply_outcome(r);
    }
    const struct lia_source *src = request_source(r);
    struct lia_request lreq = {
        .body = r->body.data != NULL ? r->body.data : "",
        .body_len = r->body.len,
        .header = header_lookup,
        .header_ctx = r->conn,
        .now_ms = clock_wall_ms(),
    };
    struct lia_err err;
    lia_err_clear(&err);
    lia_ticket_init(&r->item.ticket);
    int outcome = lia_ingest_parse(r->snap->cfg, src, &lreq, &r->item.ticket, &err);
    if (outcome < 0) {
        log_emit(LOG_INFO, "req=%llu src=%s code=%s msg=\"rejected delivery\"",
                 (unsigned long long)r->id, src->name, lia_errcode_name(err.code));
        return http_reply_err(r, &err);
    }
    if (outcome == LIA_PARSE_IGNORE) {
        /* A vendor's URL validation (Front's x-front-challenge) wants its value echoed. */
        const char *challenge =
            src->adapter->challenge != NULL ? src->adapter->challenge(src, &lreq) : NULL;
        if (challenge != NULL) {
            return http_reply_json(r, MHD_HTTP_OK, json_pack("{s:s}", "challenge", challenge));
        }
        return http_reply_json(r, MHD_HTTP_OK,
                               json_pack("{s:s, s:s}", "status", "ignored", "reason",
                                         "the delivery carries no ticket event"));
    }
    r->item.source = src->name;
    r->item.received_ms = lreq.now_ms;
    r->item.raw = src->store_raw ? lreq.body : NULL;
    r->item.raw_len = src->store_raw ? lreq.body_len : 0;
    r->item.done = item_done;
    r->item.done_ctx = r;
    r->item.rekey = item_rekey;
    r->item.rekey_ctx = r;
    item_rekey(&r->item);

    /* Suspend before queueing: the batcher may finish before this call returns, and MHD
     * requires a connection to be suspended before it is resumed. */
    http_suspend(r);
    if (batcher_submit(r->app->batcher, &r->item) != BATCHER_QUEUED) {
        r->item.outcome = INGEST_UNAVAILABLE;
        http_resume(r);
    }
    return MHD_YES;
}

const struct route api_ingest_routes[] = {
    {.method = "POST",
     .path = "/v1/webhooks/",
     .has_param = true,
     .json_body = true,
     .precheck = webhook_precheck,
     .handler = webhook_handler},
};
const unsigned api_ingest_route_count = sizeof(api_ingest_routes) / sizeof(api_ingest_routes[0]);
