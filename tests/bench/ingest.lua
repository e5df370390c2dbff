-- SPDX-License-Identifier: MIT
-- wrk script for tests/bench/ingest.sh. Each wrk thread sends the pre-generated requests of its
-- own file (PREFIX.<thread number>, written by gen_requests), so ticket ids never repeat across
-- threads. Records are read one at a time: a decimal length line, then the raw HTTP request.
--
--   wrk ... -s ingest.lua URL -- PREFIX MODE IDS
--     MODE  once: each request is sent at most once; a thread whose file runs out stops
--           cycle: a thread whose file runs out starts it again (for references that store nothing)
--     IDS   prefix of per-thread files receiving the ticket_id of every 2xx answer, or "-"
--
-- done() prints one line "WRK key=value ..." that ingest.sh parses.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_no", #threads)
end

statuses = {}
exhausted = 0
without_id = 0
first_error = ""

local requests
local ids
local cycle = false

function init(args)
   local prefix = args[1]
   cycle = args[2] == "cycle"
   requests = assert(io.open(prefix .. "." .. thread_no, "rb"))
   if args[3] ~= nil and args[3] ~= "-" then
      ids = assert(io.open(args[3] .. "." .. thread_no, "w"))
      ids:setvbuf("full", 65536)
   end
end

function request()
   local len = requests:read("*l")
   if len == nil and cycle then
      requests:seek("set", 0)
      len = requests:read("*l")
   end
   if len == nil then
      -- Sending a ticket twice would measure the duplicate path instead: stop this thread.
      -- wrk still writes whatever request() returns, so return one that stores nothing.
      exhausted = 1
      wrk.thread:stop()
      return "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
   end
   return requests:read(tonumber(len))
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   if status >= 200 and status < 300 then
      if ids ~= nil then
         local id = body:match('"ticket_id"%s*:%s*"?([^",}]+)')
         if id == nil then
            without_id = without_id + 1
         else
            ids:write(id, "\n")
         end
      end
   elseif first_error == "" then
      first_error = status .. " " .. body:sub(1, 200):gsub("%s+", " ")
   end
end

function done(summary, latency, requests_stats)
   local total = {}
   local stopped = 0
   local no_id = 0
   local err = ""
   for _, t in ipairs(threads) do
      for code, n in pairs(t:get("statuses")) do
         total[code] = (total[code] or 0) + n
      end
      stopped = stopped + t:get("exhausted")
      no_id = no_id + t:get("without_id")
      if err == "" then
         err = t:get("first_error")
      end
   end
   local s2xx, s202, other = 0, 0, 0
   local codes = {}
   for code, n in pairs(total) do
      if code >= 200 and code < 300 then
         s2xx = s2xx + n
      else
         other = other + n
      end
      if code == 202 then
         s202 = n
      end
      table.insert(codes, code .. ":" .. n)
   end
   table.sort(codes)
   local e = summary.errors
   io.write(string.format(
      "WRK requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
      "s2xx=%d s202=%d non2xx=%d codes=%s socket_errors=%d timeouts=%d exhausted=%d without_id=%d\n",
      summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      s2xx, s202, other, table.concat(codes, ","), e.connect + e.read + e.write, e.timeout,
      stopped, no_id))
   if err ~= "" then
      io.write("WRK first_error=", err, "\n")
   end
end
