-- SPDX-License-Identifier: MIT
-- wrk script for tests/bench/read.sh. Requests are the plain GET of the URL (read.sh adds the
-- Authorization header with -H); without a response() callback wrk keeps its full speed, and
-- summary.errors.status still counts every answer outside 2xx and 3xx.
--
-- done() prints one line "WRK key=value ..." that read.sh parses.

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "WRK requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
      "non2xx=%d socket_errors=%d timeouts=%d\n",
      summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      e.status, e.connect + e.read + e.write, e.timeout))
end
