-- The mixed workload of bench/load, for wrk (LuaJIT). Every wrk thread has one connection, so
-- on each thread request() and response() strictly alternate: that pairs every answer with the
-- request type that caused it, for a status count and a latency per type. Threads are spread
-- over the API processes (thread.addr), so one wrk run loads them all at once and its latency
-- histogram covers every request.
--
-- Settings come from the environment (setup() runs before init() sees any arguments):
--   LOAD_PORTS          API ports on 127.0.0.1, comma-separated
--   LOAD_KEY            the API key (custom_models:read and :write, no limits)
--   LOAD_FIRST_ID, LOAD_LAST_ID          the organization's seeded models (contiguous ids)
--   LOAD_TARGET_FIRST, LOAD_TARGET_LAST  seeded models in status 1 or 2 that uploads may go to
--   LOAD_CORPUS         a text file whose lines make the training corpora
--   LOAD_WAV, LOAD_WAV_TEXT  a small speech recording and its transcript
--   LOAD_RESULTS        a folder for each thread's answer log

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } load_timespec;
int clock_gettime(int clock, load_timespec *t);
]]
local clock = ffi.new("load_timespec")
local function now_us()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) * 1e6 + tonumber(clock.tv_nsec) / 1e3
end

-- How often each request type is sent, out of the sum: mostly reads, as a client application
-- would (browse the list, open a model, follow its training), with writes mixed in.
local weights = {
  { "list", 30 },         -- GET /custom_models?per_page=..&page=..&filters
  { "get", 25 },          -- GET /custom_models/{id} of any of the organization's models
  { "poll", 20 },         -- GET /custom_models/{id} of a model this client just uploaded to
  { "create", 10 },       -- POST /custom_models (JSON)
  { "upload_text", 10 },  -- PUT /custom_models/{id}/data: a text-only training corpus (multipart)
  { "upload_audio", 5 },  -- PUT /custom_models/{id}/data: a recording with its transcript (multipart)
}
local total_weight = 0
for _, w in ipairs(weights) do total_weight = total_weight + w[2] end

local function env(name)
  local value = os.getenv(name)
  if value == nil or value == "" then error("bench/load.lua needs " .. name) end
  return value
end

local function log_path(n) return env("LOAD_RESULTS") .. "/thread-" .. n .. ".log" end

