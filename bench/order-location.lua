-- wrk script for bench/order-location.ts: GET /api/orders/<id>/location, cycling over many
-- order ids, with a bearer token. Reads from the environment:
--   BENCH_ORDER_PREFIX  order ids are <prefix><n>
--   BENCH_ORDERS        n runs over 0 .. BENCH_ORDERS-1
--   BENCH_TOKEN         sent as Authorization: Bearer <token> (optional)
-- Requests are built once per thread in init(); done() prints one line starting with
-- "BENCH-RESULT " that the benchmark parses (latencies in microseconds).
local prefix = os.getenv("BENCH_ORDER_PREFIX") or "o-"
local orders = tonumber(os.getenv("BENCH_ORDERS") or "1")
local token = os.getenv("BENCH_TOKEN") or ""
local threads = 0

function setup(thread)
  thread:set("first", threads * 7919)
  threads = threads + 1
end

local requests = {}
local count = 0
local index = 0

function init(args)
  local headers = {}
  if token ~= "" then headers["Authorization"] = "Bearer " .. token end
  for n = 0, orders - 1 do
    requests[n + 1] = wrk.format("GET", "/api/orders/" .. prefix .. n .. "/location", headers)
  end
  count = orders
  index = (first or 0) % count
end

function request()
  index = index + 1
  if index > count then index = 1 end
  return requests[index]
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    "BENCH-RESULT {\"requests\":%d,\"durationUs\":%d,\"bytes\":%d,\"connect\":%d,\"read\":%d,\"write\":%d,\"status\":%d,\"timeout\":%d," ..
    "\"p50\":%d,\"p90\":%d,\"p99\":%d,\"p999\":%d,\"max\":%d,\"mean\":%f}\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean))
end
