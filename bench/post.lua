-- wrk script: POST the README sample with a unique message id per request.
-- Environment: BENCH_TOKEN (X-Webhook-Token), BENCH_INSTANCE (instanceId), BENCH_PREFIX (id prefix).
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  thread_id = tid
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Webhook-Token"] = os.getenv("BENCH_TOKEN") or ""
end

local instance = os.getenv("BENCH_INSTANCE") or "bench_instance"
local prefix = os.getenv("BENCH_PREFIX") or "bench"
local chats = 200

function request()
  counter = counter + 1
  local chat = 5511900000000 + ((counter * 7 + thread_id) % chats)
  local body = string.format(
    '{"instanceId":"%s","key":{"remoteJid":"%d@s.whatsapp.net","fromMe":false,"id":"%s-%d-%d"},' ..
    '"message":{"conversationMessage":{"conversation":"Olá, quero saber o preço 😊 #%d"}},' ..
    '"messageTimestamp":"%d","pushName":"Cliente %d","msgContent":{"conversation":"Olá #%d"}}',
    instance, chat, prefix, thread_id, counter, counter, os.time(), chat % 1000, counter)
  return wrk.format(nil, nil, nil, body)
end
