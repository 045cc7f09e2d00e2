// SPDX-License-Identifier: GPL-2.0-or-later
// Preload (node --import) for the cache-tests server: its server.mjs calls
// server.listen(port), which binds every interface. This makes a listen()
// given only a port bind 127.0.0.1 instead, so the suite's origin is
// reachable from this host alone.
import net from 'net'

const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  const onlyPort = args.length >= 1 &&
    (typeof args[0] === 'number' || typeof args[0] === 'string') &&
    (args.length === 1 || typeof args[1] === 'function')
  if (onlyPort) args.splice(1, 0, '127.0.0.1')
  return listen.apply(this, args)
}
