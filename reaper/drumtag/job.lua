-- One classification run, driven by reaper.defer so REAPER's interface keeps running: ping the server, keep a few
-- requests in flight with a timeout each, then apply every edit at the end in one undo block and show a summary.
--
-- Why edits wait for the end: the work spans many defer cycles, and an undo block cannot stay open across them
-- (REAPER would record other actions the user takes meanwhile in it). Collecting the replies first gives one
-- "drumtag: ..." undo point, and stopping the script early (run the action again and choose Terminate) leaves
-- the project untouched.

local edits = require("drumtag.edits")
local items = require("drumtag.items")
local summary = require("drumtag.summary")

local job = {}

--- Seconds to wait for the server's answer to the first ping (at most the per-file timeout).
job.PING_TIMEOUT = 5

local Job = {}
Job.__index = Job

--- `args`: reaper, transport, targets, skipped, scope, settings, route (bool), messages (for fatal problems:
--- { unreachable = "...", not_found = "..." }), on_done (called with the finished run, optional).
function job.new(args)
  local self = setmetatable({}, Job)
  for k, v in pairs(args) do
    self[k] = v
  end
  self.files = items.files(self.targets)
  self.queue = table.move(self.files, 1, #self.files, 1, {})
  self.inflight, self.inflight_count = {}, 0
  self.results, self.failures = {}, {}
  self.next_id = 1
  self.phase = "new"
  self.messages = self.messages or {}
  return self
end

function Job:now()
  return self.reaper.time_precise()
end

function Job:send(request, timeout)
  request.id = self.next_id
  request.timeout = timeout
  self.next_id = self.next_id + 1
  local ok, err = self.transport:send(request)
  if not ok then
    return nil, err
  end
  request.deadline = self:now() + timeout
  self.inflight[request.id] = request
  self.inflight_count = self.inflight_count + 1
  return true
end

function Job:start()
  self.started = self:now()
  self.phase = "ping"
  local ok, err = self:send({ op = "ping" }, math.min(job.PING_TIMEOUT, self.settings.timeout))
  if not ok then
    return self:fail(self.messages.unreachable or err, err)
  end
  self.reaper.defer(function() self:step() end)
end

--- Stop without reaching the server: one message, no edits.
function Job:fail(message, detail)
  self.phase = "done"
  self.fatal = detail and detail ~= message and (message .. "\n\n(" .. detail .. ")") or message
  self.transport:close()
  self.reaper.MB(self.fatal, "drumtag", 0)
  if self.on_done then
    self.on_done(self)
  end
end

function Job:take(id)
  local request = self.inflight[id]
  if request then
    self.inflight[id] = nil
    self.inflight_count = self.inflight_count - 1
  end
  return request
end

function Job:handle(reply)
  local request = self:take(reply.id)
  if not request then
    return  -- a late reply to a request that already timed out, or not ours
  end
  if request.op == "ping" then
    if reply.kind == "pong" then
      self.server = reply
      self.phase = "classify"
    elseif reply.not_found then
      self:fail(self.messages.not_found or reply.message, reply.message)
    else
      self:fail(self.messages.unreachable or reply.message, reply.message)
    end
    return
  end
  if reply.kind == "result" and type(reply.label) == "string" and math.tointeger(reply.color) then
    self.results[request.path] = reply
    if not self.class_order and #reply.probabilities > 0 then
      self.class_order = {}
      for i, p in ipairs(reply.probabilities) do
        self.class_order[i] = p.class
      end
    end
  elseif reply.kind == "error" then
    self.failures[request.path] = reply.message or "error"
  else
    self.failures[request.path] = "unreadable reply from the server"
  end
end

function Job:expire(now)
  for id, request in pairs(self.inflight) do
    if now > request.deadline then
      self:take(id)
      if request.op == "ping" then
        return self:fail(self.messages.unreachable or "no reply to ping",
          string.format("no reply to ping within %g s", math.min(job.PING_TIMEOUT, self.settings.timeout)))
      end
      self.failures[request.path] = string.format("no reply within %g s (timeout)", self.settings.timeout)
    end
  end
end

function Job:step()
  if self.phase == "done" then
    return
  end
  local replies, failure = self.transport:poll()
  for _, reply in ipairs(replies) do
    self:handle(reply)
    if self.phase == "done" then
      return
    end
  end
  if failure then
    if self.phase == "ping" then
      return self:fail(self.messages.unreachable or failure, failure)
    end
    -- the server went away: everything still waiting fails with the reason
    for id, request in pairs(self.inflight) do
      self:take(id)
      self.failures[request.path] = failure
    end
    for _, path in ipairs(self.queue) do
      self.failures[path] = failure
    end
    self.queue = {}
  end
  self:expire(self:now())
  if self.phase == "done" then
    return
  end
  if self.phase == "classify" then
    while self.inflight_count < (self.transport.window or 1) and #self.queue > 0 do
      local path = table.remove(self.queue, 1)
      local ok, err = self:send({ op = "classify", path = path }, self.settings.timeout)
      if not ok then
        self.failures[path] = err
      end
    end
    if self.inflight_count == 0 and #self.queue == 0 then
      return self:finish()
    end
  end
  self.reaper.defer(function() self:step() end)
end

--- All replies are in: apply every edit in one undo block, then show the summary.
function Job:finish()
  self.phase = "done"
  self.transport:close()
  local reaper = self.reaper
  local plan = {}
  for _, target in ipairs(self.targets) do
    local result = self.results[target.path]
    if result then
      plan[#plan + 1] = { target = target, result = result }
    end
  end
  local options = { rename = self.settings.rename, route = self.route, unsure = self.settings.unsure }
  if #plan > 0 then
    reaper.Undo_BeginBlock()
    reaper.PreventUIRefresh(1)
    local ok, report = pcall(edits.apply, reaper, plan, options, self.class_order)
    reaper.PreventUIRefresh(-1)
    if ok then
      self.report = report
      if #report.created > 0 then
        reaper.TrackList_AdjustWindows(false)
      end
    else
      self.apply_error = tostring(report)
    end
    reaper.UpdateArrange()
    local what = self.route and "classify and route" or "classify"
    reaper.Undo_EndBlock(string.format("drumtag: %s %d items", what, #plan), -1)
  end
  self.elapsed = self:now() - self.started
  self.options = options
  self.transport_name = self.transport.name
  self.text = summary.text(self)
  reaper.ShowConsoleMsg(self.text)
  if self.on_done then
    self.on_done(self)
  end
end

--- REAPER is stopping the script (atexit): close the socket; nothing has been changed unless finished.
function Job:abort()
  if self.phase ~= "done" then
    self.phase = "done"
    self.transport:close()
    self.reaper.ShowConsoleMsg("drumtag: stopped before the end; the project was not changed\n")
  end
end

return job
