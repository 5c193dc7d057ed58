-- wrk script of the HTTP benchmarks (scripts/bench.sh http,
-- scripts/bench-scale.sh mixed): single-record POSTs to /api/v1/records
-- with the token in FREMDRIFT_BENCH_TOKEN.
-- Each request is one event record with an id of its own. The request's
-- text is made once per thread (wrk.format) with a ten-character
-- placeholder in the id, so a request costs a string.format and a
-- concatenation, not a wrk.format: wrk runs on the same two cores as what
-- it measures. setup() hands each thread its number as the global
-- "thread_no" (a local would shadow it).
-- FREMDRIFT_BENCH_DELAY_MS, when set, makes each connection wait that
-- long after an answer before its next request (wrk's delay()): 64
-- connections and 64 ms make about 1,000 requests a second, a load that
-- leaves the machine room, where without it wrk sends as fast as it is
-- answered.
local threads = 0
function setup(thread) threads = threads + 1; thread:set("thread_no", threads) end
function init(args)
  n = 0
  -- No six digits in a row anywhere in an id: six that read as a date
  -- and four more digits are CPR-shaped, and such an id is refused.
  local t = os.time()
  local prefix = string.format("w%d-%05dt%05d-", thread_no, math.floor(t / 100000), t % 100000)
  local body = '{"kind":"event","id":"' .. prefix .. '##########","cpr":"610190-1001","course":"B","at":"2026-02-01","type":"meeting","meeting":"conversation","attended":true}'
  local req = wrk.format("POST", "/api/v1/records",
    {["Content-Type"] = "application/x-ndjson",
     ["Authorization"] = "Bearer " .. os.getenv("FREMDRIFT_BENCH_TOKEN")}, body)
  local at = string.find(req, "##########", 1, true)
  head, tail = string.sub(req, 1, at - 1), string.sub(req, at + 10)
end
request = function()
  n = n + 1
  return head .. string.format("%05dx%04d", math.floor(n / 10000), n % 10000) .. tail
end
local pause = tonumber(os.getenv("FREMDRIFT_BENCH_DELAY_MS") or "")
if pause then
  delay = function() return pause end
end
-- FREMDRIFT_BENCH_LATENCY_FILE, when set: done() appends the run's
-- requests and its latency percentiles from 95 to 100 in steps of 0.05,
-- a line "<requests> <percentile> <microseconds>" each, so that several
-- runs can be read as one (scripts/bench-scale.sh mixed: the p99 of every
-- request made during the refresh). latency(i) would give the raw counts,
-- but costs a pass over the whole range for each i.
local latfile = os.getenv("FREMDRIFT_BENCH_LATENCY_FILE")
if latfile and latfile ~= "" then
  done = function(summary, latency, requests)
    local f = assert(io.open(latfile, "a"))
    for k = 0, 99 do
      local p = 95 + k * 0.05
      f:write(string.format("%d %.2f %d\n", summary.requests, p, latency:percentile(p)))
    end
    -- (percentile(100) gives 0; the largest is max)
    f:write(string.format("%d 100.00 %d\n", summary.requests, latency.max))
    f:close()
  end
end
