-- POST /api/v1/auth/login with the right password, cycling over many accounts: a
-- morning rush of phones signing in (each login costs an argon2id verification).
-- Arguments: <password> <file of usernames>
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
local common = require("common")

local password, usernames, next_index

setup = common.seed_threads

function init(args)
  common.seed_random()
  password = args[1]
  usernames = common.lines(args[2])
  next_index = math.random(1, #usernames)
end

function request()
  next_index = next_index % #usernames + 1
  return wrk.format("POST", "/api/v1/auth/login", { ["Content-Type"] = "application/json" },
    string.format('{"username":"%s","password":"%s"}', usernames[next_index], password))
end
