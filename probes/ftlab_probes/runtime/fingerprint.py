"""What an interpreter says about itself. A lane is identified by this, never by its file name.

Kept parseable by Python 2.7 and 3.x alike (no f-strings, no annotations): the host runs this file
directly on every candidate interpreter it finds, and an old one must still answer so the host can
say "Python 2.7.18 is too old" instead of "not a Python interpreter".
Run as a script it prints one JSON line on stdout.
"""

import json
import platform
import sys
import sysconfig


def _abiflags():
    flags = getattr(sys, "abiflags", None)
    if flags is None:  # Windows has no sys.abiflags; sysconfig knows the threaded build there
        flags = "t" if sysconfig.get_config_var("Py_GIL_DISABLED") else ""
    return flags


def _platform_tags(interp, abi):
    """The first wheel tags this interpreter accepts, most specific first (as packaging orders them)."""
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    plats = []
    if plat.startswith("linux_"):
        arch = plat[len("linux_"):]
        libc, ver = platform.libc_ver()
        if libc == "glibc" and ver:
            parts = ver.split(".")
            plats.append("manylinux_%s_%s_%s" % (parts[0], parts[1], arch))
        elif libc == "" and ver == "":
            # musl: platform.libc_ver() cannot tell; packaging reads the loader. Keep it generic.
            plats.append("musllinux_1_2_" + arch)
        plats.append(plat)
    else:
        plats.append(plat)
    return ["%s-%s-%s" % (interp, abi, p) for p in plats] + ["%s-none-any" % interp]


def sanitizer():
    """"thread" when the interpreter was built with ThreadSanitizer, else "" (its configuration says so)."""
    for name in ("CONFIG_ARGS", "CFLAGS", "PY_CFLAGS", "PY_CFLAGS_NODIST", "LDFLAGS", "CONFIGURE_CFLAGS"):
        value = sysconfig.get_config_var(name) or ""
        if "-fsanitize=thread" in value or "--with-thread-sanitizer" in value:
            return "thread"
    return ""


def fingerprint():
    vi = sys.version_info
    gil_disabled = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    abiflags = _abiflags()
    impl = sys.implementation.name if hasattr(sys, "implementation") else platform.python_implementation().lower()
    interp = "cp%d%d" % (vi[0], vi[1]) if impl == "cpython" else "%s%d%d" % (impl[:2], vi[0], vi[1])
    abi = "cp%d%d%s" % (vi[0], vi[1], abiflags) if impl == "cpython" else "none"
    ext_suffix = sysconfig.get_config_var("EXT_SUFFIX") or sysconfig.get_config_var("SO")
    try:
        from importlib.machinery import EXTENSION_SUFFIXES
        ext_suffixes = list(EXTENSION_SUFFIXES)
    except ImportError:
        ext_suffixes = [ext_suffix] if ext_suffix else []
    is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
    flags_gil = getattr(sys.flags, "gil", None)
    return {
        "executable": sys.executable,
        "prefix": sys.prefix,
        "base_prefix": getattr(sys, "base_prefix", sys.prefix),
        "version": "%d.%d.%d" % (vi[0], vi[1], vi[2]),
        "version_info": [vi[0], vi[1], vi[2], vi[3], vi[4]],
        "sys_version": sys.version,
        "implementation": impl,
        "gil_disabled": gil_disabled,
        "gil_enabled_now": bool(is_gil_enabled()) if is_gil_enabled else True,
        "flags_gil": flags_gil,
        "abiflags": abiflags,
        "ext_suffix": ext_suffix,
        "ext_suffixes": ext_suffixes,
        "soabi": sysconfig.get_config_var("SOABI"),
        "debug_build": bool(sysconfig.get_config_var("Py_DEBUG")),
        "sanitizer": sanitizer(),
        "platform": sysconfig.get_platform(),
        "machine": platform.machine(),
        "platform_tags": _platform_tags(interp, abi),
        "pointer_bits": 64 if sys.maxsize > 2 ** 32 else 32,
    }


def run(job):
    """The `fingerprint` check: the lane re-reports itself from inside the job's sandbox."""
    return {"status": "ok", "data": fingerprint(), "signals": []}


if __name__ == "__main__":
    sys.stdout.write(json.dumps(fingerprint()) + "\n")
