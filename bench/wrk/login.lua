-- POST /api/v1/auth/login with the right password, cycling over many accounts: a
-- morning rush of phones signing in (each login costs an argon2id verification).
-- Arguments: <password> <file of usernames>
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
local common = require("common")

local password, next_username

setup = common.seed_threads

function init(args)
  common.seed_random()
  password, next_username = args[1], common.cycle(args[2])
end

function request()
  return wrk.format("POST", "/api/v1/auth/login", { ["Content-Type"] = "application/json" },
    string.format('{"username":"%s","password":"%s"}', next_username(), password))
end
