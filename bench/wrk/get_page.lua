-- GET one path again and again as one user, as a supervisor's dashboard reloads a list.
-- Arguments: <token> <path>
local token, path

function init(args)
  token, path = args[1], args[2]
end

function request()
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end
