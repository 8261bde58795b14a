-- wrk script of `tla bench --scenario ingress`. Each wrk thread posts its own file of pre-built, pre-signed, distinct
-- requests (TLA_WRK_REQUESTS.<thread>: for each request a line with its length in bytes, then the raw HTTP request),
-- read as it goes, each request once. Once its file is used up or TLA_WRK_SECONDS have passed since its first
-- request, a thread posts no more: until every request it sent has its answer it keeps its connections busy with
-- GET /health/live (answered 200, counted apart), then stops. So every POST sent is answered and counted, and the
-- broker's record count can be compared with the 202s exactly.
-- wrk itself runs for its whole -d whatever its threads do: a thread that has stopped prints "TLA_WRK_THREAD_DONE",
-- and the benchmark interrupts wrk (SIGINT) once every thread has. The last line printed is "TLA_WRK {json}".

local requestsPath = os.getenv("TLA_WRK_REQUESTS")
local seconds = tonumber(os.getenv("TLA_WRK_SECONDS") or "30")
local threads = {}
local created = 0

function setup(thread)
  created = created + 1
  thread:set("id", created)
  table.insert(threads, thread)
end

function init(args)
  file = assert(io.open(requestsPath .. "." .. id, "rb"))
  filler = wrk.format("GET", "/health/live")
  deadline = nil
  posted = 0
  answered = 0
  accepted = 0
  other = 0
  fillers = 0
  draining = false
  finished = false
  -- wrk calls the first thread's request() once before it starts, only to check what it returns: the first call
  -- of every thread gets the harmless GET, so no request is counted as posted without being sent
  first = true
end

local function finish()
  if not finished then
    finished = true
    io.write("TLA_WRK_THREAD_DONE\n")
    io.stdout:flush()
    wrk.thread:stop()
  end
end

local function nextRequest()
  local length = file:read("*l")
  if length == nil then
    return nil
  end
  return file:read(tonumber(length))
end

function request()
  if first then
    first = false
    return filler
  end
  if not draining then
    deadline = deadline or os.time() + seconds
    local post = os.time() < deadline and nextRequest() or nil
    if post ~= nil then
      posted = posted + 1
      return post
    end
    draining = true
  end
  if answered >= posted then
    finish()
  end
  return filler
end

function response(status, headers, body)
  -- no POST is answered 200 here (no sync-reply registration), so a 200 is the filler's
  if status == 200 then
    fillers = fillers + 1
    return
  end
  answered = answered + 1
  if status == 202 then
    accepted = accepted + 1
  else
    other = other + 1
  end
  if draining and answered >= posted then
    finish()
  end
end

function done(summary, latency, requests)
  local totals = { posted = 0, answered = 0, accepted = 0, other = 0, fillers = 0 }
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do
      totals[name] = totals[name] + thread:get(name)
    end
  end
  io.write(string.format("TLA_WRK {\"posted\":%d,\"answered\":%d,\"accepted\":%d,\"non_202\":%d,\"fillers\":%d,"
      .. "\"requests\":%d,\"duration_us\":%d,\"connect_errors\":%d,\"read_errors\":%d,\"write_errors\":%d,"
      .. "\"timeouts\":%d,\"p50_us\":%d,\"p90_us\":%d,\"p99_us\":%d,\"max_us\":%d}\n",
      totals.posted, totals.answered, totals.accepted, totals.other, totals.fillers, summary.requests,
      summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
