-- The text shown when a run ends: how many items of each class, what was changed, what failed and why.

local summary = {}

local function plural(n, word)
  return string.format("%d %s%s", n, word, n == 1 and "" or "s")
end

--- `run` fields: targets, skipped, files, results (path -> reply), failures (path -> message), class_order,
--- report (from edits.apply, or nil), elapsed, transport_name, server ({ version, model_id }), scope, options,
--- apply_error.
function summary.text(run)
  local lines = {}
  local function add(fmt, ...)
    lines[#lines + 1] = string.format(fmt, ...)
  end
  local classified = 0
  local counts = {}
  for _, target in ipairs(run.targets) do
    local r = run.results[target.path]
    if r then
      classified = classified + 1
      counts[r.label] = (counts[r.label] or 0) + 1
    end
  end
  local server = run.server and string.format(" (drumtag %s, model %s)", run.server.version or "?",
    run.server.model_id or "?") or ""
  add("drumtag: classified %d of %s (%s, %s) in %.1f s via %s%s", classified,
    plural(#run.targets, "item"), run.scope, plural(#run.files, "file"), run.elapsed or 0, run.transport_name,
    server)

  local parts, seen = {}, {}
  for _, class in ipairs(run.class_order or {}) do
    if counts[class] then
      parts[#parts + 1] = string.format("%s %d", class, counts[class])
      seen[class] = true
    end
  end
  local rest = {}
  for class in pairs(counts) do
    if not seen[class] then
      rest[#rest + 1] = class
    end
  end
  table.sort(rest)
  for _, class in ipairs(rest) do
    parts[#parts + 1] = string.format("%s %d", class, counts[class])
  end
  if #parts > 0 then
    add("  %s", table.concat(parts, ", "))
  end

  local report = run.report
  if report then
    add("  coloured %s", plural(report.applied, "item"))
    if (report.unsure or 0) > 0 then
      local renamed = run.options and run.options.rename
      add("  %s unsure (confidence below %d%%, muted colour%s): check them by ear", plural(report.unsure, "item"),
        run.options.unsure, renamed and ", \"?\" after the class" or "")
    end
    if report.renamed > 0 then
      add("  renamed %s (\"drumtag - Restore original take names\" puts the old names back)",
        plural(report.renamed, "take"))
    end
    if run.options and run.options.route then
      local created = #report.created > 0 and ("; created tracks: " .. table.concat(report.created, ", ")) or ""
      add("  moved %s to their class tracks%s", plural(report.moved, "item"), created)
    end
    if #report.vanished > 0 then
      local n = #report.vanished
      add("  %d %s deleted while drumtag worked; left alone", n, n == 1 and "item was" or "items were")
    end
  end
  if run.apply_error then
    add("  error while changing the project (undo it with Edit > Undo): %s", run.apply_error)
  end
  if classified == 0 and not run.apply_error then
    add("  nothing was changed")
  end

  if #run.skipped > 0 then
    add("  skipped %s:", plural(#run.skipped, "item"))
    for _, s in ipairs(run.skipped) do
      add("    %q: %s", s.name, s.reason)
    end
  end

  local failed = {}
  for _, path in ipairs(run.files) do
    if run.failures[path] then
      failed[#failed + 1] = path
    end
  end
  if #failed > 0 then
    add("  failed %s:", plural(#failed, "file"))
    for _, path in ipairs(failed) do
      local message = run.failures[path]
      if message:find(path, 1, true) then
        add("    %s", message)  -- the server's messages name the file already
      else
        add("    %s: %s", path, message)
      end
    end
  end
  return table.concat(lines, "\n") .. "\n"
end

return summary
