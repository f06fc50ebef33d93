-- The edits drumtag makes in a project: colour items, rename takes (keeping the original name), move items to
-- a track per class, and restore the original names. The caller wraps them in one undo block. A result whose
-- confidence is below the "unsure" setting is marked: a muted colour and "kick? 54%".

local edits = {}

--- Extended-state keys on a take (saved with the project): the name it had before drumtag renamed it.
edits.ORIGINAL_NAME = "P_EXT:drumtag_orig_name"
edits.RENAMED = "P_EXT:drumtag_renamed"

--- REAPER's colour value for 0xRRGGBB, with the flag that makes it shown.
function edits.native_color(reaper, rgb)
  return reaper.ColorToNative((rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF) | 0x1000000
end

--- The confidence as names show it: a whole percent.
function edits.percent(confidence)
  return math.floor((confidence or 0) * 100 + 0.5)
end

--- Whether a result is marked unsure: the percent its name shows is below `below` (a percentage; 0: never).
function edits.is_unsure(confidence, below)
  return edits.percent(confidence) < (below or 0)
end

--- "kick 93%", or "kick? 54%" when unsure
function edits.take_label(label, confidence, unsure)
  return string.format("%s%s %d%%", label, unsure and "?" or "", edits.percent(confidence))
end

--- The colour of an unsure item: its class colour (0xRRGGBB) halfway to mid grey, each channel (c + 128) >> 1
--- (oscserver/classes.py unsure_color, tested).
function edits.unsure_color(rgb)
  local out = 0
  for _, shift in ipairs({ 16, 8, 0 }) do
    out = out | ((((rgb >> shift) & 0xFF) + 128) >> 1) << shift
  end
  return out
end

function edits.color_item(reaper, item, take, rgb)
  local native = edits.native_color(reaper, rgb)
  reaper.SetMediaItemInfo_Value(item, "I_CUSTOMCOLOR", native)
  -- a take with a colour of its own hides the item's colour: recolour it too
  if take and reaper.GetMediaItemTakeInfo_Value(take, "I_CUSTOMCOLOR") ~= 0 then
    reaper.SetMediaItemTakeInfo_Value(take, "I_CUSTOMCOLOR", native)
  end
end

--- Rename a take, keeping its original name in the take's extended state (only the first time).
function edits.rename_take(reaper, take, name)
  local _, renamed = reaper.GetSetMediaItemTakeInfo_String(take, edits.RENAMED, "", false)
  if renamed ~= "1" then
    local _, original = reaper.GetSetMediaItemTakeInfo_String(take, "P_NAME", "", false)
    reaper.GetSetMediaItemTakeInfo_String(take, edits.ORIGINAL_NAME, original or "", true)
    reaper.GetSetMediaItemTakeInfo_String(take, edits.RENAMED, "1", true)
  end
  reaper.GetSetMediaItemTakeInfo_String(take, "P_NAME", name, true)
end

--- Put back the names drumtag replaced on every take of `item`. Returns how many takes were restored.
function edits.restore_item(reaper, item)
  local restored = 0
  for i = 0, reaper.CountTakes(item) - 1 do
    local take = reaper.GetTake(item, i)
    local renamed = take and select(2, reaper.GetSetMediaItemTakeInfo_String(take, edits.RENAMED, "", false))
    if renamed == "1" then
      local _, original = reaper.GetSetMediaItemTakeInfo_String(take, edits.ORIGINAL_NAME, "", false)
      reaper.GetSetMediaItemTakeInfo_String(take, "P_NAME", original or "", true)
      reaper.GetSetMediaItemTakeInfo_String(take, edits.ORIGINAL_NAME, "", true)
      reaper.GetSetMediaItemTakeInfo_String(take, edits.RENAMED, "", true)
      restored = restored + 1
    end
  end
  return restored
end

local function track_name(reaper, track)
  local _, name = reaper.GetSetMediaTrackInfo_String(track, "P_NAME", "", false)
  return name or ""
end

local function normalize(name)
  return (name:match("^%s*(.-)%s*$")):lower()
end

--- The project's track named `label` (case and surrounding spaces ignored), or nil.
function edits.find_track(reaper, label)
  local want = normalize(label)
  for i = 0, reaper.CountTracks(0) - 1 do
    local track = reaper.GetTrack(0, i)
    if normalize(track_name(reaper, track)) == want then
      return track
    end
  end
  return nil
end

--- A new track at the end of the project, named `label` and coloured `rgb`.
function edits.create_track(reaper, label, rgb)
  local index = reaper.CountTracks(0)
  reaper.InsertTrackAtIndex(index, true)
  local track = reaper.GetTrack(0, index)
  reaper.GetSetMediaTrackInfo_String(track, "P_NAME", label, true)
  if rgb then
    reaper.SetMediaTrackInfo_Value(track, "I_CUSTOMCOLOR", edits.native_color(reaper, rgb))
  end
  return track
end

--- Apply classifications. `plan` is a list of { target = { item, take, path, name }, result = reply };
--- `options.rename`, `options.route`, `options.unsure` (percent); `class_order` lists classes in the model's order
--- (new tracks follow it). Returns a report { applied, renamed, moved, unsure, created = { labels },
--- vanished = { targets } }.
function edits.apply(reaper, plan, options, class_order)
  local report = { applied = 0, renamed = 0, moved = 0, unsure = 0, created = {}, vanished = {} }
  local tracks = {}
  if options.route then
    local colors, wanted = {}, {}
    for _, step in ipairs(plan) do
      wanted[step.result.label] = true
      colors[step.result.label] = step.result.color
    end
    local order = {}
    for _, class in ipairs(class_order or {}) do
      if wanted[class] then
        order[#order + 1] = class
        wanted[class] = nil
      end
    end
    local rest = {}
    for class in pairs(wanted) do
      rest[#rest + 1] = class
    end
    table.sort(rest)
    table.move(rest, 1, #rest, #order + 1, order)
    for _, label in ipairs(order) do
      local track = edits.find_track(reaper, label)
      if not track then
        track = edits.create_track(reaper, label, colors[label])
        report.created[#report.created + 1] = label
      end
      tracks[label] = track
    end
  end
  for _, step in ipairs(plan) do
    local t, r = step.target, step.result
    if not reaper.ValidatePtr2(0, t.item, "MediaItem*") then
      report.vanished[#report.vanished + 1] = t
    else
      local doubtful = edits.is_unsure(r.confidence, options.unsure)
      edits.color_item(reaper, t.item, t.take, doubtful and edits.unsure_color(r.color) or r.color)
      if doubtful then
        report.unsure = report.unsure + 1
      end
      if options.rename and reaper.ValidatePtr2(0, t.take, "MediaItem_Take*") then
        edits.rename_take(reaper, t.take, edits.take_label(r.label, r.confidence, doubtful))
        report.renamed = report.renamed + 1
      end
      local track = tracks[r.label]
      if track and reaper.GetMediaItem_Track(t.item) ~= track then
        reaper.MoveMediaItemToTrack(t.item, track)
        report.moved = report.moved + 1
      end
      report.applied = report.applied + 1
    end
  end
  return report
end

return edits
