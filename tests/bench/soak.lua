-- SPDX-License-Identifier: MIT
-- wrk script for tests/bench/soak.sh: one kind of request at a steady pace. It runs on top of
-- ingest.lua, whose response() and done() count the answers and print the "WRK key=value ..."
-- summary line, so every kind of load is reported the same way.
--
--   wrk -t 1 -c C ... -s soak.lua URL -- KIND RATE [ARGS...]
--     KIND   webhooks ARGS = FILE IDS: the signed requests of FILE.1 (a file or FIFO in
--                     gen_requests' format), each sent once; IDS.1 receives the ticket_id of
--                     every 2xx answer
--            alerts   ARGS = N: Alertmanager webhooks (version 4) for N alerts in turn, each
--                     going firing, firing again (Alertmanager's repeat), resolved, and firing
--                     again later as a new episode; needs -H with the ingest token
--            get      the URL as it is (a dashboard read); needs -H with the read token
--     RATE   requests a second (of the thread, over all its connections): requests start on a
--            fixed schedule, 1/RATE s apart, on whichever connection is free; when none is,
--            the schedule slips rather than sending a burst later. Run with -t 1.

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "ingest.lua")

local ingest_init = init

local ffi = require("ffi")
ffi.cdef [[
struct soak_timespec { long tv_sec; long tv_nsec; };
int clock_gettime(int clock, struct soak_timespec *ts);
]]
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("struct soak_timespec")

local function now_ms()
   ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
   return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

-- Alerts of this thread: the state of alert k is steps[k] (0 firing, 1 repeat, 2 resolved) and
-- its episode's start second starts[k].
local nalerts = 0
local next_alert = 0
local steps = {}
local starts = {}
local countries = {"DE", "US", "FR", "GB", "JP", "BR", "IN", "ES"}
local severities = {"warning", "critical"}
-- wrk.format uses wrk.headers (those of -H) only when given no headers of its own.
local alert_headers = {}

local function rfc3339(t)
   return os.date("!%Y-%m-%dT%H:%M:%SZ", t)
end

local function alert_request()
   local k = next_alert
   next_alert = (next_alert + 1) % nalerts
   local step = steps[k] or 0
   local now = os.time()
   if step == 0 then
      -- A new episode must start after the last one, or it reads as a late repeat.
      starts[k] = math.max(now, (starts[k] or 0) + 1)
   end
   steps[k] = (step + 1) % 3
   local status = step == 2 and "resolved" or "firing"
   local ends = step == 2 and rfc3339(math.max(now, starts[k])) or "0001-01-01T00:00:00Z"
   local name = string.format("SoakAlert%d", k)
   local labels = string.format(
      '{"alertname":"%s","country":"%s","severity":"%s","service":"soak"}',
      name, countries[k % #countries + 1], severities[k % #severities + 1])
   local body = string.format(
      '{"receiver":"liaison","status":"%s","alerts":[{"status":"%s","labels":%s,' ..
      '"annotations":{"summary":"soak alert %d"},"startsAt":"%s","endsAt":"%s",' ..
      '"generatorURL":"http://127.0.0.1:9090/graph","fingerprint":"50a4%04x%08x"}],' ..
      '"groupLabels":{"alertname":"%s"},"commonLabels":%s,"commonAnnotations":{},' ..
      '"externalURL":"http://127.0.0.1:9093","version":"4",' ..
      '"groupKey":"{}:{alertname=\\"%s\\"}","truncatedAlerts":0}',
      status, status, labels, k, rfc3339(starts[k]), ends, thread_no, k, name, labels, name)
   return wrk.format("POST", nil, alert_headers, body)
end

function init(args)
   local kind, rate = args[1], tonumber(args[2])
   if kind == "webhooks" then
      ingest_init({args[3], "once", args[4]})
   elseif kind == "alerts" then
      nalerts = tonumber(args[3])
      for name, value in pairs(wrk.headers) do
         alert_headers[name] = value
      end
      alert_headers["Content-Type"] = "application/json"
      request = alert_request
   elseif kind == "get" then
      local get = wrk.format("GET")
      request = function() return get end
   else
      error("soak.lua: unknown kind " .. tostring(kind))
   end
   -- wrk asks for delay() before every request once the script defines it.
   local spacing = 1000 / rate
   local next_slot = now_ms()
   delay = function()
      local now = now_ms()
      local slot = math.max(next_slot, now)
      next_slot = slot + spacing
      return slot - now
   end
end
