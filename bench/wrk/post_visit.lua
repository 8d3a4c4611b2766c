-- POST /api/v1/visits: one new visit a request, as the phone files them.
-- Arguments: <token> <lat> <lon> <visited_at>
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
local common = require("common")

local token, lat, lon, visited_at

setup = common.seed_threads

function init(args)
  common.seed_random()
  token, lat, lon, visited_at = args[1], tonumber(args[2]), tonumber(args[3]), args[4]
end

function request()
  return wrk.format("POST", "/api/v1/visits", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, common.visit(lat, lon, visited_at))
end
