-- A fake `reaper` API table for tests: a project of tracks, items, takes and sources in plain Lua tables; it
-- records every call, which calls change the project, and whether they happened inside an undo block.

local fake = {}

local MUTATORS = {
  SetMediaItemInfo_Value = true, SetMediaItemTakeInfo_Value = true, MoveMediaItemToTrack = true,
  InsertTrackAtIndex = true, SetMediaTrackInfo_Value = true,
}

--- A new fake. opts: os ("Linux-x86_64"), resource (GetResourcePath), clock (function returning seconds; default a
--- virtual clock that advances `tick` seconds per defer cycle), tick (0.01), exec (ExecProcess implementation, or
--- false for none), inputs (GetUserInputs implementation).
function fake.new(opts)
  opts = opts or {}
  local state = { tracks = {}, items = {}, calls = {}, queue = {}, console = {}, messages = {}, ext = {},
                  undo_depth = 0, undo_blocks = {}, outside_undo = {}, deleted = {}, virtual_time = 1000.0,
                  cycles = 0 }
  local r = {}

  local function record(name, ...)
    local call = { name = name, n = select("#", ...), ... }
    state.calls[#state.calls + 1] = call
    if MUTATORS[name] and state.undo_depth == 0 then
      state.outside_undo[#state.outside_undo + 1] = name
    end
    return call
  end

  local function api(name, fn)
    r[name] = function(...)
      record(name, ...)
      return fn(...)
    end
  end

  local function alive(obj)
    return obj ~= nil and not state.deleted[obj]
  end

  -- project model -----------------------------------------------------------------------------------------
  function state.add_track(name, selected)
    local track = { kind = "track", name = name or "", color = 0, selected = selected or false }
    state.tracks[#state.tracks + 1] = track
    return track
  end

  --- An item on `track` whose active take plays `file` (take fields: name, midi, parent_of = file means the
  --- take's source is a section of `file`, color).
  function state.add_item(track, file, fields)
    fields = fields or {}
    local source = file and { file = file } or { file = "" }
    if fields.section then
      source = { file = "", parent = source }
    end
    local item = { kind = "item", track = track, takes = {}, active = 1, color = 0,
                   selected = fields.selected or false }
    if not fields.empty then
      item.takes[1] = { kind = "take", item = item, name = fields.name or (file or ""):match("[^/\\]*$"),
                        source = source, ext = {}, color = fields.take_color or 0, midi = fields.midi or false }
    end
    state.items[#state.items + 1] = item
    return item
  end

  function state.delete_item(item)
    state.deleted[item] = true
    for i, it in ipairs(state.items) do
      if it == item then
        table.remove(state.items, i)
        break
      end
    end
  end

  function state.count(name)
    local n = 0
    for _, call in ipairs(state.calls) do
      if call.name == name then
        n = n + 1
      end
    end
    return n
  end

  function state.track_named(name)
    for _, t in ipairs(state.tracks) do
      if t.name == name then
        return t
      end
    end
  end

  local function selected_items()
    local out = {}
    for _, it in ipairs(state.items) do
      if it.selected then
        out[#out + 1] = it
      end
    end
    return out
  end

  local function selected_tracks()
    local out = {}
    for _, t in ipairs(state.tracks) do
      if t.selected then
        out[#out + 1] = t
      end
    end
    return out
  end

  local function track_items(track)
    local out = {}
    for _, it in ipairs(state.items) do
      if it.track == track then
        out[#out + 1] = it
      end
    end
    return out
  end

  -- the API -----------------------------------------------------------------------------------------------
  api("CountSelectedMediaItems", function() return #selected_items() end)
  api("GetSelectedMediaItem", function(_, i) return selected_items()[i + 1] end)
  api("CountSelectedTracks", function() return #selected_tracks() end)
  api("GetSelectedTrack", function(_, i) return selected_tracks()[i + 1] end)
  api("CountTrackMediaItems", function(track) return #track_items(track) end)
  api("GetTrackMediaItem", function(track, i) return track_items(track)[i + 1] end)
  api("CountMediaItems", function() return #state.items end)
  api("GetMediaItem", function(_, i) return state.items[i + 1] end)
  api("CountTracks", function() return #state.tracks end)
  api("GetTrack", function(_, i) return state.tracks[i + 1] end)
  api("CountTakes", function(item) return #item.takes end)
  api("GetTake", function(item, i) return item.takes[i + 1] end)
  api("GetActiveTake", function(item) return item.takes[item.active] end)
  api("TakeIsMIDI", function(take) return take.midi end)
  api("GetMediaItemTake_Source", function(take) return take.source end)
  api("GetMediaSourceParent", function(source) return source.parent end)
  api("GetMediaSourceFileName", function(source) return source.file end)
  api("GetMediaItem_Track", function(item) return item.track end)
  api("ColorToNative", function(rr, g, b) return rr | (g << 8) | (b << 16) end)  -- Windows order: 0x00BBGGRR

  api("ValidatePtr2", function(_, ptr, kind)
    local kinds = { ["MediaItem*"] = "item", ["MediaItem_Take*"] = "take", ["MediaTrack*"] = "track" }
    if type(ptr) ~= "table" or ptr.kind ~= kinds[kind] then
      return false
    end
    if ptr.kind == "take" then
      return alive(ptr.item)
    end
    return alive(ptr)
  end)

  api("GetSetMediaItemTakeInfo_String", function(take, key, value, set)
    if set and state.undo_depth == 0 then
      state.outside_undo[#state.outside_undo + 1] = "GetSetMediaItemTakeInfo_String " .. key
    end
    if key == "P_NAME" then
      if set then take.name = value end
      return true, take.name
    end
    local ext = key:match("^P_EXT:(.+)$")
    assert(ext, "fake: unsupported take string " .. key)
    if set then
      take.ext[ext] = value ~= "" and value or nil
      return true, value
    end
    return take.ext[ext] ~= nil, take.ext[ext] or ""
  end)

  api("GetMediaItemTakeInfo_Value", function(take, key)
    assert(key == "I_CUSTOMCOLOR", "fake: unsupported take value " .. key)
    return take.color
  end)
  api("SetMediaItemTakeInfo_Value", function(take, key, value)
    assert(key == "I_CUSTOMCOLOR", "fake: unsupported take value " .. key)
    take.color = value
    return true
  end)
  api("SetMediaItemInfo_Value", function(item, key, value)
    assert(key == "I_CUSTOMCOLOR", "fake: unsupported item value " .. key)
    item.color = value
    return true
  end)
  api("MoveMediaItemToTrack", function(item, track)
    item.track = track
    return true
  end)
  api("InsertTrackAtIndex", function(index, _)
    table.insert(state.tracks, index + 1, { kind = "track", name = "", color = 0, selected = false })
  end)
  api("GetSetMediaTrackInfo_String", function(track, key, value, set)
    assert(key == "P_NAME", "fake: unsupported track string " .. key)
    if set then
      if state.undo_depth == 0 then
        state.outside_undo[#state.outside_undo + 1] = "GetSetMediaTrackInfo_String"
      end
      track.name = value
    end
    return true, track.name
  end)
  api("SetMediaTrackInfo_Value", function(track, key, value)
    assert(key == "I_CUSTOMCOLOR", "fake: unsupported track value " .. key)
    track.color = value
    return true
  end)

  api("Undo_BeginBlock", function()
    state.undo_depth = state.undo_depth + 1
  end)
  api("Undo_EndBlock", function(desc, flags)
    assert(state.undo_depth > 0, "Undo_EndBlock without Undo_BeginBlock")
    state.undo_depth = state.undo_depth - 1
    state.undo_blocks[#state.undo_blocks + 1] = { desc = desc, flags = flags }
  end)
  api("PreventUIRefresh", function() end)
  api("UpdateArrange", function() end)
  api("TrackList_AdjustWindows", function() end)

  api("ShowConsoleMsg", function(text) state.console[#state.console + 1] = text end)
  api("MB", function(text, title)
    state.messages[#state.messages + 1] = text
    return 1
  end)
  api("GetUserInputs", function(...)
    assert(opts.inputs, "fake: no GetUserInputs answer configured")
    return opts.inputs(...)
  end)
  api("GetExtState", function(section, key)
    return (state.ext[section] or {})[key] or ""
  end)
  api("SetExtState", function(section, key, value)
    state.ext[section] = state.ext[section] or {}
    state.ext[section][key] = value
  end)
  api("GetResourcePath", function() return opts.resource or "/nonexistent/REAPER" end)
  api("GetOS", function() return opts.os or "Linux-x86_64" end)
  if opts.exec ~= false and opts.exec then
    api("ExecProcess", function(cmd, timeout) return opts.exec(cmd, timeout) end)
  end

  r.time_precise = function()
    if opts.clock then
      return opts.clock()
    end
    return state.virtual_time
  end
  r.defer = function(fn)
    state.queue[#state.queue + 1] = fn
  end
  r.atexit = function(fn)
    state.atexit = fn
  end

  --- Run deferred functions until none is left (or max_cycles). `between` runs before each cycle
  --- (a test server answering, a sleep); the virtual clock advances `tick` per cycle.
  function state.run(max_cycles, between)
    max_cycles = max_cycles or 100000
    while #state.queue > 0 do
      if state.cycles >= max_cycles then
        error("fake: still deferring after " .. max_cycles .. " cycles")
      end
      state.cycles = state.cycles + 1
      if between then
        between(state)
      end
      state.virtual_time = state.virtual_time + (opts.tick or 0.01)
      table.remove(state.queue, 1)()
    end
  end

  --- Run at most `n` defer cycles (the script may still be running after them).
  function state.run_cycles(n)
    for _ = 1, n do
      local fn = table.remove(state.queue, 1)
      if not fn then
        return
      end
      state.cycles = state.cycles + 1
      state.virtual_time = state.virtual_time + (opts.tick or 0.01)
      fn()
    end
  end

  function state.console_text()
    return table.concat(state.console)
  end

  return r, state
end

return fake
