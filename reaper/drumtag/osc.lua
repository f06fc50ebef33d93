-- OSC 1.0 messages <-> Lua values: int32 (i), float32 (f), string (s), blob (b); pure Lua 5.4, no sockets.
--
-- encode("/drumtag/classify", "iis", 0, 7, "/a.wav") -> datagram
-- decode(datagram) -> { address = "/drumtag/result", types = "isssfi...", args = { ... } }
-- A bundle decodes to { bundle = true, elements = { message, ... } } (elements decoded recursively).

local osc = {}

local function pad4(n)
  return (4 - n % 4) % 4
end

local function osc_string(s)
  if s:find("\0", 1, true) then
    error("OSC strings cannot contain NUL bytes", 3)
  end
  return s .. string.rep("\0", 4 - #s % 4)  -- at least one NUL, then pad to 4
end

local function osc_blob(b)
  return string.pack(">i4", #b) .. b .. string.rep("\0", pad4(#b))
end

--- Encode one message. `types` is the OSC type tag string without the comma ("iis").
function osc.encode(address, types, ...)
  assert(type(address) == "string" and address:sub(1, 1) == "/", "OSC address must start with /")
  types = types or ""
  local n = select("#", ...)
  if n ~= #types then
    error(string.format("osc.encode %s: %d type tags but %d arguments", address, #types, n), 2)
  end
  local parts = { osc_string(address), osc_string("," .. types) }
  for i = 1, #types do
    local t, v = types:sub(i, i), select(i, ...)
    if t == "i" then
      v = math.tointeger(v)
      if not v or v < -2147483648 or v > 2147483647 then
        error(string.format("osc.encode %s: argument %d is not an int32", address, i), 2)
      end
      parts[#parts + 1] = string.pack(">i4", v)
    elseif t == "f" then
      parts[#parts + 1] = string.pack(">f", assert(tonumber(v), "float argument expected"))
    elseif t == "s" then
      parts[#parts + 1] = osc_string(tostring(v))
    elseif t == "b" then
      parts[#parts + 1] = osc_blob(v)
    else
      error(string.format("osc.encode %s: unsupported type tag %q", address, t), 2)
    end
  end
  return table.concat(parts)
end

local function read_string(data, pos)
  local nul = data:find("\0", pos, true)
  if not nul then
    error("OSC string is not terminated", 0)
  end
  local s = data:sub(pos, nul - 1)
  local len = nul - pos + 1
  local after = pos + len + pad4(len)
  if after - 1 > #data then
    error("OSC string padding is truncated", 0)
  end
  return s, after
end

local function need(data, pos, n)
  if pos + n - 1 > #data then
    error("OSC packet is truncated", 0)
  end
end

local decode_packet

local function decode_message(data)
  local address, pos = read_string(data, 1)
  if address:sub(1, 1) ~= "/" then
    error("not an OSC message (address " .. string.format("%q", address) .. ")", 0)
  end
  if pos > #data then
    error("OSC message has no type tags", 0)  -- drumtag's server always sends them
  end
  local types
  types, pos = read_string(data, pos)
  if types:sub(1, 1) ~= "," then
    error("OSC type tags must start with ','", 0)
  end
  types = types:sub(2)
  local args = {}
  for i = 1, #types do
    local t = types:sub(i, i)
    local v
    if t == "i" then
      need(data, pos, 4); v, pos = string.unpack(">i4", data, pos)
    elseif t == "f" then
      need(data, pos, 4); v, pos = string.unpack(">f", data, pos)
    elseif t == "h" then
      need(data, pos, 8); v, pos = string.unpack(">i8", data, pos)
    elseif t == "d" then
      need(data, pos, 8); v, pos = string.unpack(">d", data, pos)
    elseif t == "s" or t == "S" then
      v, pos = read_string(data, pos)
    elseif t == "b" then
      need(data, pos, 4)
      local len
      len, pos = string.unpack(">i4", data, pos)
      need(data, pos, len)
      v = data:sub(pos, pos + len - 1)
      pos = pos + len + pad4(len)
    elseif t == "T" then
      v = true
    elseif t == "F" then
      v = false
    elseif t == "N" then
      v = nil
    else
      error("unsupported OSC type tag " .. string.format("%q", t), 0)
    end
    args[i] = v
  end
  return { address = address, types = types, args = args, n = #types }
end

function decode_packet(data)
  if data:sub(1, 8) == "#bundle\0" then
    need(data, 9, 8)
    local elements, pos = {}, 17
    while pos <= #data do
      need(data, pos, 4)
      local size
      size, pos = string.unpack(">i4", data, pos)
      need(data, pos, size)
      elements[#elements + 1] = decode_packet(data:sub(pos, pos + size - 1))
      pos = pos + size
    end
    return { bundle = true, elements = elements }
  end
  return decode_message(data)
end

--- Decode a datagram. Returns the packet, or nil and a message saying why it is not valid OSC.
function osc.decode(data)
  local ok, result = pcall(decode_packet, data)
  if ok then
    return result
  end
  return nil, tostring(result)
end

--- The messages of a decoded packet, bundles flattened, in order.
function osc.messages(packet)
  if not packet.bundle then
    return { packet }
  end
  local out = {}
  for _, element in ipairs(packet.elements) do
    for _, m in ipairs(osc.messages(element)) do
      out[#out + 1] = m
    end
  end
  return out
end

return osc
