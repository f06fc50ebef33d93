-- The JSON decoder (drumtag.json) on the lines `drumtag send --json` prints.

local check = require("check")
local json = require("drumtag.json")

return {
  { "a result line decodes with numbers, nested objects and key order", function()
    local line = '{"reply": "/drumtag/result", "request_id": 7, "path": "/a b/k.wav", "label": "kick", '
      .. '"confidence": 0.93, "color": 14692651, "probabilities": {"kick": 0.93, "snare": 0.02, '
      .. '"hat": 0.01, "percussion": 0.03, "other": 1e-2}}'
    local obj = assert(json.decode(line))
    check.eq(obj.reply, "/drumtag/result", "reply")
    check.eq(obj.request_id, 7, "int")
    check.eq(math.type(obj.request_id), "integer", "int type")
    check.eq(obj.confidence, 0.93, "float")
    check.eq(obj.color, 14692651, "colour")
    check.eq(obj.probabilities.other, 0.01, "exponent")
    check.eq(table.concat(json.keys(obj.probabilities), ","), "kick,snare,hat,percussion,other", "key order")
  end },

  { "string escapes, \\u escapes and surrogate pairs become UTF-8", function()
    local obj = assert(json.decode('{"p": "C:\\\\Samples\\\\k\\"1\\".wav", "u": "\\u00fc\\u6f22\\ud83e\\udd41", '
      .. '"c": "a\\nb\\tc\\/"}'))
    check.eq(obj.p, 'C:\\Samples\\k"1".wav', "backslashes and quotes")
    check.eq(obj.u, "ü漢🥁", "unicode")
    check.eq(obj.c, "a\nb\tc/", "control escapes")
  end },

  { "arrays, literals and null", function()
    local v = assert(json.decode(' [1, -2.5, true, false, null, [], {}, "x"] '))
    check.eq(v[1], 1, "1")
    check.eq(v[2], -2.5, "-2.5")
    check.eq(v[3], true, "true")
    check.eq(v[4], false, "false")
    check.eq(v[5], json.null, "null")
    check.eq(v[8], "x", "string")
  end },

  { "invalid JSON gives nil and where it went wrong", function()
    for _, text in ipairs({ "", "{", '{"a" 1}', '{"a": 1,}', "[1 2]", '"open', "tru", "{} x", "Traceback (most" }) do
      local v, err = json.decode(text)
      check.eq(v, nil, "value of " .. text)
      check.contains(err, "invalid JSON", "reason for " .. text)
    end
  end },
}
