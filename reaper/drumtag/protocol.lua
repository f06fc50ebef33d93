-- The part of drumtag's OSC protocol the REAPER script speaks: requests to send and replies to read.
--
-- The addresses and argument orders mirror oscserver/protocol.py (the single source of truth; a test fails if
-- this script uses an address it does not declare). Both transports turn replies into the same tables:
--   { kind = "pong",   id = 3, version = "0.1.0", model_id = "..." }
--   { kind = "result", id = 7, path = "...", label = "kick", confidence = 0.93, color = 0xE0312B,
--     probabilities = { { class = "kick", p = 0.93 }, ... } }   -- in the model's class order
--   { kind = "error",  id = 7, address = "/drumtag/classify", message = "..." }

local json = require("drumtag.json")
local osc = require("drumtag.osc")

local protocol = {}

protocol.DEFAULT_HOST = "127.0.0.1"
protocol.DEFAULT_PORT = 9010
protocol.REPLY_TO_SOURCE = 0  -- reply_port 0: the server answers the port the request came from

protocol.PING = "/drumtag/ping"
protocol.CLASSIFY = "/drumtag/classify"
protocol.PONG = "/drumtag/pong"
protocol.RESULT = "/drumtag/result"
protocol.ERROR = "/drumtag/error"

--- The datagram of a request: { op = "ping" | "classify", id = n, path = "..." }.
function protocol.encode_request(request)
  if request.op == "ping" then
    return osc.encode(protocol.PING, "ii", protocol.REPLY_TO_SOURCE, request.id)
  elseif request.op == "classify" then
    return osc.encode(protocol.CLASSIFY, "iis", protocol.REPLY_TO_SOURCE, request.id, request.path)
  end
  error("unknown request " .. tostring(request.op))
end

local function typed(message, types)
  return message.types:sub(1, #types) == types
end

--- One decoded OSC message -> a reply table, or nil and the reason it is not a reply this script reads.
function protocol.parse_message(message)
  local a = message.args
  if message.address == protocol.RESULT and typed(message, "issfi") then
    local probabilities = {}
    for i = 6, message.n - 1, 2 do
      if type(a[i]) == "string" and type(a[i + 1]) == "number" then
        probabilities[#probabilities + 1] = { class = a[i], p = a[i + 1] }
      end
    end
    return { kind = "result", id = a[1], path = a[2], label = a[3], confidence = a[4], color = a[5],
             probabilities = probabilities }
  elseif message.address == protocol.ERROR and typed(message, "iss") then
    return { kind = "error", id = a[1], address = a[2], message = a[3] }
  elseif message.address == protocol.PONG and typed(message, "iss") then
    return { kind = "pong", id = a[1], version = a[2], model_id = a[3] }
  end
  return nil, "unexpected reply " .. message.address .. " ," .. message.types
end

--- One datagram -> a list of reply tables (a bundle may hold several); unreadable parts are skipped.
function protocol.parse_datagram(data)
  local packet = osc.decode(data)
  local replies = {}
  if packet then
    for _, message in ipairs(osc.messages(packet)) do
      replies[#replies + 1] = protocol.parse_message(message)
    end
  end
  return replies
end

--- One object printed by `drumtag send --json` -> a reply table (same shape as parse_message's).
function protocol.parse_json_reply(obj)
  if type(obj) ~= "table" then
    return nil, "not a JSON object"
  end
  if obj.reply == protocol.RESULT then
    local probabilities = {}
    if type(obj.probabilities) == "table" then
      for _, class in ipairs(json.keys(obj.probabilities)) do  -- the model's class order, as printed
        probabilities[#probabilities + 1] = { class = class, p = obj.probabilities[class] }
      end
    end
    return { kind = "result", id = obj.request_id, path = obj.path, label = obj.label,
             confidence = obj.confidence, color = obj.color, probabilities = probabilities }
  elseif obj.reply == protocol.ERROR then
    return { kind = "error", id = obj.request_id, address = obj.address, message = obj.message }
  elseif obj.reply == protocol.PONG then
    return { kind = "pong", id = obj.request_id, version = obj.version, model_id = obj.model_id }
  end
  return nil, "unexpected reply " .. tostring(obj.reply)
end

return protocol
