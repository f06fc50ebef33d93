-- The actions: classify (and optionally route) the items in scope, restore take names, edit settings.
-- Each takes REAPER's API table as its first argument, so tests can pass a fake one.

local exec = require("drumtag.exec")
local items = require("drumtag.items")
local edits = require("drumtag.edits")
local job = require("drumtag.job")
local settings_mod = require("drumtag.settings")
local udp = require("drumtag.udp")

local app = {}

app.TITLE = "drumtag"

--- What to say when the server cannot be reached (`unreachable`) or the fallback command is missing (`not_found`).
function app.messages(s)
  return {
    unreachable = string.format("drumtag serve does not answer on %s:%d.\n\n"
      .. "Start the server in a terminal:\n\n    drumtag serve\n\n"
      .. "(The host and port the script uses are in drumtag - Settings.)", s.host, s.port),
    not_found = "drumtag cannot talk to its server from REAPER. Install one of:\n\n"
      .. "  - Mavriq Lua Sockets (ReaPack: Extensions > ReaPack > Import repositories, add the Mavriq ReaScript "
      .. "Repository, then install mavriq-lua-sockets), or\n"
      .. "  - the drumtag command (pip install . in a checkout of the drumtag repository). If REAPER does not find "
      .. "it, put its full path in "
      .. "drumtag - Settings (now: " .. s.command .. ").\n\n"
      .. "Then start the server in a terminal with: drumtag serve",
  }
end

--- The transport to use: OSC over UDP if a socket library loads, else `drumtag send` through ExecProcess.
--- Returns the transport, or nil and a message saying what to install.
function app.choose_transport(reaper, s)
  local socket, why = udp.load_socket(reaper)
  if socket then
    local transport, err = udp.open(socket, s.host, s.port)
    if transport then
      return transport
    end
    why = err
  end
  if reaper.ExecProcess then
    return exec.new(reaper, s)
  end
  return nil, app.messages(s).not_found .. "\n\n(" .. tostring(why) .. ")"
end

--- Classify the selected items (or the items on the selected tracks); `opts.route` also moves them to a track
--- per class. Returns the running job (nil if there was nothing to do). Tests may pass `opts.transport` and
--- `opts.on_done`.
function app.classify(reaper, opts)
  opts = opts or {}
  local s = settings_mod.load(reaper)
  local list, scope = items.scope(reaper)
  local targets, skipped = items.targets(reaper, list)
  if #targets == 0 then
    local why = #list == 0 and "Select the items to classify, or the tracks that hold them."
      or string.format("None of the %d %s has an audio file to classify.", #list, scope)
    reaper.MB(why, app.TITLE, 0)
    return nil
  end
  local transport, problem = opts.transport, nil
  if not transport then
    transport, problem = app.choose_transport(reaper, s)
  end
  if not transport then
    reaper.MB(problem, app.TITLE, 0)
    return nil
  end
  local run = job.new({ reaper = reaper, transport = transport, targets = targets, skipped = skipped,
                        scope = scope, settings = s, route = opts.route and true or false,
                        messages = app.messages(s), on_done = opts.on_done })
  if reaper.atexit then
    reaper.atexit(function() run:abort() end)
  end
  run:start()
  return run
end

--- Put back the take names drumtag replaced, on the selected items (or every item if none is selected).
function app.restore_names(reaper)
  local list = items.selected(reaper)
  local where = #list > 0 and "the selected items" or "the project"
  if #list == 0 then
    for i = 0, reaper.CountMediaItems(0) - 1 do
      list[#list + 1] = reaper.GetMediaItem(0, i)
    end
  end
  reaper.Undo_BeginBlock()
  reaper.PreventUIRefresh(1)
  local restored = 0
  for _, item in ipairs(list) do
    restored = restored + edits.restore_item(reaper, item)
  end
  reaper.PreventUIRefresh(-1)
  reaper.UpdateArrange()
  reaper.Undo_EndBlock(string.format("drumtag: restore %d take names", restored), -1)
  reaper.ShowConsoleMsg(string.format("drumtag: restored %d take name%s in %s\n", restored,
    restored == 1 and "" or "s", where))
  return restored
end

--- The settings dialog.
function app.edit_settings(reaper)
  local ok, err = settings_mod.edit(reaper)
  if ok == nil then
    reaper.MB("Settings not saved: " .. err, app.TITLE, 0)
  end
  return ok
end

return app
