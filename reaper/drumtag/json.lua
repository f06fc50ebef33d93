-- A small JSON decoder (RFC 8259) for the lines `drumtag send --json` prints: objects, arrays, strings, numbers,
-- true/false/null. Decoding only; JSON null becomes json.null so object keys are kept.

local json = {}

json.null = setmetatable({}, { __tostring = function() return "null" end })

local key_order = setmetatable({}, { __mode = "k" })  -- object -> its keys in document order

--- The keys of a decoded object in the order the text gave them (Lua tables keep none).
function json.keys(obj)
  return key_order[obj] or {}
end

local escapes = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }

local function fail(text, pos, what)
  error(string.format("invalid JSON at character %d: %s", pos, what), 0)
end

local function skip(text, pos)
  return text:find("[^ \t\r\n]", pos) or #text + 1
end

local decode_value

local function decode_string(text, pos)
  -- pos is at the opening quote
  local parts, i = {}, pos + 1
  while true do
    local j = text:find('["\\%c]', i)
    if not j then
      fail(text, pos, "unterminated string")
    end
    parts[#parts + 1] = text:sub(i, j - 1)
    local c = text:sub(j, j)
    if c == '"' then
      return table.concat(parts), j + 1
    elseif c == "\\" then
      local e = text:sub(j + 1, j + 1)
      if escapes[e] then
        parts[#parts + 1] = escapes[e]
        i = j + 2
      elseif e == "u" then
        local hex = text:match("^%x%x%x%x", j + 2)
        if not hex then
          fail(text, j, "bad \\u escape")
        end
        local cp = tonumber(hex, 16)
        i = j + 6
        if cp >= 0xD800 and cp <= 0xDBFF then
          local low = text:match("^\\u(%x%x%x%x)", i)
          local lo = low and tonumber(low, 16)
          if lo and lo >= 0xDC00 and lo <= 0xDFFF then
            cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00)
            i = i + 6
          else
            cp = 0xFFFD  -- a lone high surrogate
          end
        elseif cp >= 0xDC00 and cp <= 0xDFFF then
          cp = 0xFFFD    -- a lone low surrogate
        end
        parts[#parts + 1] = utf8.char(cp)
      else
        fail(text, j, "bad escape \\" .. e)
      end
    else
      fail(text, j, "control character in string")
    end
  end
end

local function decode_number(text, pos)
  local num = text:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
  if not num or num == "-" then
    fail(text, pos, "bad number")
  end
  local value = math.tointeger(tonumber(num)) or tonumber(num)
  if value == nil then
    fail(text, pos, "bad number " .. num)
  end
  return value, pos + #num
end

local function decode_object(text, pos)
  local obj, keys = {}, {}
  key_order[obj] = keys
  pos = skip(text, pos + 1)
  if text:sub(pos, pos) == "}" then
    return obj, pos + 1
  end
  while true do
    if text:sub(pos, pos) ~= '"' then
      fail(text, pos, "object key expected")
    end
    local key
    key, pos = decode_string(text, pos)
    if obj[key] == nil then
      keys[#keys + 1] = key
    end
    pos = skip(text, pos)
    if text:sub(pos, pos) ~= ":" then
      fail(text, pos, "':' expected")
    end
    obj[key], pos = decode_value(text, skip(text, pos + 1))
    pos = skip(text, pos)
    local c = text:sub(pos, pos)
    if c == "}" then
      return obj, pos + 1
    elseif c ~= "," then
      fail(text, pos, "',' or '}' expected")
    end
    pos = skip(text, pos + 1)
  end
end

local function decode_array(text, pos)
  local arr, n = {}, 0
  pos = skip(text, pos + 1)
  if text:sub(pos, pos) == "]" then
    return arr, pos + 1
  end
  while true do
    n = n + 1
    arr[n], pos = decode_value(text, pos)
    pos = skip(text, pos)
    local c = text:sub(pos, pos)
    if c == "]" then
      return arr, pos + 1
    elseif c ~= "," then
      fail(text, pos, "',' or ']' expected")
    end
    pos = skip(text, pos + 1)
  end
end

local literals = { ["true"] = true, ["false"] = false }

function decode_value(text, pos)
  pos = skip(text, pos)
  local c = text:sub(pos, pos)
  if c == "{" then
    return decode_object(text, pos)
  elseif c == "[" then
    return decode_array(text, pos)
  elseif c == '"' then
    return decode_string(text, pos)
  elseif c:match("[-%d]") then
    return decode_number(text, pos)
  end
  for word, value in pairs(literals) do
    if text:sub(pos, pos + #word - 1) == word then
      return value, pos + #word
    end
  end
  if text:sub(pos, pos + 3) == "null" then
    return json.null, pos + 4
  end
  if pos > #text then
    fail(text, pos, "unexpected end of text")
  end
  fail(text, pos, "unexpected character " .. string.format("%q", c))
end

--- Decode one JSON text. Returns the value, or nil and a message saying where it is not valid JSON.
function json.decode(text)
  local ok, value, pos = pcall(decode_value, text, 1)
  if not ok then
    return nil, value
  end
  pos = skip(text, pos)
  if pos <= #text then
    return nil, string.format("invalid JSON at character %d: trailing text", pos)
  end
  return value
end

return json
