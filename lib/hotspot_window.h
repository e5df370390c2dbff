/* SPDX-License-Identifier: MIT */
/* Hotspots of a window of the rollup: reads the window's tickets and a reference from
 * comparable past periods out of the rollup's ticket records, gives each ticket one value per
 * searched dimension, runs the hotspot search (lib/hotspot.h) and writes its answer as JSON;
 * and the window an escalation's hotspots are searched over. Pure: the caller holds the
 * rollup's read lock for the call, and the same rollup gives the same answer.
 *
 * Dimensions searched, in this order: country, region, account_range, tier, platform,
 * app_version, feature_flag. app_minor is left out: it lies between platform and app_version
 * and would add combinations without adding an explanation neither of them gives. region and
 * platform stay although country and app_version refine them, because a cause as broad as a
 * region or a platform should be named once rather than as a list of its countries or versions
 * (a region next to one of its countries explains nothing more, and the search keeps the
 * shorter of two combinations the data cannot tell apart).
 *
 * A ticket with several flags counts under ONE of them: the flag that rose most in the window
 * (the excess of its tickets over its reference, in standard deviations), ties broken by name.
 * So every ticket of a flag that causes the spike counts under that flag, whatever other flags
 * the tickets carry; the same order maps the reference's tickets, so every combination is
 * compared with the same kind of tickets in the past.
 *
 * The reference: the same minutes one to LIA_HOTSPOT_REF_WEEKS weeks before, for each week the
 * rollup still holds whole and that has tickets (weight 1/N for N such weeks; a week before the
 * installation has none and must not dilute the others), which keeps the time of day and the
 * day of the week; and the hours just before the window (4 window lengths, 1 to 24 hours,
 * weighted to one window), which follows what changed since (a version rolled out this week,
 * a flag switched on today). When both are there each weighs half. The search estimates the
 * window's overall level against the reference itself, so a busier hour than the reference's
 * is not a hotspot; only combinations that rose beyond it are. */
#ifndef LIA_HOTSPOT_WINDOW_H
#define LIA_HOTSPOT_WINDOW_H

#include "err.h"
#include "escalation.h"
#include "hotspot.h"
#include "rollup.h"

#include <jansson.h>
#include <stdint.h>

#define LIA_HOTSPOT_REF_WEEKS 4
/* Tickets read at most from the window, and from the reference: a window of more gets
 * LIA_E_TOO_LARGE (choose a shorter window or a filter). */
#define LIA_HOTSPOT_WINDOW_MAX_TICKETS 2000000
/* An escalation's window starts this long before it was first seen, to take in the start of
 * the rise the detector needed a few minutes to confirm, and covers at most the last
 * LIA_HOTSPOT_ESC_MAX_MS. */
#define LIA_HOTSPOT_ESC_LEAD_MS (15 * INT64_C(60000))
#define LIA_HOTSPOT_ESC_MAX_MS  (24 * INT64_C(3600000))
#define LIA_HOTSPOT_ESC_LIMIT   5 /* hotspots listed in an escalation */

/* Searches the tickets created in [from_ms, to_ms) (floored to whole minutes, as in
 * lia_rollup_buckets) that match where (NULL: all) for hotspots with opts (NULL: the
 * defaults of lia_hotspot_opts_default). Returns a new JSON object:
 *   {"from", "to", "observed", "expected", "excess", "scale",
 *    "reference": {"weeks": N (past weeks used), "before_from", "before_to" (the hours
 *    before the window), "tickets" (reference tickets read)},
 *    "combinations", "hotspots": [{"values": {"country": "DE", "app_version": "android 5.2.1"},
 *      "observed", "expected", "excess", "share", "score", "accounts"}, ...]}
 * hotspots best first; figures rounded to 3 decimals; values in the order of the dimensions
 * above. An empty window gives no hotspots. Returns NULL with err on bad opts (LIA_E_BAD_REQUEST
 * naming the option) or a window or reference of more than LIA_HOTSPOT_WINDOW_MAX_TICKETS
 * (LIA_E_TOO_LARGE). Cost: one pass over the records of the window and of the reference, then
 * the search (see lia_hotspot_search). */
json_t *lia_hotspot_window_json(const struct lia_rollup *r, int64_t from_ms, int64_t to_ms,
                                const struct lia_filter *where, const struct lia_hotspot_opts *opts,
                                struct lia_err *err);

/* The window of an escalation first seen at first_seen_ms, at now_ms: from
 * LIA_HOTSPOT_ESC_LEAD_MS before the minute it was first seen to the minute of now_ms (not
 * included, so a window ending at an event's time holds only minutes the detector evaluated),
 * at most LIA_HOTSPOT_ESC_MAX_MS long and at least a minute. */
void lia_hotspot_escalation_window(int64_t first_seen_ms, int64_t now_ms, int64_t *from_ms,
                                   int64_t *to_ms);

/* Sets "hotspots" on esc (an escalation's JSON, lia_escalation_json) to the hotspots of its
 * window at now_ms (at most LIA_HOTSPOT_ESC_LIMIT, as in lia_hotspot_window_json), combining
 * at most max_dims dimensions (hotspots.max_dims). When the
 * search fails, "hotspots" is [] and "hotspots_error" says why. */
void lia_hotspot_escalation_json(const struct lia_rollup *r, unsigned max_dims,
                                 int64_t first_seen_ms, int64_t now_ms, json_t *esc);

/* The JSON of ev (lia_esc_event_json) as it is stored, notified and replayed: an open or a
 * severity event carries the escalation's hotspots at the event's time (escalation.hotspots,
 * as lia_hotspot_escalation_json sets them). Other events carry none: an update, an
 * acknowledgement or a resolution does not change what the escalation is about, and searching
 * on every update would cost a replay its speed. Returns a new value. */
json_t *lia_hotspot_event_json(const struct lia_rollup *r, unsigned max_dims,
                               const struct lia_esc_event *ev);

#endif
