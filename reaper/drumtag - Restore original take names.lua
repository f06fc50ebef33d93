-- @noindex
-- Put back the take names drumtag replaced ("kick 93%" -> the name before), on the selected items or, with
-- nothing selected, on every item of the project. One undo point.
-- Part of the "drumtag - Classify selected items.lua" package.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or ""
package.path = here .. "?.lua;" .. package.path
require("drumtag.app").restore_names(reaper)
