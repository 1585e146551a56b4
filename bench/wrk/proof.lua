-- wrk: GET /v1/proof/inclusion of a random entry at tree size PROOF_SIZE
-- (environment), so no two requests need share a node cached by chance.
local size = tonumber(os.getenv("PROOF_SIZE"))
local counter = 0
function setup(thread)
  thread:set("seed", counter)
  counter = counter + 1
end
function init(args)
  math.randomseed(os.time() + 7919 * (seed or 0))
end
function request()
  return wrk.format("GET", "/v1/proof/inclusion?index=" ..
                    math.random(0, size - 1) .. "&size=" .. size)
end
