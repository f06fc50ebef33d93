-- A whole run against a fake REAPER and a scripted transport: selection -> requests, replies -> colours, names
-- and moves in one undo block, errors and timeouts -> the summary.

local check = require("check")
local fake = require("fake_reaper")
local app = require("drumtag.app")

--- REAPER's colour for 0xRRGGBB under the fake's (Windows) ColorToNative, computed here independently.
local function native(rgb)
  local r, g, b = rgb // 0x10000, (rgb // 0x100) % 0x100, rgb % 0x100
  return r + g * 0x100 + b * 0x10000 + 0x1000000
end

local CLASSES = { "kick", "snare", "hat", "percussion", "other" }
-- deliberately not drumtag's default colours: the script must use what the server sends
local COLORS = { kick = 0x102030, snare = 0x405060, hat = 0x708090, percussion = 0xA0B0C0, other = 0xD0E0F0 }

local function result(request, label, confidence)
  local probabilities = {}
  for i, class in ipairs(CLASSES) do
    probabilities[i] = { class = class, p = class == label and confidence or (1 - confidence) / 4 }
  end
  return { kind = "result", id = request.id, path = request.path, label = label, confidence = confidence,
           color = COLORS[label], probabilities = probabilities }
end

--- A transport whose replies come from `answer(request)` (a list of replies, or nil for silence), delivered on
--- the next poll. It records requests and the most requests ever outstanding.
local function scripted(answer, window)
  local t = { name = "scripted transport", window = window or 2, sent = {}, pending = {}, outstanding = 0,
              max_outstanding = 0, closed = false }
  function t:send(request)
    self.sent[#self.sent + 1] = { op = request.op, id = request.id, path = request.path }
    self.outstanding = self.outstanding + 1
    self.max_outstanding = math.max(self.max_outstanding, self.outstanding)
    for _, reply in ipairs(answer(request) or {}) do
      self.pending[#self.pending + 1] = reply
    end
    return true
  end
  function t:poll()
    local out = self.pending
    self.pending = {}
    self.outstanding = self.outstanding - #out
    return out, self.failure
  end
  function t:close()
    self.closed = true
  end
  return t
end

local function pong(request)
  return { { kind = "pong", id = request.id, version = "0.1.0", model_id = "test-model" } }
end

--- Labels by file name: "kick_1.wav" -> kick; names starting "bad" get an error reply, "slow" no reply.
local function by_name(request)
  if request.op == "ping" then
    return pong(request)
  end
  local name = request.path:match("[^/]*$")
  if name:match("^bad") then
    return { { kind = "error", id = request.id, address = "/drumtag/classify",
               message = request.path .. ": not an audio file (cannot decode)" } }
  elseif name:match("^slow") then
    return nil
  end
  local confidence = tonumber(name:match("_c(%d+)")) -- "snare_c54.wav": confidence 0.54
  return { result(request, name:match("^(%a+)"), confidence and confidence / 100 or 0.93) }
end

local function classify(r, transport, opts)
  opts = opts or {}
  return app.classify(r, { route = opts.route, transport = transport })
end

return {
  { "selected items become one classify request per distinct file, after a ping", function()
    local r, st = fake.new()
    local tr = st.add_track("Drums")
    st.add_item(tr, "/s/kick_1.wav", { selected = true })
    st.add_item(tr, "/s/kick_1.wav", { selected = true })
    st.add_item(tr, "/s/snare_1.wav", { selected = true })
    st.add_item(tr, "/s/hat_1.wav")  -- not selected
    local transport = scripted(by_name)
    classify(r, transport)
    st.run()
    check.eq(#transport.sent, 3, "requests")
    check.eq(transport.sent[1].op, "ping", "first a ping")
    check.eq(transport.sent[2].path, "/s/kick_1.wav", "first file")
    check.eq(transport.sent[3].path, "/s/snare_1.wav", "second file")
    check.ok(transport.closed, "transport closed at the end")
  end },

  { "replies colour items with the server's colours and rename takes, in one undo block at the end", function()
    local r, st = fake.new()
    local tr = st.add_track("Drums")
    local kick = st.add_item(tr, "/s/kick_1.wav", { selected = true, name = "Kick One" })
    local hat = st.add_item(tr, "/s/hat_1.wav", { selected = true, name = "HH" })
    local run = classify(r, scripted(by_name))
    check.eq(#st.undo_blocks, 0, "no edits before the replies are in")
    check.eq(kick.color, 0, "not coloured yet")
    st.run()
    check.eq(kick.color, native(COLORS.kick), "kick colour")
    check.eq(hat.color, native(COLORS.hat), "hat colour")
    check.eq(kick.takes[1].name, "kick 93%", "kick take name")
    check.eq(hat.takes[1].name, "hat 93%", "hat take name")
    check.eq(kick.takes[1].ext.drumtag_orig_name, "Kick One", "original name kept")
    check.eq(#st.undo_blocks, 1, "one undo block")
    check.eq(st.undo_blocks[1].desc, "drumtag: classify 2 items", "undo description")
    check.eq(#st.outside_undo, 0, "no edit outside the undo block: " .. table.concat(st.outside_undo, ", "))
    check.eq(kick.track, tr, "not moved without routing")
    check.contains(run.text, "classified 2 of 2 items", "summary")
    check.contains(run.text, "kick 1, hat 1", "counts in model order")
    check.contains(st.console_text(), "renamed 2 takes", "summary shown in the console")
  end },

  { "a result below the unsure setting (60% unless set) gets a muted colour and 'snare? 54%'", function()
    local r, st = fake.new()
    local tr = st.add_track("Drums")
    local sure = st.add_item(tr, "/s/kick_c93.wav", { selected = true })
    local unsure = st.add_item(tr, "/s/snare_c54.wav", { selected = true, take_color = 0x1000001 })
    local edge = st.add_item(tr, "/s/hat_c60.wav", { selected = true })
    local run = classify(r, scripted(by_name), { route = true })
    st.run()
    check.eq(sure.color, native(COLORS.kick), "confident: class colour")
    check.eq(sure.takes[1].name, "kick 93%", "confident: plain name")
    -- 0x405060 halfway to 0x808080, channel by channel: 0x60, 0x68, 0x70
    check.eq(unsure.color, native(0x606870), "unsure: muted colour")
    check.eq(unsure.takes[1].color, native(0x606870), "its take's own colour too")
    check.eq(unsure.takes[1].name, "snare? 54%", "unsure: marked name")
    check.eq(edge.takes[1].name, "hat 60%", "60% is not below 60%")
    check.eq(unsure.track.name, "snare", "routed by its label all the same")
    check.contains(run.text, "1 item unsure (confidence below 60%, muted colour, \"?\" after the class): "
      .. "check them by ear", "summary")
    check.eq(app.restore_names(r), 3, "restore puts back every name, marked or not")
  end },

  { "unsure below 0 marks nothing; with renaming off only the colour marks it", function()
    local r, st = fake.new()
    st.ext.drumtag = { unsure = "0" }
    local item = st.add_item(st.add_track("A"), "/s/snare_c12.wav", { selected = true, name = "mine" })
    local run = classify(r, scripted(by_name))
    st.run()
    check.eq(item.color, native(COLORS.snare), "class colour")
    check.eq(item.takes[1].name, "snare 12%", "no mark")
    check.ok(not run.text:find("unsure"), "no unsure line")
    st.ext.drumtag = { unsure = "50", rename = "n" }
    run = classify(r, scripted(by_name))
    st.run()
    check.eq(item.color, native(0x606870), "muted")
    check.eq(item.takes[1].name, "snare 12%", "name left as it was")
    check.contains(run.text, "1 item unsure (confidence below 50%, muted colour): check them by ear", "summary")
  end },

  { "with renaming off, take names stay", function()
    local r, st = fake.new()
    st.ext.drumtag = { rename = "n" }
    local item = st.add_item(st.add_track("A"), "/s/kick_1.wav", { selected = true, name = "mine" })
    classify(r, scripted(by_name))
    st.run()
    check.eq(item.takes[1].name, "mine", "name")
    check.eq(item.color, native(COLORS.kick), "still coloured")
  end },

  { "a take with its own colour is recoloured too (it would hide the item's)", function()
    local r, st = fake.new()
    local item = st.add_item(st.add_track("A"), "/s/snare_1.wav", { selected = true, take_color = 0x1000001 })
    classify(r, scripted(by_name))
    st.run()
    check.eq(item.takes[1].color, native(COLORS.snare), "take colour")
  end },

  { "routing moves items to tracks named after their class, creating missing ones in model order", function()
    local r, st = fake.new()
    local src = st.add_track("Loops")
    local existing = st.add_track("  Snare ")  -- matched ignoring case and spaces
    local hat = st.add_item(src, "/s/hat_1.wav", { selected = true })
    local kick = st.add_item(src, "/s/kick_1.wav", { selected = true })
    local snare = st.add_item(src, "/s/snare_1.wav", { selected = true })
    local snare2 = st.add_item(existing, "/s/snare_2.wav", { selected = true })
    local run = classify(r, scripted(by_name), { route = true })
    st.run()
    check.eq(#st.tracks, 4, "two tracks created")
    check.eq(st.tracks[3].name, "kick", "kick first (model order)")
    check.eq(st.tracks[4].name, "hat", "then hat")
    check.eq(st.tracks[3].color, native(COLORS.kick), "new track coloured")
    check.eq(kick.track, st.tracks[3], "kick moved")
    check.eq(hat.track, st.tracks[4], "hat moved")
    check.eq(snare.track, existing, "snare moved to the existing track")
    check.eq(snare2.track, existing, "already there")
    check.eq(st.count("MoveMediaItemToTrack"), 3, "moves")
    check.eq(#st.undo_blocks, 1, "one undo block")
    check.eq(#st.outside_undo, 0, "nothing outside it")
    check.eq(st.undo_blocks[1].desc, "drumtag: classify and route 4 items", "undo description")
    check.contains(run.text, "moved 3 items to their class tracks; created tracks: kick, hat", "summary")
  end },

  { "error replies and timeouts are listed in the summary and those items are left alone", function()
    local r, st = fake.new()
    local tr = st.add_track("A")
    local good = st.add_item(tr, "/s/kick_1.wav", { selected = true })
    local bad = st.add_item(tr, "/s/bad.wav", { selected = true, name = "bad" })
    local slow = st.add_item(tr, "/s/slow.wav", { selected = true, name = "slow" })
    local run = classify(r, scripted(by_name))
    st.run()
    check.eq(good.color, native(COLORS.kick), "good coloured")
    check.eq(bad.color, 0, "failed item not coloured")
    check.eq(slow.color, 0, "timed-out item not coloured")
    check.eq(bad.takes[1].name, "bad", "failed item not renamed")
    check.contains(run.text, "classified 1 of 3 items", "count")
    check.contains(run.text, "failed 2 files:", "failures")
    check.contains(run.text, "\n    /s/bad.wav: not an audio file (cannot decode)\n", "server's reason")
    check.contains(run.text, "/s/slow.wav: no reply within 10 s (timeout)", "timeout")
    check.ok(st.virtual_time >= 1010, "waited for the timeout")
    check.eq(#st.undo_blocks, 1, "one undo block")
  end },

  { "a reply that comes after its timeout is ignored", function()
    local r, st = fake.new()
    local item = st.add_item(st.add_track("A"), "/s/slow_kick.wav", { selected = true })
    local transport = scripted(by_name)
    local late
    local original_send = transport.send
    function transport:send(request)
      if request.op == "classify" then
        late = request
      end
      return original_send(self, request)
    end
    local run = classify(r, transport)
    st.run(nil, function(s)
      if late and s.virtual_time > 1015 then  -- long after the 10 s timeout
        table.insert(transport.pending, result(late, "kick", 0.9))
        late = nil
      end
    end)
    check.eq(item.color, 0, "not coloured")
    check.contains(run.text, "no reply within 10 s", "timeout reported")
  end },

  { "never more requests in flight than the transport's window", function()
    local r, st = fake.new()
    local tr = st.add_track("A")
    for i = 1, 12 do
      st.add_item(tr, "/s/kick_" .. i .. ".wav", { selected = true })
    end
    local transport = scripted(by_name, 3)
    classify(r, transport)
    st.run()
    check.eq(#transport.sent, 13, "all sent")
    check.eq(transport.max_outstanding, 3, "window")
    check.ok(st.cycles > 4, "spread over defer cycles")
  end },

  { "with no selected items, the items on the selected tracks are classified", function()
    local r, st = fake.new()
    local a = st.add_track("A", true)
    local b = st.add_track("B")
    local on_a = st.add_item(a, "/s/kick_1.wav")
    local on_b = st.add_item(b, "/s/hat_1.wav")
    local run = classify(r, scripted(by_name))
    st.run()
    check.eq(on_a.color, native(COLORS.kick), "item on selected track")
    check.eq(on_b.color, 0, "item on other track")
    check.contains(run.text, "items on the selected tracks", "scope in summary")
  end },

  { "nothing selected: one message and no request", function()
    local r, st = fake.new()
    st.add_item(st.add_track("A"), "/s/kick_1.wav")
    local transport = scripted(by_name)
    classify(r, transport)
    st.run()
    check.eq(#transport.sent, 0, "no request")
    check.eq(#st.messages, 1, "one message")
    check.contains(st.messages[1], "Select the items to classify", "message")
  end },

  { "MIDI and empty items are skipped and listed; section sources use their parent file", function()
    local r, st = fake.new()
    local tr = st.add_track("A")
    st.add_item(tr, nil, { selected = true, midi = true, name = "Bassline" })
    st.add_item(tr, nil, { selected = true, empty = true })
    local section = st.add_item(tr, "/s/kick_9.wav", { selected = true, section = true })
    local transport = scripted(by_name)
    local run = classify(r, transport)
    st.run()
    check.eq(transport.sent[2].path, "/s/kick_9.wav", "parent file requested")
    check.eq(section.color, native(COLORS.kick), "section item coloured")
    check.contains(run.text, "skipped 2 items:", "skipped")
    check.contains(run.text, '"Bassline": MIDI, not audio', "MIDI reason")
    check.contains(run.text, "no take", "empty reason")
  end },

  { "no answer to the ping: one message saying to start the server, nothing changed", function()
    local r, st = fake.new()
    local item = st.add_item(st.add_track("A"), "/s/kick_1.wav", { selected = true })
    local transport = scripted(function() return nil end)
    classify(r, transport)
    st.run()
    check.eq(#transport.sent, 1, "only the ping")
    check.eq(#st.messages, 1, "one message")
    check.contains(st.messages[1], "drumtag serve does not answer on 127.0.0.1:9010", "message")
    check.contains(st.messages[1], "drumtag serve", "how to start it")
    check.eq(#st.undo_blocks, 0, "no undo block")
    check.eq(item.color, 0, "nothing changed")
    check.ok(transport.closed, "closed")
  end },

  { "nothing listening (connection refused) is reported at once", function()
    local r, st = fake.new()
    st.add_item(st.add_track("A"), "/s/kick_1.wav", { selected = true })
    local transport = scripted(function() return nil end)
    transport.failure = "nothing is listening on 127.0.0.1:9010 (is `drumtag serve` running?)"
    classify(r, transport)
    st.run()
    check.ok(st.virtual_time < 1001, "no waiting for a timeout")
    check.contains(st.messages[1], "drumtag serve does not answer", "message")
    check.contains(st.messages[1], "nothing is listening", "detail")
  end },

  { "no socket library and no drumtag command: one message saying what to install", function()
    local r, st = fake.new()
    st.add_item(st.add_track("A"), "/s/kick_1.wav", { selected = true })
    local transport = scripted(function(request)
      return { { kind = "error", id = request.id, address = "ping", not_found = true,
                 message = "the drumtag command was not found (sh: drumtag: not found)" } }
    end, 1)
    classify(r, transport)
    st.run()
    check.eq(#st.messages, 1, "one message")
    check.contains(st.messages[1], "Mavriq Lua Sockets", "first option")
    check.contains(st.messages[1], "pip install . in a checkout of the drumtag repository", "second option")
    check.contains(st.messages[1], "drumtag: not found", "what happened")
  end },

  { "an item deleted while waiting is left alone and reported", function()
    local r, st = fake.new()
    local tr = st.add_track("A")
    local keep = st.add_item(tr, "/s/kick_1.wav", { selected = true })
    local gone = st.add_item(tr, "/s/hat_1.wav", { selected = true })
    local run = classify(r, scripted(by_name))
    st.delete_item(gone)
    st.run()
    check.eq(keep.color, native(COLORS.kick), "kept item coloured")
    check.eq(gone.color, 0, "deleted item untouched")
    check.contains(run.text, "1 item was deleted while drumtag worked", "reported")
  end },

  { "stopping the script before the end changes nothing", function()
    local r, st = fake.new()
    local item = st.add_item(st.add_track("A"), "/s/slow.wav", { selected = true })
    local transport = scripted(by_name)
    classify(r, transport)
    st.run_cycles(5)  -- a few cycles, then REAPER terminates the script
    st.atexit()
    st.queue = {}
    check.eq(item.color, 0, "unchanged")
    check.eq(#st.undo_blocks, 0, "no undo block")
    check.ok(transport.closed, "socket closed")
    check.contains(st.console_text(), "stopped before the end; the project was not changed", "told")
  end },

  { "classifying twice keeps the first original name, and restoring puts it back", function()
    local r, st = fake.new()
    local item = st.add_item(st.add_track("A"), "/s/kick_1.wav", { selected = true, name = "Take 7" })
    classify(r, scripted(by_name))
    st.run()
    item.takes[1].source.file = "/s/snare_1.wav"  -- same take, now another file: classified again
    classify(r, scripted(by_name))
    st.run()
    check.eq(item.takes[1].name, "snare 93%", "second name")
    check.eq(app.restore_names(r), 1, "one take restored")
    check.eq(item.takes[1].name, "Take 7", "original name back")
    check.eq(item.takes[1].ext.drumtag_orig_name, nil, "extended state cleared")
    check.eq(#st.undo_blocks, 3, "each run and the restore is one undo block")
    check.eq(#st.outside_undo, 0, "nothing outside them")
    check.eq(app.restore_names(r), 0, "nothing left to restore")
    check.eq(item.takes[1].name, "Take 7", "still the original")
  end },

  { "an empty original name is restored as empty", function()
    local r, st = fake.new()
    local item = st.add_item(st.add_track("A"), "/s/hat_1.wav", { selected = true, name = "" })
    classify(r, scripted(by_name))
    st.run()
    check.eq(item.takes[1].name, "hat 93%", "renamed")
    app.restore_names(r)
    check.eq(item.takes[1].name, "", "empty again")
  end },
}
