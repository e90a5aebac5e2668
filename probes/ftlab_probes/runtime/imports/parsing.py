"""CPython's own words, read: the GIL RuntimeWarning, ``-v`` offender lines, faulthandler's reports
of a fatal error and of a timeout, signal names (pure)."""

import re
import signal as signal_module

from ftlab_probes.runtime.imports.limits import FAULTHANDLER_CHARS

GIL_WARNING_RE = re.compile(
    r"The global interpreter lock \(GIL\) has been enabled to load module '(?P<name>[^']+)', "
    r"which has not declared that it can run safely without the GIL\."
)
VERBOSE_GIL_RE = re.compile(r"^# loading module '(?P<name>[^']+)', which requires the GIL$", re.MULTILINE)
FATAL_RE = re.compile(r"^Fatal Python error: ", re.MULTILINE)
#: Modules/faulthandler.c format_timeout(): "Timeout (H:MM:SS)!", with ".uuuuuu" when not whole seconds.
HANG_RE = re.compile(r"^Timeout \(\d+:\d\d:\d\d(?:\.\d+)?\)!$", re.MULTILINE)


def parse_gil_warnings(text):
    """Module names from every GIL RuntimeWarning in ``text`` (a message or captured stderr), in order."""
    return unique(m.group("name") for m in GIL_WARNING_RE.finditer(text or ""))


def parse_verbose_offenders(stderr):
    """Module names from ``-v`` lines ``# loading module 'NAME', which requires the GIL``, in order."""
    return unique(m.group("name") for m in VERBOSE_GIL_RE.finditer(stderr or ""))


def signal_name(returncode):
    """``-11`` -> ``"SIGSEGV"``; None for a normal exit status."""
    if returncode is None or returncode >= 0:
        return None
    try:
        return signal_module.Signals(-returncode).name
    except ValueError:
        return "signal %d" % -returncode


def faulthandler_text(output):
    """faulthandler's report of a fatal error: from the last ``Fatal Python error:`` to the end."""
    return _last_block(FATAL_RE, output)


def hang_stacks(output):
    """The stacks faulthandler dumped on timeout: from the last ``Timeout (H:MM:SS[.uuuuuu])!`` on."""
    return _last_block(HANG_RE, output)


def _last_block(pattern, text):
    matches = list(pattern.finditer(text or ""))
    if not matches:
        return None
    return text[matches[-1].start() :][:FAULTHANDLER_CHARS]


def unique(names):
    """``names`` in order, without repeats."""
    seen = []
    for name in names:
        if name not in seen:
            seen.append(name)
    return seen
