-- wrk: POST /v1/demands with a bearer token and a fresh Idempotency-Key per request.
-- BENCH_TOKEN, BENCH_CUSTOMER and BENCH_RUN (unique per wrk run) come from the environment.
-- The key must not repeat across runs: Lua's unseeded math.random gives every run the same
-- sequence, and a repeated key is answered from the idempotency store without doing the work.
local counter = 0
local token = os.getenv("BENCH_TOKEN")
local customer = os.getenv("BENCH_CUSTOMER")
local run_tag = os.getenv("BENCH_RUN")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
request = function()
  counter = counter + 1
  local body = string.format(
    '{"customer_id":"%s","title":"Benchmark demand %d","problem":"Load test problem statement number %d","kind":"pain_point","severity":3}',
    customer, counter, counter)
  wrk.headers["Idempotency-Key"] = run_tag .. "-" .. counter
  return wrk.format(nil, "/v1/demands", nil, body)
end
done = function(summary, latency, requests)
  io.write(string.format("BENCH non2xx=%d\n", summary.errors.status))
end
