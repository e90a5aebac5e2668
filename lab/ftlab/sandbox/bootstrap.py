"""The first process inside every sandbox: it sets the sandbox up, starts the tested command, and
leaves nothing of it behind.

Run by ``lab/ftlab/sandbox/process.py`` with the host's Python in isolated mode (``python -I -S bootstrap.py
SPEC``), standard library only, usually as PID 1 of a fresh PID namespace. In order:

1. host death: it holds the read end of a "lifeline" pipe whose only write end is the host's; when
   the host ends, however it ends (``kill -9`` included, even before this process started), the read
   returns end-of-file and this process kills everything it started, so nothing sandboxed outlives
   ftlab (no race, unlike a parent-death signal armed after the fork; no polling);
2. subreaper: processes the command orphans (daemons, double forks, ``setsid``) are re-parented here;
3. file system: where it has a mount namespace, every mount becomes read-only except the job's own
   folders, and /dev/shm is a private tmpfs;
4. resource limits: address space, CPU seconds, file size, open files, no core files;
5. the command runs with no capabilities (bounding set emptied, no_new_privs), so even root inside
   cannot undo the above, and dies with this process;
6. when it ends, every process left in the sandbox is killed; their command lines are reported.

The spec comes in, and how it went goes out, as ``marshal`` data (the host runs this file with its own
interpreter, and marshal costs no import: this process starts before every child, so its start-up time
is every child's overhead). The status goes to the file descriptor ``status_fd``, a pipe the host holds;
the tested command never has it, so it cannot forge it.
"""

import _thread
import ctypes
import marshal
import os
import signal
import sys
import time

PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC = 32, 1024, 2048, 4096, 16384
MS_PRIVATE, MS_RELATIME, MS_STRICTATIME = 1 << 18, 1 << 21, 1 << 24
#: Per-mount options that may be locked in a user namespace: a remount must repeat them or it fails.
_KEEP_FLAGS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
               "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME, "strictatime": MS_STRICTATIME}

#: /dev/shm inside the sandbox (multiprocessing's semaphores live there): private, and bounded.
SHM_SIZE = "256m"
#: Rounds of "kill what is left, reap, look again": each round catches what the last one's victims forked.
SWEEP_ROUNDS = 50


def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)  # the C library is already loaded into this process
    except OSError:
        return None


def _prctl(libc, option, arg):
    return libc is not None and libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0) == 0


def _mount(libc, source, target, fstype, flags, data=None):
    enc = [x.encode() if isinstance(x, str) else x for x in (source, target, fstype, data)]
    if libc.mount(enc[0], enc[1], enc[2], ctypes.c_ulong(flags), enc[3]) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")


