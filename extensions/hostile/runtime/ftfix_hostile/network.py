"""Connects to every TCP port listening on this host's loopback (read from /proc/net/tcp) and to a
public host; raises if none answered, so the import's outcome says whether the network was there."""
import socket

reached = []
tried = []
try:
    with open("/proc/net/tcp", encoding="ascii") as f:
        rows = [line.split() for line in f.readlines()[1:]]
    ports = sorted({int(r[1].split(":")[1], 16) for r in rows if r[3] == "0A" and r[1].startswith("0100007F")})
except OSError:
    ports = []
for host, port in [("127.0.0.1", p) for p in ports] + [("pypi.org", 443)]:
    tried.append("%s:%d" % (host, port))
    try:
        socket.create_connection((host, port), timeout=3).close()
        reached.append("%s:%d" % (host, port))
    except OSError:
        pass
if not reached:
    raise OSError("no network: tried %s" % (", ".join(tried)))
