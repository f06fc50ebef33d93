-- The OSC transport (drumtag.udp) on real UDP sockets (LuaSocket, Debian's lua-socket here), against a small
-- responder written in this file. The test against the real `drumtag serve` is tests/test_reaper.py.

local check = require("check")
local fake = require("fake_reaper")
local osc = require("drumtag.osc")
local udp = require("drumtag.udp")
local app = require("drumtag.app")

local function need_socket()
  local socket = udp.load_socket(nil)
  if not socket then
    if os.getenv("CI") then
      error("LuaSocket is required in CI (Debian: apt-get install lua-socket)")
    end
    check.skip("LuaSocket not installed (Debian: apt-get install lua-socket)")
  end
  return socket
end

--- A responder on 127.0.0.1: answers ping, classifies by file name like a tiny server; "bad" files get an
--- error, "slow" files nothing. Replies go to the request's source address (reply_port 0).
local function responder(socket)
  local server = assert(socket.udp())
  assert(server:setsockname("127.0.0.1", 0))
  server:settimeout(0)
  local _, port = server:getsockname()
  local seen = {}
  local colors = { kick = 0x0A0B0C, snare = 0x0D0E0F }
  local function serve()
    while true do
      local data, ip, from_port = server:receivefrom()
      if not data then
        return
      end
      local m = assert(osc.decode(data))
      seen[#seen + 1] = m
      local reply_port = m.args[1] ~= 0 and m.args[1] or from_port
      local id = m.args[2]
      local out
      if m.address == "/drumtag/ping" then
        out = osc.encode("/drumtag/pong", "iss", id, "test", "responder")
      elseif m.address == "/drumtag/classify" then
        local name = m.args[3]:match("[^/]*$")
        local label = name:match("^(%a+)")
        if label == "bad" then
          out = osc.encode("/drumtag/error", "iss", id, "/drumtag/classify", m.args[3] .. ": unreadable")
        elseif label ~= "slow" then
          out = osc.encode("/drumtag/result", "issfisfsf", id, m.args[3], label, 0.8, colors[label],
            "kick", label == "kick" and 0.8 or 0.2, "snare", label == "snare" and 0.8 or 0.2)
        end
      end
      if out then
        server:sendto(out, ip, reply_port)
      end
    end
  end
  return { port = port, serve = serve, seen = seen, close = function() server:close() end }
end

return {
  { "Mavriq Lua Sockets' folder in REAPER's resource path is searched first", function()
    local socket_path = package.searchpath("socket.core", package.cpath)
    if not socket_path then
      need_socket()
      check.skip("socket.core is not a C module here")
    end
    local resource = os.tmpname()
    os.remove(resource)
    local dir = resource .. udp.MAVRIQ_DIR .. "socket"
    assert(os.execute("mkdir -p '" .. dir .. "' && ln -s '" .. socket_path .. "' '" .. dir .. "/core.so'"))
    local saved_cpath, saved_path = package.cpath, package.path
    udp.add_mavriq_paths(resource, "Linux-x86_64")
    local found = package.searchpath("socket.core", package.cpath)
    package.cpath, package.path = saved_cpath, saved_path
    os.execute("rm -rf '" .. resource .. "'")
    check.eq(found, resource .. udp.MAVRIQ_DIR .. "socket/core.so", "found in Mavriq's folder")
    udp.add_mavriq_paths("C:/REAPER", "Win64")
    check.contains(package.cpath, "C:/REAPER/Scripts/Mavriq ReaScript Repository/Various/Mavriq-Lua-Sockets/?.dll",
      "Windows library pattern")
    package.cpath, package.path = saved_cpath, saved_path
  end },

  { "a whole run over UDP: requests as OSC datagrams, replies to the source port, colours and errors", function()
    local socket = need_socket()
    local server = responder(socket)
    local r, st = fake.new({ clock = socket.gettime })
    st.ext.drumtag = { port = tostring(server.port), timeout = "1" }
    local tr = st.add_track("A")
    local kick = st.add_item(tr, "/s/kick 1.wav", { selected = true })
    local snare = st.add_item(tr, "/s/snare_é.wav", { selected = true })
    local bad = st.add_item(tr, "/s/bad.wav", { selected = true })
    local slow = st.add_item(tr, "/s/slow.wav", { selected = true })
    local run = app.classify(r, { route = true })
    check.contains(run.transport.name, "OSC to 127.0.0.1:" .. server.port, "OSC transport chosen")
    st.run(100000, function()
      server.serve()
      socket.sleep(0.002)
    end)
    server.close()
    check.eq(server.seen[1].address, "/drumtag/ping", "ping first")
    check.eq(server.seen[2].types, "iis", "classify arguments")
    check.eq(server.seen[2].args[1], 0, "reply_port 0")
    check.eq(kick.color, 0x0C0B0A | 0x1000000, "kick colour (fake ColorToNative is BGR)")
    check.eq(snare.color, 0x0F0E0D | 0x1000000, "snare colour")
    check.eq(kick.takes[1].name, "kick 80%", "kick name")
    check.eq(snare.track.name, "snare", "routed")
    check.eq(bad.color, 0, "failed file untouched")
    check.eq(slow.color, 0, "timed-out file untouched")
    check.contains(run.text, "/s/bad.wav: unreadable", "error reply in summary")
    check.contains(run.text, "/s/slow.wav: no reply within 1 s (timeout)", "timeout in summary")
    check.eq(#st.undo_blocks, 1, "one undo block")
    check.eq(run.transport.sock, nil, "socket closed")
  end },

  { "nothing listening on the port is reported as such", function()
    local socket = need_socket()
    local probe = assert(socket.udp())
    assert(probe:setsockname("127.0.0.1", 0))
    local _, port = probe:getsockname()
    probe:close()  -- now nothing listens there
    local t = assert(udp.open(socket, "127.0.0.1", port))
    assert(t:send({ op = "ping", id = 1 }))
    local failure
    for _ = 1, 200 do  -- the refusal arrives asynchronously (ICMP)
      local replies
      replies, failure = t:poll()
      check.eq(#replies, 0, "no replies")
      if failure then
        break
      end
      socket.sleep(0.005)
    end
    t:close()
    if not failure then
      check.skip("this system does not report refused UDP ports")
    end
    check.contains(failure, "nothing is listening on 127.0.0.1:" .. port, "message")
  end },
}
