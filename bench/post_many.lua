-- wrk script: like post.lua, for an integrator with many numbers: each request goes to the next
-- client in turn (its instanceId in the body, its token in X-Webhook-Token), a unique message
-- id each, 50 chats per client; counts 2xx.
-- Environment: BENCH_CLIENTS ("instance:token,instance:token,..."), BENCH_PREFIX (id prefix).
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local clients = {}
for instance, token in string.gmatch(os.getenv("BENCH_CLIENTS") or "", "([^:,]+):([^,]+)") do
  table.insert(clients, {instance = instance, token = token})
end
local prefix = os.getenv("BENCH_PREFIX") or "bench"
local chats = 50

function init(args)
  counter = 0
  ok2xx = 0
  non2xx = 0
  wrk.method = "POST"
end

function request()
  counter = counter + 1
  local client = clients[((counter + tid) % #clients) + 1]
  local chat = 5511900000000 + ((counter * 7 + tid) % chats)
  local body = string.format(
    '{"instanceId":"%s","key":{"remoteJid":"%d@s.whatsapp.net","fromMe":false,"id":"%s-%d-%d"},' ..
    '"message":{"conversationMessage":{"conversation":"Olá, quero saber o preço 😊 #%d"}},' ..
    '"messageTimestamp":"%d","pushName":"Cliente %d","msgContent":{"conversation":"Olá #%d"}}',
    client.instance, chat, prefix, tid, counter, counter, os.time(), chat % 1000, counter)
  local headers = {["Content-Type"] = "application/json", ["X-Webhook-Token"] = client.token}
  return wrk.format(nil, nil, headers, body)
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
