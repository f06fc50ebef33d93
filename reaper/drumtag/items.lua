-- Which items to classify: the selected items, or else every item on the selected tracks, with their files.

local items = {}

--- The audio file behind a take: reversed and section sources are resolved to their parent file.
function items.take_file(reaper, take)
  local source = reaper.GetMediaItemTake_Source(take)
  while source do
    local parent = reaper.GetMediaSourceParent(source)
    if not parent then
      break
    end
    source = parent
  end
  if not source then
    return nil
  end
  local path = reaper.GetMediaSourceFileName(source, "")
  if type(path) ~= "string" or path == "" then
    return nil
  end
  return path
end

local function take_name(reaper, take)
  local _, name = reaper.GetSetMediaItemTakeInfo_String(take, "P_NAME", "", false)
  return name or ""
end

--- The selected items (an empty list when none is selected).
function items.selected(reaper)
  local list = {}
  for i = 0, reaper.CountSelectedMediaItems(0) - 1 do
    list[#list + 1] = reaper.GetSelectedMediaItem(0, i)
  end
  return list
end

--- The items in scope and where they came from ("selected items" or "items on the selected tracks").
function items.scope(reaper)
  local list = items.selected(reaper)
  if #list > 0 then
    return list, "selected items"
  end
  for t = 0, reaper.CountSelectedTracks(0) - 1 do
    local track = reaper.GetSelectedTrack(0, t)
    for i = 0, reaper.CountTrackMediaItems(track) - 1 do
      list[#list + 1] = reaper.GetTrackMediaItem(track, i)
    end
  end
  return list, "items on the selected tracks"
end

--- Targets ({ item, take, path, name }) and skipped items ({ item, name, reason }) among `list`.
function items.targets(reaper, list)
  local targets, skipped = {}, {}
  for _, item in ipairs(list) do
    local take = reaper.GetActiveTake(item)
    if not take then
      skipped[#skipped + 1] = { item = item, name = "(empty item)", reason = "no take" }
    elseif reaper.TakeIsMIDI(take) then
      skipped[#skipped + 1] = { item = item, name = take_name(reaper, take), reason = "MIDI, not audio" }
    else
      local path = items.take_file(reaper, take)
      if path then
        targets[#targets + 1] = { item = item, take = take, path = path, name = take_name(reaper, take) }
      else
        skipped[#skipped + 1] = { item = item, name = take_name(reaper, take), reason = "no audio file" }
      end
    end
  end
  return targets, skipped
end

--- The distinct files of `targets`, in first-seen order (items sharing a file are classified once).
function items.files(targets)
  local seen, files = {}, {}
  for _, target in ipairs(targets) do
    if not seen[target.path] then
      seen[target.path] = true
      files[#files + 1] = target.path
    end
  end
  return files
end

return items
