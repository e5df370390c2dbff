-- SPDX-License-Identifier: MIT
-- wrk script for the database-outage tests (test_spool.c): the paced webhook load of
-- tests/bench/soak.lua, whose ingest.lua writes the ticket_id of every 2xx answer to IDS.<thread>
-- and prints the "WRK key=value ..." summary (answers by status in codes=). On top of that it
-- counts what an outage changes in the answers.
--
--   wrk -t T -c C -d D -s outage.lua URL -- webhooks RATE REQUESTS IDS
--     as soak.lua: REQUESTS.<thread> are gen_requests files, each request sent once, at RATE
--     requests a second per thread
--
-- done() prints a second line "OUTAGE spooled=N retry_after_missing=M": N 2xx answers said
-- "spooled": true (the ticket waits in the spool), M 503 answers came without Retry-After.

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "../bench/soak.lua")

spooled = 0
retry_after_missing = 0

local threads = {}
local soak_setup = setup
local soak_response = response
local soak_done = done

function setup(thread)
   soak_setup(thread)
   table.insert(threads, thread)
end

function response(status, headers, body)
   soak_response(status, headers, body)
   if status >= 200 and status < 300 and body:match('"spooled"%s*:%s*true') then
      spooled = spooled + 1
   elseif status == 503 and headers["Retry-After"] == nil then
      retry_after_missing = retry_after_missing + 1
   end
end

function done(summary, latency, requests)
   soak_done(summary, latency, requests)
   local s, m = 0, 0
   for _, t in ipairs(threads) do
      s = s + t:get("spooled")
      m = m + t:get("retry_after_missing")
   end
   io.write(string.format("OUTAGE spooled=%d retry_after_missing=%d\n", s, m))
end
