-- Drives the script against a running `drumtag serve` (used by tests/test_reaper.py, which starts the server).
--   lua5.4 real_server.lua MODE PORT PATH...     MODE: osc (LuaSocket) or exec:COMMAND (drumtag send)
-- Builds a fake project with one selected item per PATH, runs "classify and route", and prints the result:
--   ITEM <tab> path <tab> item colour <tab> take name <tab> track name     (one line per item)
--   UNDO <tab> undo blocks <tab> edits outside them
--   TRANSPORT <tab> name
--   MESSAGE <tab> text    (a message box, if any)
--   then SUMMARY and the summary text.

local here = arg[0]:match("^(.*[/\\])") or "./"
package.path = here .. "../?.lua;" .. here .. "?.lua;" .. package.path

local fake = require("fake_reaper")
local app = require("drumtag.app")
local exec = require("drumtag.exec")
local settings = require("drumtag.settings")
local udp = require("drumtag.udp")

local mode, port = arg[1], arg[2]
local socket = assert(udp.load_socket(nil), "LuaSocket is needed to time this run")

local function run_command(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("a")
  local _, _, code = p:close()
  return tostring(code) .. "\n" .. out
end

local r, st = fake.new({ clock = socket.gettime, exec = run_command })
st.ext.drumtag = { port = port, timeout = "20" }
local track = st.add_track("Samples")
local paths = {}
for i = 3, #arg do
  paths[#paths + 1] = arg[i]
  st.add_item(track, arg[i], { selected = true, name = "take " .. (i - 2) })
end

local opts = { route = true }
if mode:match("^exec:") then
  st.ext.drumtag.command = mode:sub(6)
  opts.transport = exec.new(r, settings.load(r))
elseif mode ~= "osc" then
  error("MODE must be osc or exec:COMMAND")
end

local run = app.classify(r, opts)
st.run(1000000, function() socket.sleep(0.002) end)

for _, item in ipairs(st.items) do
  local take = item.takes[1]
  print(table.concat({ "ITEM", take.source.file, tostring(item.color), take.name, item.track.name }, "\t"))
end
print(string.format("UNDO\t%d\t%d", #st.undo_blocks, #st.outside_undo))
print("TRANSPORT\t" .. (run and run.transport.name or ""))
for _, m in ipairs(st.messages) do
  print("MESSAGE\t" .. m:gsub("\n", " "))
end
print("SUMMARY")
io.write(run and run.text or "")
