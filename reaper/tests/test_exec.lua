-- The `drumtag send` transport (drumtag.exec): command lines per system, quoting, output parsing.

local check = require("check")
local exec = require("drumtag.exec")
local fake = require("fake_reaper")

local SETTINGS = { host = "127.0.0.1", port = 9010, timeout = 7, command = "drumtag", rename = true }

--- Run a script the way /bin/sh would, but with a printf stand-in for drumtag: returns the argv it got.
local function sh_argv(script)
  local probe = os.tmpname()
  local f = assert(io.open(probe, "w"))
  -- replace the command with a function printing each argument on its own line
  f:write("drumtag() { for a in \"$@\"; do printf '%s\\n' \"$a\"; done; }\n")
  f:write((script:gsub("exec ", "")))
  f:close()
  local p = assert(io.popen("/bin/sh " .. probe))
  local out = p:read("a")
  p:close()
  os.remove(probe)
  local argv = {}
  for line in out:gmatch("([^\n]*)\n") do
    argv[#argv + 1] = line
  end
  return argv
end

return {
  { "macOS/Linux: every argument reaches drumtag unchanged, whatever the path holds", function()
    local path = "/Users/me/It's a \"kick\" $HOME `x` & ; | * ü.wav"
    local args = exec.arguments("drumtag", SETTINGS, { op = "classify", path = path })
    local argv = sh_argv(exec.sh_script(args))
    local expected = { "send", "--json", "--host", "127.0.0.1", "--port", "9010", "--timeout", "7", "classify", path }
    check.eq(#argv, #expected, "argument count")
    for i, a in ipairs(expected) do
      check.eq(argv[i], a, "argument " .. i)
    end
  end },

  { "Windows: arguments are double-quoted with no shell; a double quote is refused", function()
    local args = exec.arguments("C:\\Program Files\\drumtag\\drumtag.exe", SETTINGS,
      { op = "classify", path = "C:\\Samples\\Kick 01 & 100%.wav" })
    local line = assert(exec.win_command_line(args))
    check.eq(line, '"C:\\Program Files\\drumtag\\drumtag.exe" "send" "--json" "--host" "127.0.0.1" "--port" '
      .. '"9010" "--timeout" "7" "classify" "C:\\Samples\\Kick 01 & 100%.wav"', "command line")
    local bad, err = exec.win_command_line({ "drumtag", 'a"b' })
    check.eq(bad, nil, "refused")
    check.contains(err, "double quote", "reason")
    check.eq(exec.win_quote("C:\\dir\\"), '"C:\\dir\\\\"', "trailing backslash doubled")
  end },

  { "ExecProcess runs /bin/sh on a temporary script on macOS/Linux, and the script is removed", function()
    local seen = {}
    local r = fake.new({ os = "OSX64", exec = function(cmd, timeout)
      seen.cmd, seen.timeout = cmd, timeout
      local script = cmd:match("^/bin/sh (.+)$")
      local f = assert(io.open(script))
      seen.script = f:read("a")
      f:close()
      seen.path = script
      return '0\n{"reply": "/drumtag/pong", "request_id": 55, "version": "0.1.0", "model_id": "m1"}\n'
    end })
    local t = exec.new(r, SETTINGS)
    t:send({ op = "ping", id = 3, timeout = 2 })
    local replies = t:poll()
    check.eq(#replies, 1, "replies")
    check.eq(replies[1].kind, "pong", "kind")
    check.eq(replies[1].id, 3, "id is the job's, not drumtag send's")
    check.eq(replies[1].model_id, "m1", "model")
    check.contains(seen.script, "exec 'drumtag' 'send' '--json'", "script")
    check.contains(seen.script, "2>&1", "stderr kept")
    check.contains(seen.script, "'--timeout' '2'", "the request's own timeout (the ping's is short)")
    check.eq(seen.timeout, 12000, "ExecProcess waits the timeout plus 10 s")
    check.eq(io.open(seen.path), nil, "temporary script removed")
    check.eq(#t:poll(), 0, "nothing queued")
  end },

  { "ExecProcess gets the quoted program directly on Windows", function()
    local cmd
    local r = fake.new({ os = "Win64", exec = function(c)
      cmd = c
      return "0\r\n" .. '{"reply": "/drumtag/result", "request_id": 1, "path": "C:\\\\k.wav", "label": "hat", '
        .. '"confidence": 0.5, "color": 2275558, "probabilities": {"kick": 0.1, "hat": 0.5}}\r\n'
    end })
    local t = exec.new(r, { host = "127.0.0.1", port = 9010, timeout = 5, command = "" })
    t:send({ op = "classify", id = 8, path = "C:\\k.wav" })
    local reply = t:poll()[1]
    check.eq(cmd, '"drumtag" "send" "--json" "--host" "127.0.0.1" "--port" "9010" "--timeout" "5" "classify" '
      .. '"C:\\k.wav"', "command line")
    check.eq(reply.kind, "result", "kind")
    check.eq(reply.label, "hat", "label")
    check.eq(reply.color, 2275558, "colour")
    check.eq(reply.probabilities[1].class, "kick", "model order kept")
  end },

  { "exit codes: 1 is the server's error, 3 a timeout, 127 a missing command", function()
    local err = exec.parse_output(1, '{"reply": "/drumtag/error", "request_id": 4, "address": "/drumtag/classify", '
      .. '"message": "/x.wav: not an audio file"}\n', { op = "classify", id = 2 }, SETTINGS)[1]
    check.eq(err.kind, "error", "error kind")
    check.eq(err.id, 2, "error id")
    check.eq(err.message, "/x.wav: not an audio file", "server message")

    local timeout = exec.parse_output(3, "drumtag send: no reply within 7 s\n", { op = "classify", id = 2 },
      SETTINGS)[1]
    check.eq(timeout.kind, "error", "timeout kind")
    check.contains(timeout.message, "no reply within 7 s", "timeout message")
    check.ok(timeout.unreachable, "timeout flags the server unreachable")

    local missing = exec.parse_output(127, "/tmp/lua_x: 2: exec: drumtag: not found\n", { op = "ping", id = 1 },
      SETTINGS)[1]
    check.ok(missing.not_found, "not found")
    check.contains(missing.message, "drumtag: not found", "shell's message kept")

    local nothing = exec.parse_output(nil, "", { op = "ping", id = 1 }, SETTINGS)[1]
    check.ok(nothing.not_found, "ExecProcess failing to start counts as not found")

    local crash = exec.parse_output(1, "Traceback (most recent call last):\nImportError: no module x\n",
      { op = "classify", id = 1 }, SETTINGS)[1]
    check.contains(crash.message, "exit code 1", "crash code")
    check.contains(crash.message, "ImportError: no module x", "crash text")
  end },

  { "ExecProcess's result string splits into exit code and output", function()
    local code, out = exec.split_result("3\nline1\r\nline2\r\n")
    check.eq(code, 3, "code")
    check.eq(out, "line1\nline2\n", "output")
    check.eq(exec.split_result("0"), 0, "code only")
    check.eq(exec.split_result(nil), nil, "nil")
  end },
}
