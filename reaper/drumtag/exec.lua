-- The fallback transport: runs the `drumtag send --json` client through reaper.ExecProcess, one request per run.
--
-- ExecProcess waits for the command, so each request blocks REAPER for as long as it takes (the job runs one per
-- defer cycle, so the interface still updates between files). Quoting, per system:
--   * macOS/Linux: the command goes into a temporary /bin/sh script with every argument in single quotes
--     ('\'' for a quote inside), so any path works; ExecProcess only sees `/bin/sh /tmp/lua_XXXXXX`.
--   * Windows: ExecProcess starts the program directly (no cmd.exe, so no %VAR% or & expansion); every argument
--     is put in double quotes. Windows file names cannot contain a double quote, so that is safe; stderr is not
--     captured there, so a failure is reported by its exit code.

local json = require("drumtag.json")
local protocol = require("drumtag.protocol")

local exec = {}

exec.EXIT_OK, exec.EXIT_ERROR_REPLY, exec.EXIT_USAGE, exec.EXIT_TIMEOUT = 0, 1, 2, 3
exec.EXIT_NOT_FOUND = 127  -- /bin/sh: command not found

--- Directories added to PATH on macOS/Linux: apps started from the Dock or a menu get a minimal PATH.
exec.EXTRA_PATH = { "/usr/local/bin", "/opt/homebrew/bin", "$HOME/.local/bin" }

function exec.sh_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

function exec.win_quote(s)
  if s:find('"', 1, true) then
    return nil, "a Windows argument cannot contain a double quote: " .. s
  end
  -- backslashes before the closing quote would escape it: double them there
  return '"' .. s:gsub("(\\+)$", "%1%1") .. '"'
end

--- The argument list of `drumtag send` for a request.
function exec.arguments(command, settings, request)
  local args = { command, "send", "--json", "--host", settings.host, "--port", tostring(settings.port),
                 "--timeout", tostring(request.timeout or settings.timeout) }
  if request.op == "ping" then
    args[#args + 1] = "ping"
  elseif request.op == "classify" then
    args[#args + 1] = "classify"
    args[#args + 1] = request.path
  else
    error("unknown request " .. tostring(request.op))
  end
  return args
end

--- The text of the /bin/sh script that runs `args` (stderr merged into stdout so error messages are kept).
function exec.sh_script(args)
  local quoted = {}
  for i, a in ipairs(args) do
    quoted[i] = exec.sh_quote(a)
  end
  return 'PATH="$PATH:' .. table.concat(exec.EXTRA_PATH, ":") .. '"; export PATH\n'
    .. "exec " .. table.concat(quoted, " ") .. " 2>&1\n"
end

--- The Windows command line for `args`, or nil and the reason.
function exec.win_command_line(args)
  local quoted = {}
  for i, a in ipairs(args) do
    local q, err = exec.win_quote(a)
    if not q then
      return nil, err
    end
    quoted[i] = q
  end
  return table.concat(quoted, " ")
end

--- Split ExecProcess's "exitcode\nstdout" into the code (number or nil) and the output.
function exec.split_result(result)
  if type(result) ~= "string" then
    return nil, ""
  end
  local code, out = result:match("^(%-?%d+)\r?\n(.*)$")
  if not code then
    code = result:match("^(%-?%d+)%s*$")
    out = ""
  end
  return tonumber(code), ((out or ""):gsub("\r\n", "\n"))
end

--- Replies from drumtag send's output and exit code; non-JSON lines are kept as the error text.
function exec.parse_output(code, out, request, settings)
  local replies, text = {}, {}
  for line in out:gmatch("[^\n]+") do
    local obj = line:match("^%s*{") and json.decode(line)
    local reply = obj and protocol.parse_json_reply(obj)
    if reply then
      reply.id = request.id  -- drumtag send picks its own request_id; one request per run
      replies[#replies + 1] = reply
    elseif line:match("%S") then
      text[#text + 1] = line
    end
  end
  local last = text[#text]
  if #replies > 0 and code ~= exec.EXIT_TIMEOUT then
    return replies
  end
  local failure = { kind = "error", id = request.id, address = request.op }
  if code == exec.EXIT_TIMEOUT then
    failure.message = string.format("no reply within %s s (drumtag send timed out; is `drumtag serve` running "
      .. "on %s:%s?)", tostring(request.timeout or settings.timeout), settings.host, tostring(settings.port))
    failure.unreachable = true
  elseif code == exec.EXIT_NOT_FOUND or (last and last:match("not found")) then
    failure.message = "the drumtag command was not found (" .. (last or "exit code 127") .. ")"
    failure.not_found = true
  elseif code == nil then
    failure.message = "could not run the drumtag command"
    failure.not_found = true
  else
    failure.message = string.format("drumtag send failed (exit code %d)%s", code, last and (": " .. last) or "")
    failure.not_found = (code == exec.EXIT_USAGE) or nil
  end
  return { failure }
end

local Transport = {}
Transport.__index = Transport

--- A transport that runs `command` (default "drumtag") through reaper.ExecProcess.
function exec.new(reaper, settings)
  local command = settings.command ~= "" and settings.command or "drumtag"
  return setmetatable({ reaper = reaper, settings = settings, command = command, queue = {}, window = 1,
                        windows = (reaper.GetOS() or ""):match("^Win") ~= nil,
                        name = "drumtag send (" .. command .. ") to " .. settings.host .. ":" .. settings.port },
                      Transport)
end

function Transport:send(request)
  self.queue[#self.queue + 1] = request
  return true
end

--- Run one queued request (this blocks until drumtag send exits) and return its replies.
function Transport:poll()
  local request = table.remove(self.queue, 1)
  if not request then
    return {}
  end
  local args = exec.arguments(self.command, self.settings, request)
  local wait_ms = math.floor(((request.timeout or self.settings.timeout) + 10) * 1000)
  local result
  if self.windows then
    local line, err = exec.win_command_line(args)
    if not line then
      return { { kind = "error", id = request.id, address = request.op, message = err } }
    end
    result = self.reaper.ExecProcess(line, wait_ms)
  else
    local script = os.tmpname()
    local f, err = io.open(script, "w")
    if not f then
      return { { kind = "error", id = request.id, address = request.op,
                 message = "cannot write a temporary script: " .. tostring(err) } }
    end
    f:write(exec.sh_script(args))
    f:close()
    local runner = script:match("^[%w/._-]+$") and script or exec.sh_quote(script)
    result = self.reaper.ExecProcess("/bin/sh " .. runner, wait_ms)
    os.remove(script)
  end
  local code, out = exec.split_result(result)
  return exec.parse_output(code, out, request, self.settings)
end

function Transport:close()
  self.queue = {}
end

return exec
