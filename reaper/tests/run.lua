-- Runs the REAPER script's Lua tests: lua5.4 reaper/tests/run.lua [test_file.lua ...]
-- Each test file returns a list of { name, function }. Exit status 1 if any test fails.

local here = arg[0]:match("^(.*[/\\])") or "./"
package.path = here .. "../?.lua;" .. here .. "?.lua;" .. package.path

local files = { ... }
if #files == 0 then
  files = { "test_osc.lua", "test_json.lua", "test_exec.lua", "test_job.lua", "test_udp.lua", "test_actions.lua" }
end

local passed, failed, skipped = 0, 0, 0
for _, file in ipairs(files) do
  local path = file:find("[/\\]") and file or (here .. file)
  local tests = dofile(path)
  for _, t in ipairs(tests) do
    local name, fn = t[1], t[2]
    local ok, err = xpcall(fn, function(e)
      if type(e) == "table" and e.skip then
        return e
      end
      return debug.traceback(tostring(e), 2)
    end)
    if ok then
      passed = passed + 1
      print("ok    " .. file .. ": " .. name)
    elseif type(err) == "table" and err.skip then
      skipped = skipped + 1
      print("skip  " .. file .. ": " .. name .. " (" .. err.skip .. ")")
    else
      failed = failed + 1
      print("FAIL  " .. file .. ": " .. name .. "\n" .. tostring(err):gsub("\n", "\n      "))
    end
  end
end
print(string.format("%d passed, %d failed, %d skipped", passed, failed, skipped))
os.exit(failed == 0 and 0 or 1)