def _unescape(path):
    """mountinfo writes space, tab, newline and backslash as octal escapes."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        path = path.replace(code, char)
    return path


def mounts():
    """(mount point, per-mount options) for every mount of this namespace, in mount order."""
    out = []
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        for line in f:
            fields = line.split()
            out.append((_unescape(fields[4]), fields[5].split(",")))
    return out


def _under(path, roots):
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def make_readonly(libc, writable):
    """Every mount read-only except ``writable`` (bind-mounted onto themselves first) and a private
    /dev/shm. Returns the mount points that could not be made read-only."""
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)  # nothing done here reaches the host
    keep = []
    for path in writable:
        real = os.path.realpath(path)
        if os.path.isdir(real):
            _mount(libc, real, real, None, MS_BIND | MS_REC)
            keep.append(real)
    if os.path.isdir("/dev/shm"):
        try:
            _mount(libc, "tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=" + SHM_SIZE)
            keep.append("/dev/shm")
        except OSError:
            pass
    failed = []
    for point, options in mounts():
        # /proc is the namespace's own (its writable files are per process); the kept folders stay writable.
        if _under(point, keep) or _under(point, ["/proc"]):
            continue
        flags = MS_BIND | MS_REMOUNT | MS_RDONLY
        for opt in options:
            flags |= _KEEP_FLAGS.get(opt, 0)
        try:
            _mount(libc, None, point, None, flags)
        except OSError:
            failed.append(point)
    return failed


def apply_limits(limits):
    import resource

    def cap(which, value):
        _soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value if hard == resource.RLIM_INFINITY else hard))

    # No core files: a crash is recorded from the exit status and faulthandler's text.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if limits.get("address_space_mb"):
        cap(resource.RLIMIT_AS, int(limits["address_space_mb"]) * 1024 * 1024)
    if limits.get("file_size_mb"):
        # Python ignores SIGXFSZ, so a write past this fails with EFBIG ("File too large") instead.
        cap(resource.RLIMIT_FSIZE, int(limits["file_size_mb"]) * 1024 * 1024)
    if limits.get("open_files"):
        cap(resource.RLIMIT_NOFILE, int(limits["open_files"]))
    if limits.get("cpu_s"):
        # Soft limit: SIGXCPU; the hard limit a few seconds later: SIGKILL.
        soft = int(limits["cpu_s"])
        _s, hard = resource.getrlimit(resource.RLIMIT_CPU)
        new_hard = soft + 5 if hard == resource.RLIM_INFINITY else min(soft + 5, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (min(soft, new_hard), new_hard))


def drop_privileges(libc):
    """Empty the capability bounding set and set no_new_privs: whatever the command execs, even as
    root, starts with no capability and cannot gain one (setuid binaries included). True when done."""
    if not _prctl(libc, PR_SET_NO_NEW_PRIVS, 1):
        return False
    for cap in range(64):
        if libc.prctl(PR_CAPBSET_DROP, ctypes.c_ulong(cap), 0, 0, 0) != 0:
            # EINVAL: past the last capability this kernel knows; EPERM: we never had any to drop.
            return ctypes.get_errno() == 22 or os.geteuid() != 0
    return True


def _proc_table():
    """pid -> (ppid, command line) for every process this /proc shows."""
    table = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return table  # no procfs (macOS): the process group and the host's kill are all there is
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read().decode("utf-8", "replace")
            fields = stat[stat.rindex(")") + 2:].split()
            if fields[0] in ("Z", "X"):
                continue  # dead already, only waiting to be reaped
            ppid = int(fields[1])
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        except (OSError, ValueError, IndexError):
            continue
        table[int(name)] = (ppid, cmd)
    return table


def descendants(me):
    """Every process below ``me`` (its pid as this /proc names it)."""
    table = _proc_table()
    children = {}
    for pid, (ppid, _cmd) in table.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = [], list(children.get(me, []))
    while todo:
        pid = todo.pop()
        out.append((pid, table[pid][1]))
        todo.extend(children.get(pid, []))
    return out


def _reap():
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def sweep(me):
    """Kill everything left below ``me`` until nothing is; return what was found (pid, command line)."""
    found = {}
    for _ in range(SWEEP_ROUNDS):
        _reap()
        left = descendants(me)
        if not left:
            break
        for pid, cmd in left:
            found.setdefault(pid, cmd)
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.01)
        _reap()
    return [{"pid": pid, "cmdline": cmd[:300]} for pid, cmd in sorted(found.items())]


def _self_pid():
    """Our pid as /proc names it (in a PID namespace without its own /proc, os.getpid() says 1)."""
    try:
        return int(os.readlink("/proc/self"))
    except (OSError, ValueError):
        return os.getpid()


def main(argv):
    with open(argv[1], "rb") as f:
        spec = marshal.load(f)
    status_fd = spec["status_fd"]
    layers = list(spec.get("layers") or [])
    notes = []
    libc = _libc()

    if _prctl(libc, PR_SET_CHILD_SUBREAPER, 1):
        layers.append("subreaper")
    if "mountns" in layers and spec.get("writable"):
        try:
            failed = make_readonly(libc, spec["writable"])
            layers.append("fs-readonly")
            if failed:
                notes.append("left writable (remount refused): " + ", ".join(failed[:10]))
        except OSError as exc:
            notes.append(f"file system left writable: {exc}")
    if drop_privileges(libc):
        layers.append("no-caps")
    apply_limits(spec.get("limits") or {})

    me = _self_pid()

    def stop(signum, _frame):
        sweep(me)
        os._exit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, stop)

    def watch_lifeline(fd):
        # Blocks until the host's end closes: the host ended (kill -9 included) or is done with us.
        while True:
            try:
                if not os.read(fd, 64):
                    break
            except InterruptedError:
                continue
            except OSError:
                break
        stop(signal.SIGHUP, None)

    _thread.start_new_thread(watch_lifeline, (spec["lifeline_fd"],))

    try:
        pid = spawn(libc, spec["argv"], spec["cwd"])
    except OSError as exc:
        _write_status(status_fd, {"started": False, "error": str(exc), "layers": layers, "notes": notes})
        return 127

    _pid, status = os.waitpid(pid, 0)
    orphans = sweep(me)
    _write_status(status_fd, {
        "started": True,
        "returncode": os.waitstatus_to_exitcode(status),
        "orphans": orphans,
        "layers": layers,
        "notes": notes,
    })
    return 0


def spawn(libc, argv, cwd):
    """fork + exec: the command, with stdin on /dev/null, dying with this process. Errors before the
    exec (a missing program) come back through a close-on-exec pipe and are raised here."""
    r, w = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            _prctl(libc, PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != parent:
                os._exit(127)  # this process died before the death signal was armed
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.chdir(cwd)
            os.closerange(3, w)
            os.closerange(w + 1, 1 << 16)
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                signal.signal(sig, signal.SIG_DFL)
            os.execvp(argv[0], argv)
        except OSError as exc:
            os.write(w, f"{argv[0]}: {exc.strerror or exc}".encode())
        finally:
            os._exit(127)
    os.close(w)
    error = b""
    while True:
        chunk = os.read(r, 4096)
        if not chunk:
            break
        error += chunk
    os.close(r)
    if error:
        os.waitpid(pid, 0)
        raise OSError(error.decode("utf-8", "replace"))
    return pid


def _write_status(fd, doc):
    data = marshal.dumps(doc)
    while data:
        data = data[os.write(fd, data):]
    os.close(fd)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
