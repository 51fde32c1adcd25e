-- wrk: POST /v1/demands with a bearer token and a fresh Idempotency-Key per request.
-- BENCH_TOKEN and BENCH_CUSTOMER come from the environment.
local counter = 0
local token = os.getenv("BENCH_TOKEN")
local customer = os.getenv("BENCH_CUSTOMER")
local thread_tag = tostring(math.random(1, 1e9))
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
request = function()
  counter = counter + 1
  local body = string.format(
    '{"customer_id":"%s","title":"Benchmark demand %d","problem":"Load test problem statement number %d","kind":"pain_point","severity":3}',
    customer, counter, counter)
  wrk.headers["Idempotency-Key"] = thread_tag .. "-" .. counter
  return wrk.format(nil, "/v1/demands", nil, body)
end
done = function(summary, latency, requests)
  io.write(string.format("BENCH non2xx=%d\n", summary.errors.status))
end
