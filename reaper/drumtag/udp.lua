-- The OSC transport: requests and replies as UDP datagrams on one non-blocking LuaSocket socket.
--
-- Inside REAPER the socket library is Mavriq Lua Sockets (installed with ReaPack); elsewhere (tests, CI) it is
-- any LuaSocket, such as Debian's lua-socket. Both have the same API (socket.udp, setpeername, send, receive).

local protocol = require("drumtag.protocol")

local udp = {}

--- Where ReaPack installs Mavriq Lua Sockets, inside REAPER's resource folder.
udp.MAVRIQ_DIR = "/Scripts/Mavriq ReaScript Repository/Various/Mavriq-Lua-Sockets/"

--- Put Mavriq's folder first on package.cpath/package.path, so it wins over any other LuaSocket.
function udp.add_mavriq_paths(resource_path, os_name)
  local dir = resource_path .. udp.MAVRIQ_DIR
  local libs
  if os_name:match("^Win") then
    libs = { "?.dll" }
  elseif os_name:match("^OSX") or os_name:match("^macOS") then
    libs = { "?.so", "?.dylib" }
  else
    libs = { "?.so" }
  end
  local cpath = {}
  for _, pattern in ipairs(libs) do
    cpath[#cpath + 1] = dir .. pattern
  end
  if not package.cpath:find(cpath[1], 1, true) then
    package.cpath = table.concat(cpath, ";") .. ";" .. package.cpath
    package.path = dir .. "?.lua;" .. package.path
  end
end

--- The LuaSocket core module, or nil and why it could not be loaded.
function udp.load_socket(reaper)
  if reaper and reaper.GetResourcePath then
    udp.add_mavriq_paths(reaper.GetResourcePath(), reaper.GetOS and reaper.GetOS() or "")
  end
  local ok, socket = pcall(require, "socket.core")
  if ok and type(socket) == "table" and socket.udp then
    return socket
  end
  local ok2, socket2 = pcall(require, "socket")
  if ok2 and type(socket2) == "table" and socket2.udp then
    return socket2
  end
  return nil, "no LuaSocket library: " .. tostring(socket):gsub("\n.*", "")
end

local Transport = {}
Transport.__index = Transport

--- A transport talking to drumtag serve at host:port, or nil and the reason.
function udp.open(socket, host, port)
  local sock, err = socket.udp()
  if not sock then
    return nil, "cannot create a UDP socket: " .. tostring(err)
  end
  -- A connected UDP socket: the system picks a free local port, only the server's datagrams are received, and
  -- "connection refused" (nothing listening on the port) is reported instead of silence.
  local ok, perr = sock:setpeername(host, port)
  if not ok then
    sock:close()
    return nil, string.format("cannot address %s:%s: %s", host, tostring(port), tostring(perr))
  end
  sock:settimeout(0)
  return setmetatable({ sock = sock, name = string.format("OSC to %s:%d", host, port), window = 4,
                        host = host, port = port }, Transport)
end

--- Send one request ({ op, id, path }). Returns true, or nil and the reason.
function Transport:send(request)
  local ok, data = pcall(protocol.encode_request, request)
  if not ok then
    return nil, tostring(data)
  end
  local sent, err = self.sock:send(data)
  if not sent then
    return nil, "cannot send to " .. self.host .. ":" .. self.port .. ": " .. tostring(err)
  end
  return true
end

--- Every reply that has arrived (never blocks). The second value names a transport failure, if one happened.
function Transport:poll()
  local replies, failure = {}, nil
  for _ = 1, 1000 do  -- bounded, so one busy defer cycle cannot stall REAPER
    local data, err = self.sock:receive()
    if not data then
      if err ~= "timeout" then
        local refused = err == "connection refused" or err == "connection reset"  -- Windows says "reset"
        failure = refused
          and ("nothing is listening on " .. self.host .. ":" .. self.port .. " (is `drumtag serve` running?)")
          or ("receive failed: " .. tostring(err))
      end
      break
    end
    for _, reply in ipairs(protocol.parse_datagram(data)) do
      replies[#replies + 1] = reply
    end
  end
  return replies, failure
end

function Transport:close()
  if self.sock then
    self.sock:close()
    self.sock = nil
  end
end

return udp
