-- The action scripts as REAPER runs them (each in a fresh Lua with a global `reaper`), and the settings.

local check = require("check")
local fake = require("fake_reaper")
local settings = require("drumtag.settings")
local app = require("drumtag.app")
local udp = require("drumtag.udp")

local here = arg and arg[0] and arg[0]:match("^(.*[/\\])") or "./"

local function absolute(path)
  if path:sub(1, 1) == "/" then
    return path
  end
  local p = io.popen("pwd")
  local cwd = p:read("l")
  p:close()
  return cwd .. "/" .. path
end

local TESTS = absolute(here)
local REAPER_DIR = TESTS .. "../"

--- Run an action script in a new lua5.4 process, from another working directory, with a fake global `reaper`
--- prepared by `setup` (Lua source); returns what `report` (Lua source) prints.
local function run_action(script, setup, report)
  local driver = os.tmpname()
  local f = assert(io.open(driver, "w"))
  f:write(string.format("package.path = %q .. '?.lua;' .. package.path\n", TESTS))
  f:write("local fake = require('fake_reaper')\n")
  f:write("local r, st = fake.new({ inputs = function(...) return true, 'localhost|9100|2.5|n|45|/opt/dt/bin/drumtag' end })\n")
  f:write("reaper = r\n")
  f:write(setup, "\n")
  f:write(string.format("dofile(%q)\n", REAPER_DIR .. script))
  f:write("st.run()\n")
  f:write(report, "\n")
  f:close()
  local p = assert(io.popen("cd / && lua5.4 " .. driver .. " 2>&1"))
  local out = p:read("a")
  local ok = p:close()
  os.remove(driver)
  check.ok(ok, script .. " failed:\n" .. out)
  return out
end

return {
  { "Classify selected items: loads its library from its own folder and asks for a selection", function()
    local out = run_action("drumtag - Classify selected items.lua",
      "st.add_item(st.add_track('A'), '/s/k.wav')", "print(st.messages[1])")
    check.contains(out, "Select the items to classify", "message")
  end },

  { "Classify and route by drum type: same check", function()
    local out = run_action("drumtag - Classify and route by drum type.lua", "", "print(st.messages[1])")
    check.contains(out, "Select the items to classify", "message")
  end },

  { "Restore original take names: restores on the whole project when nothing is selected", function()
    local out = run_action("drumtag - Restore original take names.lua", [[
      local item = st.add_item(st.add_track('A'), '/s/k.wav', { name = 'kick 90%' })
      item.takes[1].ext.drumtag_orig_name = 'Kick A'
      item.takes[1].ext.drumtag_renamed = '1'
      ITEM = item]], "print(ITEM.takes[1].name); print(st.console_text())")
    check.contains(out, "Kick A\n", "name restored")
    check.contains(out, "restored 1 take name in the project", "console")
  end },

  { "Settings: the dialog's answers are validated and saved", function()
    local out = run_action("drumtag - Settings.lua", "", [[
      local e = st.ext.drumtag
      print(e.host, e.port, e.timeout, e.rename, e.unsure, e.command)]])
    check.contains(out, "localhost\t9100\t2.5\tn\t45\t/opt/dt/bin/drumtag", "saved")
  end },

  { "transport choice: LuaSocket first, else drumtag send, else one message saying what to install", function()
    local real_load = udp.load_socket
    local ok, err = pcall(function()
      if real_load(nil) then
        local with_socket = app.choose_transport(fake.new({ exec = function() return "0\n" end }),
          settings.DEFAULTS)
        check.contains(with_socket.name, "OSC to 127.0.0.1:9010", "socket available")
        with_socket:close()
      end
      udp.load_socket = function() return nil, "module 'socket.core' not found" end
      local fallback = app.choose_transport(fake.new({ exec = function() return "0\n" end }), settings.DEFAULTS)
      check.contains(fallback.name, "drumtag send (drumtag)", "fallback")
      local none, message = app.choose_transport(fake.new(), settings.DEFAULTS)
      check.eq(none, nil, "no transport")
      check.contains(message, "Mavriq Lua Sockets", "first option")
      check.contains(message, "pip install . in a checkout of the drumtag repository", "second option")
      check.contains(message, "module 'socket.core' not found", "why")
    end)
    udp.load_socket = real_load
    assert(ok, err)
  end },

  { "settings load with defaults, and bad values are refused with the reason", function()
    local r, st = fake.new()
    local s = settings.load(r)
    check.eq(s.host, "127.0.0.1", "default host")
    check.eq(s.port, 9010, "default port")
    check.eq(s.rename, true, "default rename")
    check.eq(s.unsure, 60, "default unsure below")
    st.ext.drumtag = { port = "70000", timeout = "abc", rename = "n", unsure = "101" }
    s = settings.load(r)
    check.eq(s.port, 9010, "out-of-range port ignored")
    check.eq(s.timeout, 10, "unreadable timeout ignored")
    check.eq(s.rename, false, "rename off")
    check.eq(s.unsure, 60, "out-of-range unsure ignored")
    st.ext.drumtag = { unsure = "0" }
    check.eq(settings.load(r).unsure, 0, "0 turns the mark off")
    local _, why = settings.parse("unsure", "55.5")
    check.contains(why, "unsure below must be a whole percentage from 0 to 100", "unsure refused")
    local answers = "127.0.0.1|0|5|y|60|drumtag"
    local r2, st2 = fake.new({ inputs = function() return true, answers end })
    local ok, err = settings.edit(r2)
    check.eq(ok, nil, "refused")
    check.contains(err, "port must be a whole number from 1 to 65535", "reason")
    check.eq(st2.ext.drumtag, nil, "nothing saved")
  end },
}
