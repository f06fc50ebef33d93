-- @noindex
-- Classify the selected items (or all items on the selected tracks), colour them by drum class and move each
-- to a track named after its class (kick, snare, ...), creating the tracks that are missing.
-- Part of the "drumtag - Classify selected items.lua" package.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or ""
package.path = here .. "?.lua;" .. package.path
require("drumtag.app").classify(reaper, { route = true })
