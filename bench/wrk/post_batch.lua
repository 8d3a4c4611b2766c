-- POST /api/v1/visits/batch: offline sync, 200 new visits a request.
-- Arguments: <token> <lat> <lon> <visited_at> [batch size]
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
local common = require("common")

local token, lat, lon, visited_at, size

setup = common.seed_threads

function init(args)
  common.seed_random()
  token, lat, lon, visited_at = args[1], tonumber(args[2]), tonumber(args[3]), args[4]
  size = tonumber(args[5] or "200")
end

function request()
  local items = {}
  for i = 1, size do items[i] = common.visit(lat, lon, visited_at) end
  return wrk.format("POST", "/api/v1/visits/batch", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, '{"visits":[' .. table.concat(items, ",") .. "]}")
end
