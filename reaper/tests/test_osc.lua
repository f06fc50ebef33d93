-- OSC encoding and decoding (drumtag.osc) and reply parsing (drumtag.protocol).

local check = require("check")
local osc = require("drumtag.osc")
local protocol = require("drumtag.protocol")

local function hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

return {
  { "a request encodes to the exact OSC 1.0 bytes", function()
    local data = osc.encode("/drumtag/ping", "ii", 0, 7)
    check.eq(hex(data), hex("/drumtag/ping\0\0\0" .. ",ii\0" .. "\0\0\0\0" .. "\0\0\0\7"), "ping bytes")
    check.eq(#data % 4, 0, "length is a multiple of 4")
  end },

  { "strings are NUL-terminated and padded to 4 bytes; floats are big-endian float32", function()
    check.eq(hex(osc.encode("/a", "s", "abcd")), hex("/a\0\0" .. ",s\0\0" .. "abcd\0\0\0\0"), "4-char string")
    check.eq(hex(osc.encode("/a", "s", "")), hex("/a\0\0" .. ",s\0\0" .. "\0\0\0\0"), "empty string")
    check.eq(hex(osc.encode("/a", "f", 0.5)), hex("/a\0\0" .. ",f\0\0" .. "\63\0\0\0"), "0.5")
  end },

  { "encode then decode gives back every argument", function()
    local path = "/Users/me/Samples/Kick 01 (ünïcode) 'quoted'.wav"
    local m = osc.decode(osc.encode("/drumtag/result", "issfisf", 3, path, "kick", 0.75, 0xE0312B, "kick", 0.75))
    check.eq(m.address, "/drumtag/result", "address")
    check.eq(m.types, "issfisf", "types")
    check.eq(m.args[1], 3, "int")
    check.eq(m.args[2], path, "path")
    check.eq(m.args[4], 0.75, "float")
    check.eq(m.args[5], 0xE0312B, "colour")
  end },

  { "negative ints and int32 limits round-trip; out-of-range ints are refused", function()
    local m = osc.decode(osc.encode("/x", "ii", -1, 2147483647))
    check.eq(m.args[1], -1, "-1")
    check.eq(m.args[2], 2147483647, "max")
    check.raises(function() osc.encode("/x", "i", 2 ^ 40) end, "int32")
    check.raises(function() osc.encode("/x", "i", 1.5) end, "int32")
  end },

  { "argument count must match the type tags; NUL in a string is refused", function()
    check.raises(function() osc.encode("/x", "ii", 1) end, "2 type tags but 1 arguments")
    check.raises(function() osc.encode("/x", "s", "a\0b") end, "NUL")
  end },

  { "truncated or malformed packets give nil and a reason, never an error", function()
    local data = osc.encode("/drumtag/pong", "iss", 1, "0.1.0", "model")
    for cut = 1, #data - 1 do
      local m, err = osc.decode(data:sub(1, cut))
      if m then
        -- a cut exactly after the type tags of a shorter message cannot happen here: every cut must fail
        error("decoded a packet cut at " .. cut)
      end
      check.ok(type(err) == "string", "reason at cut " .. cut)
    end
    check.eq(osc.decode("garbage"), nil, "garbage")
  end },

  { "a bundle decodes to its messages in order", function()
    local a = osc.encode("/drumtag/pong", "iss", 1, "v", "m")
    local b = osc.encode("/drumtag/error", "iss", 2, "/drumtag/classify", "boom")
    local bundle = "#bundle\0" .. string.pack(">I8", 1) .. string.pack(">i4", #a) .. a .. string.pack(">i4", #b) .. b
    local replies = protocol.parse_datagram(bundle)
    check.eq(#replies, 2, "replies")
    check.eq(replies[1].kind, "pong", "first")
    check.eq(replies[2].kind, "error", "second")
    check.eq(replies[2].message, "boom", "message")
  end },

  { "requests use reply_port 0 (reply to the source port) and the request id", function()
    local m = osc.decode(protocol.encode_request({ op = "classify", id = 42, path = "/tmp/k.wav" }))
    check.eq(m.address, "/drumtag/classify", "address")
    check.eq(m.types, "iis", "types")
    check.eq(m.args[1], 0, "reply_port")
    check.eq(m.args[2], 42, "request_id")
    check.eq(m.args[3], "/tmp/k.wav", "path")
  end },

  { "a result reply keeps label, confidence, colour and the probabilities in model order", function()
    local data = osc.encode("/drumtag/result", "issfisfsfsf", 9, "/k.wav", "kick", 0.875, 0xE0312B,
      "kick", 0.875, "snare", 0.125, "hat", 0.0)
    local r = protocol.parse_datagram(data)[1]
    check.eq(r.kind, "result", "kind")
    check.eq(r.id, 9, "id")
    check.eq(r.label, "kick", "label")
    check.eq(r.confidence, 0.875, "confidence")
    check.eq(r.color, 0xE0312B, "colour")
    check.eq(#r.probabilities, 3, "pairs")
    check.eq(r.probabilities[2].class, "snare", "second class")
    check.eq(r.probabilities[2].p, 0.125, "second probability")
  end },

  { "replies of another shape are not mistaken for results", function()
    check.eq(#protocol.parse_datagram(osc.encode("/drumtag/result", "is", 1, "x")), 0, "short result")
    check.eq(#protocol.parse_datagram(osc.encode("/drumtag/progress", "iii", 1, 2, 3)), 0, "progress")
  end },
}