-- Main state: one connection per thread, threads alternating over the API processes.
local threads = 0
function setup(thread)
  local ports = {}
  for port in env("LOAD_PORTS"):gmatch("%d+") do ports[#ports + 1] = port end
  threads = threads + 1
  local port = ports[(threads - 1) % #ports + 1]
  thread.addr = wrk.lookup("127.0.0.1", port)[1]
  thread:set("thread_number", threads)
  thread:set("port", port)
end

-- Thread state. Answers go to a log file per thread rather than to tables that done() would
-- copy with thread:get(): wrk 4.1 copies scalars safely but corrupts the thread's Lua stack on
-- tables. The log is line-buffered so that it is complete when done() reads it.
local log
local pending                        -- the request sent and not yet answered
local verified = false               -- see request()
local created, uploaded = {}, {}     -- rings of this client's recent model ids
local key_header, host, boundary
local first_id, last_id, target_first, target_last
local text_bodies, audio_body = {}, nil
local languages = { "en", "en", "en", "nl", "de", "fr" }
local base_models = { "general", "medical", "legal", "technical" }
local samples = 0                    -- answers other than 2xx written out in full

local function read_file(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end

local function multipart(parts)
  local out = {}
  for _, p in ipairs(parts) do
    out[#out + 1] = "--" .. boundary .. "\r\n"
    if p.filename then
      out[#out + 1] = 'Content-Disposition: form-data; name="' .. p.name .. '"; filename="' .. p.filename .. '"\r\n'
      out[#out + 1] = "Content-Type: " .. p.type .. "\r\n\r\n"
    else
      out[#out + 1] = 'Content-Disposition: form-data; name="' .. p.name .. '"\r\n\r\n'
    end
    out[#out + 1] = p.data .. "\r\n"
  end
  out[#out + 1] = "--" .. boundary .. "--\r\n"
  return table.concat(out)
end

function init(args)
  math.randomseed(os.time() * 100 + thread_number)
  log = assert(io.open(log_path(thread_number), "w"))
  log:setvbuf("line")
  key_header = "Bearer " .. env("LOAD_KEY")
  host = "127.0.0.1:" .. port
  first_id, last_id = tonumber(env("LOAD_FIRST_ID")), tonumber(env("LOAD_LAST_ID"))
  target_first, target_last = tonumber(env("LOAD_TARGET_FIRST")), tonumber(env("LOAD_TARGET_LAST"))
  boundary = "----bench-load-" .. thread_number

  -- Bodies are built once here, so that the run measures the service, not the Lua.
  local lines = {}
  for line in io.lines(env("LOAD_CORPUS")) do lines[#lines + 1] = line end
  for i = 1, 8 do -- eight corpora of 5 to 12 lines
    local corpus = {}
    for _ = 1, 4 + i do corpus[#corpus + 1] = lines[math.random(#lines)] end
    text_bodies[i] = multipart({
      { name = "type", data = "train" },
      { name = "transcript_file", filename = "notes_" .. i .. ".txt", type = "text/plain", data = table.concat(corpus, "\n") .. "\n" },
    })
  end
  audio_body = multipart({
    { name = "type", data = "train" },
    { name = "audio_file", filename = "dictation.wav", type = "audio/wav", data = read_file(env("LOAD_WAV")) },
    { name = "transcript_file", filename = "dictation.txt", type = "text/plain", data = env("LOAD_WAV_TEXT") .. "\n" },
  })
end

local function pick_type()
  local r = math.random() * total_weight
  for _, w in ipairs(weights) do
    r = r - w[2]
    if r < 0 then return w[1] end
  end
  return weights[#weights][1]
end

local function remember(ring, id)
  ring[#ring % 32 + 1] = id -- the newest 32 ids are kept
end

local function recent(ring)
  if #ring == 0 then return nil end
  return ring[math.random(#ring)]
end

local function headers(content_type)
  local h = { ["Host"] = host, ["Authorization"] = key_header }
  if content_type then h["Content-Type"] = content_type end
  return h
end

local function list_path()
  local q = { "per_page=" .. ({ 10, 25, 25, 50, 100 })[math.random(5)], "page=" .. math.random(4) }
  if math.random() < 0.5 then q[#q + 1] = "status=" .. math.random(5) end
  if math.random() < 0.4 then q[#q + 1] = "language=" .. languages[math.random(#languages)] end
  if math.random() < 0.3 then q[#q + 1] = "base_model=" .. base_models[math.random(#base_models)] end
  return "/api/v3/custom_models?" .. table.concat(q, "&")
end

function request()
  -- wrk calls the first thread's request() once before the run to check that it parses: not sent.
  if thread_number == 1 and not verified then
    verified = true
    return wrk.format("GET", list_path(), headers())
  end
  -- A request without an answer means wrk lost the connection (it reconnects and asks again).
  if pending then log:write(pending.type, " unanswered 0\n") end

  local t, req, id = pick_type(), nil, nil
  if t == "list" then
    req = wrk.format("GET", list_path(), headers())
  elseif t == "get" then
    req = wrk.format("GET", "/api/v3/custom_models/" .. math.random(first_id, last_id), headers())
  elseif t == "poll" then
    id = recent(uploaded) or math.random(target_first, target_last)
    req = wrk.format("GET", "/api/v3/custom_models/" .. id, headers())
  elseif t == "create" then
    local body = string.format('{"name":"Dictation %d-%d","language":"%s","base_model":"%s","description":"Created under load"}',
      thread_number, math.random(1e9), languages[math.random(#languages)], base_models[math.random(#base_models)])
    req = wrk.format("POST", "/api/v3/custom_models", headers("application/json"), body)
  else
    -- To a model this client created (status 1 or 2), or at first to a seeded one: never to a
    -- model in training, so that every upload should succeed.
    id = recent(created) or math.random(target_first, target_last)
    local body = t == "upload_audio" and audio_body or text_bodies[math.random(#text_bodies)]
    req = wrk.format("PUT", "/api/v3/custom_models/" .. id .. "/data", headers("multipart/form-data; boundary=" .. boundary), body)
  end
  pending = { type = t, id = id, start = now_us() }
  return req
end

function response(status, headers, body)
  local p = pending
  pending = nil
  if not p then return end
  log:write(p.type, " ", status, " ", string.format("%.0f", now_us() - p.start), "\n")
  if status < 200 or status >= 300 then
    -- The first few answers that are not 2xx, whole, to see what went wrong.
    if samples < 3 then
      samples = samples + 1
      log:write("sample ", p.type, " ", status, " ", ((body or ""):sub(1, 300):gsub("%s+", " ")), "\n")
    end
    return
  end
  if p.type == "create" then
    local new_id = tonumber(body:match('"id":(%d+)'))
    if new_id then remember(created, new_id) end
  elseif p.type == "upload_text" or p.type == "upload_audio" then
    remember(uploaded, p.id)
  end
end

local function class_of(status)
  if status == "unanswered" then return "unanswered" end
  local s = tonumber(status)
  if s == 429 then return "429" end
  if s >= 200 and s < 300 then return "2xx" end
  if s >= 400 and s < 500 then return "4xx" end
  if s >= 500 then return "5xx" end
  return "other"
end

local function percentile(sorted, q)
  if #sorted == 0 then return 0 end
  return sorted[math.max(1, math.ceil(#sorted * q))]
end

local classes = { "2xx", "4xx", "429", "5xx", "other", "unanswered" }

-- Main state again: the threads' answer logs, merged. A request still in flight when wrk
-- stopped has no line: it had no time to be answered.
function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local by_type, sample_lines = {}, {}
  for _, w in ipairs(weights) do
    by_type[w[1]] = { latencies = {} }
    for _, class in ipairs(classes) do by_type[w[1]][class] = 0 end
  end
  for n = 1, threads do
    for line in io.lines(log_path(n)) do
      if line:sub(1, 7) == "sample " then
        sample_lines[#sample_lines + 1] = line:sub(8)
      else
        local t, status, us = line:match("^(%S+) (%S+) (%S+)$")
        local c = by_type[t]
        local class = class_of(status)
        c[class] = c[class] + 1
        if class ~= "unanswered" then c.latencies[#c.latencies + 1] = tonumber(us) end
      end
    end
  end

  print(string.format("wrk: %d connections (one per thread) over ports %s; %.1f s", threads, os.getenv("LOAD_PORTS"), seconds))
  local row = "%-13s %8s %8s %9s %9s %7s %7s %7s %7s %10s"
  print(string.format(row, "request", "answered", "req/s", "p50 ms", "p99 ms", "2xx", "4xx", "429", "5xx", "unanswered"))
  local all = {}
  for _, class in ipairs(classes) do all[class] = 0 end
  local answered_all = 0
  for _, w in ipairs(weights) do
    local c = by_type[w[1]]
    table.sort(c.latencies)
    for _, class in ipairs(classes) do all[class] = all[class] + c[class] end
    answered_all = answered_all + #c.latencies
    print(string.format(row, w[1], #c.latencies, string.format("%.1f", #c.latencies / seconds),
      string.format("%.2f", percentile(c.latencies, 0.5) / 1000), string.format("%.2f", percentile(c.latencies, 0.99) / 1000),
      c["2xx"], c["4xx"], c["429"], c["5xx"], c.unanswered))
  end
  -- The total's percentiles are wrk's own histogram of every answer.
  print(string.format(row, "all", answered_all, string.format("%.1f", summary.requests / seconds),
    string.format("%.2f", latency:percentile(50) / 1000), string.format("%.2f", latency:percentile(99) / 1000),
    all["2xx"], all["4xx"], all["429"], all["5xx"], all.unanswered))
  local e = summary.errors
  print(string.format("socket errors: connect %d, read %d, write %d, timeout %d; answers neither 2xx, 4xx nor 5xx: %d",
    e.connect, e.read, e.write, e.timeout, all.other))
  for i = 1, math.min(#sample_lines, 10) do print("  " .. sample_lines[i]) end
end
