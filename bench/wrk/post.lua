-- wrk: POST /v1/entries, each request the next line of BODIES (environment,
-- one pre-signed body per line from `piaojue-bench sign`); with THREADS wrk
-- threads, thread k posts lines k, k+THREADS, ... so no body goes twice.
-- When a thread runs out it reads the checkpoint instead.
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
local bodies = {}
local next_body = 1
function init(args)
  local n = tonumber(os.getenv("THREADS") or "1")
  local i = 0
  for line in io.lines(os.getenv("BODIES")) do
    if i % n == tid then bodies[#bodies + 1] = line end
    i = i + 1
  end
end
function request()
  local b = bodies[next_body]
  next_body = next_body + 1
  if b == nil then return wrk.format("GET", "/tlog/checkpoint") end
  return wrk.format("POST", "/v1/entries",
                    {["Content-Type"] = "application/json"}, b)
end
