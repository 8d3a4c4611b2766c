-- Shared by the benchmark's wrk scripts: arguments come after `--` on wrk's command line.

local common = {}

-- A random version-4 UUID: ids are made on the phone, so every request brings a new one.
function common.uuid()
  local function hex4() return string.format("%04x", math.random(0, 0xffff)) end
  return hex4() .. hex4() .. "-" .. hex4() .. "-" ..
    string.format("4%03x", math.random(0, 0xfff)) .. "-" ..
    string.format("%x%03x", math.random(8, 11), math.random(0, 0xfff)) .. "-" ..
    hex4() .. hex4() .. hex4()
end

function common.lines(path)
  local out = {}
  for line in io.lines(path) do
    if line ~= "" then out[#out + 1] = line end
  end
  return out
end

-- Returns a function giving the lines of a file in turn, from a random first one, so
-- that wrk's threads do not all start with the same line.
function common.cycle(path)
  local items = common.lines(path)
  local index = math.random(1, #items)
  return function()
    index = index % #items + 1
    return items[index]
  end
end

-- One visit as the phone sends it, at a point in the author's subdistrict.
function common.visit(lat, lon, visited_at)
  return string.format(
    '{"id":"%s","visited_at":"%s","location":{"lat":%.6f,"lon":%.6f,"accuracy_m":12},' ..
    '"target_groups":["elderly","disabled"],"activity":"home_visit","households_visited":1,' ..
    '"people_reached":3,"summary":"เยี่ยมบ้านผู้สูงอายุติดเตียง ประสานหน่วยบริการสาธารณสุขในพื้นที่",' ..
    '"needs":["กายอุปกรณ์"],"follow_up_needed":true}',
    common.uuid(), visited_at, lat, lon)
end

-- Seeds each wrk thread differently, so threads never draw the same ids.
local threads = 0
function common.seed_threads(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function common.seed_random()
  local n = thread_number or 0
  math.randomseed(os.time() * 1000 + n * 7919 + math.floor(os.clock() * 1e6))
end

return common
