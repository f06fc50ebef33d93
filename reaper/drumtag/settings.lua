-- The script's settings, kept in REAPER's extended state (section "drumtag", saved across sessions).

local settings = {}

settings.SECTION = "drumtag"

--- Defaults: the server's address, seconds to wait for each reply, rename takes, the percent of confidence below
--- which a result is marked unsure (0: never; oscserver/classes.py UNSURE_BELOW, tested), the fallback command.
settings.DEFAULTS = { host = "127.0.0.1", port = 9010, timeout = 10, rename = true, unsure = 60,
                      command = "drumtag" }

local function parse(key, text)
  if key == "port" then
    local n = math.tointeger(tonumber(text))
    if n and n >= 1 and n <= 65535 then
      return n
    end
    return nil, "port must be a whole number from 1 to 65535, not " .. string.format("%q", text)
  elseif key == "timeout" then
    local n = tonumber(text)
    if n and n > 0 and n <= 600 then
      return n
    end
    return nil, "timeout must be a number of seconds above 0 (at most 600), not " .. string.format("%q", text)
  elseif key == "unsure" then
    local n = math.tointeger(tonumber(text))
    if n and n >= 0 and n <= 100 then
      return n
    end
    return nil, "unsure below must be a whole percentage from 0 to 100 (0 marks nothing), not "
      .. string.format("%q", text)
  elseif key == "rename" then
    local t = text:lower()
    if t == "y" or t == "yes" or t == "1" or t == "true" then
      return true
    elseif t == "n" or t == "no" or t == "0" or t == "false" then
      return false
    end
    return nil, "rename takes must be y or n, not " .. string.format("%q", text)
  elseif key == "host" then
    if text:match("^[%w.:%-]+$") then
      return text
    end
    return nil, "host must be a host name or an IP address, not " .. string.format("%q", text)
  end
  return text
end

settings.parse = parse

--- The saved settings, defaults for anything unset or unreadable.
function settings.load(reaper)
  local out = {}
  for key, default in pairs(settings.DEFAULTS) do
    out[key] = default
    local text = reaper.GetExtState(settings.SECTION, key)
    if text ~= nil and text ~= "" then
      local value = parse(key, text)
      if value ~= nil then
        out[key] = value
      end
    end
  end
  return out
end

--- Save settings (persisting across REAPER sessions).
function settings.save(reaper, values)
  for key in pairs(settings.DEFAULTS) do
    local v = values[key]
    if type(v) == "boolean" then
      v = v and "y" or "n"
    end
    reaper.SetExtState(settings.SECTION, key, tostring(v), true)
  end
end

--- Ask for the settings in a dialog; saves them and returns true, or false if cancelled, or nil and an error.
function settings.edit(reaper)
  local current = settings.load(reaper)
  local keys = { "host", "port", "timeout", "rename", "unsure", "command" }
  -- values are separated by "|" (a path may hold commas); captions stay comma-separated
  local captions = "Server host,Server port,Seconds to wait per file,Rename takes (y/n),"
    .. "Mark unsure below % (0 = off),drumtag command (fallback),extrawidth=220,separator=|"
  local values = {}
  for i, key in ipairs(keys) do
    local v = current[key]
    if type(v) == "boolean" then
      v = v and "y" or "n"
    end
    values[i] = tostring(v)
  end
  local ok, answer = reaper.GetUserInputs("drumtag settings", #keys, captions, table.concat(values, "|"))
  if not ok then
    return false
  end
  local fields, new = {}, {}
  for field in (answer .. "|"):gmatch("(.-)|") do
    fields[#fields + 1] = field:match("^%s*(.-)%s*$")
  end
  for i, key in ipairs(keys) do
    local value, err = parse(key, fields[i] or "")
    if value == nil then
      return nil, err
    end
    new[key] = value
  end
  if new.command == "" then
    new.command = settings.DEFAULTS.command
  end
  settings.save(reaper, new)
  return true
end

return settings
