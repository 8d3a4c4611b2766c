-- GET one console page again and again in one signed-in browser session.
-- Arguments: <session cookie value> <path>
local cookie, path

function init(args)
  cookie, path = args[1], args[2]
end

function request()
  return wrk.format("GET", path, { ["Cookie"] = "fw_session=" .. cookie })
end
