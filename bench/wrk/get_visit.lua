-- GET /api/v1/visits/{id} over a list of ids, as a supervisor's dashboard reads them.
-- Arguments: <token> <file of visit ids>
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
local common = require("common")

local token, ids, next_index

setup = common.seed_threads

function init(args)
  common.seed_random()
  token = args[1]
  ids = common.lines(args[2])
  next_index = math.random(1, #ids)
end

function request()
  next_index = next_index % #ids + 1
  return wrk.format("GET", "/api/v1/visits/" .. ids[next_index],
    { ["Authorization"] = "Bearer " .. token })
end
