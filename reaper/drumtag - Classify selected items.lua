-- @description drumtag: classify drum samples in REAPER (colour, rename and route items by kick/snare/hat/...)
-- @version 0.1.2
-- @author drumtag contributors
-- @about
--   # drumtag for REAPER
--
--   Sends the audio files of the selected items (or of every item on the selected tracks) to a running
--   `drumtag serve` and colours each item by its drum class (kick, snare, hat, percussion, other), with the
--   colours the server sends. Optionally renames takes ("kick 93%", the original name stays recoverable) and
--   moves items to a track per class. A result the model is unsure of (confidence below 60%, a setting) gets a
--   muted colour and "kick? 54%". All edits are one undo point; a summary lists the classes and failures.
--
--   Needs the drumtag server (`pip install .` in the drumtag repository, then `drumtag serve`) and either Mavriq
--   Lua Sockets (from ReaPack) or the `drumtag` command on this computer. See reaper/README.md in the drumtag repository.
-- @provides
--   [main] drumtag - Classify and route by drum type.lua
--   [main] drumtag - Restore original take names.lua
--   [main] drumtag - Settings.lua
--   [nomain] drumtag/*.lua
-- @changelog
--   The message shown when no transport is found says how to install drumtag from its repository. A custom
--   model's classes get colours of their own from the server.

-- Classify the selected items (or all items on the selected tracks) and colour them by drum class.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or ""
package.path = here .. "?.lua;" .. package.path
require("drumtag.app").classify(reaper, { route = false })
