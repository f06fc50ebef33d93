-- Assertions for the Lua tests (each raises an error naming what differs).

local check = {}

local function show(v)
  if type(v) == "string" then
    return string.format("%q", v)
  end
  return tostring(v)
end

function check.eq(actual, expected, what)
  if actual ~= expected then
    error(string.format("%s: expected %s, got %s", what or "value", show(expected), show(actual)), 2)
  end
end

function check.ok(cond, what)
  if not cond then
    error(what or "condition failed", 2)
  end
  return cond
end

function check.contains(text, part, what)
  if type(text) ~= "string" or not text:find(part, 1, true) then
    error(string.format("%s: %s not found in:\n%s", what or "text", show(part), tostring(text)), 2)
  end
end

function check.not_contains(text, part, what)
  if type(text) == "string" and text:find(part, 1, true) then
    error(string.format("%s: %s unexpectedly found in:\n%s", what or "text", show(part), tostring(text)), 2)
  end
end

function check.raises(fn, part, what)
  local ok, err = pcall(fn)
  if ok then
    error((what or "call") .. ": expected an error", 2)
  end
  if part and not tostring(err):find(part, 1, true) then
    error(string.format("%s: error %s does not mention %s", what or "call", show(tostring(err)), show(part)), 2)
  end
end

--- Skip the running test with a reason (an error the runner recognises).
function check.skip(reason)
  error(setmetatable({ skip = reason }, { __tostring = function() return "skip: " .. reason end }), 0)
end

return check
