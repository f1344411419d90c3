-- wrk script: POST the README sample with a unique message id per request, count 2xx.
-- Environment: BENCH_TOKEN (X-Webhook-Token), BENCH_INSTANCE (instanceId), BENCH_PREFIX (id prefix).
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  ok2xx = 0
  non2xx = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Webhook-Token"] = os.getenv("BENCH_TOKEN") or ""
end

local instance = os.getenv("BENCH_INSTANCE") or "bench_instance"
local prefix = os.getenv("BENCH_PREFIX") or "bench"
local chats = 200

function request()
  counter = counter + 1
  local chat = 5511900000000 + ((counter * 7 + tid) % chats)
  local body = string.format(
    '{"instanceId":"%s","key":{"remoteJid":"%d@s.whatsapp.net","fromMe":false,"id":"%s-%d-%d"},' ..
    '"message":{"conversationMessage":{"conversation":"Olá, quero saber o preço 😊 #%d"}},' ..
    '"messageTimestamp":"%d","pushName":"Cliente %d","msgContent":{"conversation":"Olá #%d"}}',
    instance, chat, prefix, tid, counter, counter, os.time(), chat % 1000, counter)
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then ok2xx = ok2xx + 1 else non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local ok, bad = 0, 0
  for _, t in ipairs(threads) do
    ok = ok + t:get("ok2xx")
    bad = bad + t:get("non2xx")
  end
  io.write(string.format("BENCH 2xx=%d non2xx=%d errors=%d requests=%d duration_us=%d p50_us=%d p99_us=%d\n",
    ok, bad, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99)))
end
