-- @noindex
-- drumtag's settings: the server's host and port, seconds to wait per file, whether to rename takes, and the
-- `drumtag` command used when no socket library is installed. Saved in REAPER's extended state.
-- Part of the "drumtag - Classify selected items.lua" package.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or ""
package.path = here .. "?.lua;" .. package.path
require("drumtag.app").edit_settings(reaper)
