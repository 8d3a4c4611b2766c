-- GET /api/v1/visits/{id} over a list of ids, as a supervisor's dashboard reads them.
-- Arguments: <token> <file of visit ids>
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
local common = require("common")

local token, next_id

setup = common.seed_threads

function init(args)
  common.seed_random()
  token, next_id = args[1], common.cycle(args[2])
end

function request()
  return wrk.format("GET", "/api/v1/visits/" .. next_id(),
    { ["Authorization"] = "Bearer " .. token })
end
