-- wrk script for scripts/bench/http-send.sh.
-- BENCH_TARGET=send: POST /v1/send with a 1 KB text message, counting only 202 as success.
-- BENCH_TARGET=live: GET /health/live, counting only 200 as success.
-- Prints one machine-readable line: "RESULT target=.. ok=.. errors=.. rps=.. p50_ms=.. p99_ms=.. statuses=.."

local target = os.getenv("BENCH_TARGET") or "send"
local api_key = os.getenv("BENCH_API_KEY") or ""
local expected = (target == "send") and 202 or 200

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

if target == "send" then
   local text = string.rep("The quick brown fox jumps over the lazy dog. ", 23):sub(1, 1024)
   wrk.method = "POST"
   wrk.path = "/v1/send"
   wrk.body = '{"from":"Bench <bench@app.test>","to":"sink@bench.test","subject":"bench","text":"' .. text .. '"}'
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["Authorization"] = "Bearer " .. api_key
else
   wrk.method = "GET"
   wrk.path = "/health/live"
end

function init(args)
   ok = 0
   errors = 0
   statuses = {}
end

function response(status, headers, body)
   if status == expected then
      ok = ok + 1
   else
      errors = errors + 1
      statuses[status] = (statuses[status] or 0) + 1
      -- Keep the first few error bodies for the report.
      if errors <= 3 then
         io.stderr:write(string.format("non-%d response %d: %s\n", expected, status, (body or ""):sub(1, 200)))
      end
   end
end

function done(summary, latency, requests)
   local total_ok, total_err, merged = 0, 0, {}
   for _, t in ipairs(threads) do
      total_ok = total_ok + t:get("ok")
      total_err = total_err + t:get("errors")
      for k, v in pairs(t:get("statuses")) do merged[k] = (merged[k] or 0) + v end
   end
   local socket_errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
   local parts = {}
   for k, v in pairs(merged) do table.insert(parts, k .. ":" .. v) end
   if socket_errors > 0 then table.insert(parts, "socket:" .. socket_errors) end
   local seconds = summary.duration / 1e6
   io.write(string.format("RESULT target=%s ok=%d errors=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f statuses=%s\n",
      target, total_ok, total_err + socket_errors, total_ok / seconds,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000,
      (#parts > 0) and table.concat(parts, ",") or "-"))
end
