"""CPython's own words, parsed: the GIL RuntimeWarning, `-v` lines, exit statuses, faulthandler text.

The strings below are copied from CPython (Python/import.c, Modules/faulthandler.c; FACTS.md), not
from our regular expressions, so a drift on either side fails here.
"""

from __future__ import annotations

import signal

from ftlab_probes.runtime.imports.parsing import (
    faulthandler_text,
    hang_stacks,
    parse_gil_warnings,
    parse_verbose_offenders,
    signal_name,
)

# Python/import.c, _PyImport_CheckGILForModule (3.13, 3.14).
WARNING = (
    "The global interpreter lock (GIL) has been enabled to load module '{}', which has not declared that it "
    "can run safely without the GIL. To override this behavior and keep the GIL disabled (at your own risk), "
    "run with PYTHON_GIL=0 or -Xgil=0."
)
# Same function, under -v.
VERBOSE = "# loading module '{}', which requires the GIL"


def test_warning_message_names_the_module():
    assert parse_gil_warnings(WARNING.format("yaml._yaml")) == ["yaml._yaml"]


def test_warning_as_printed_by_the_warnings_module():
    printed = "<frozen importlib._bootstrap>:488: RuntimeWarning: " + WARNING.format("_cffi_backend") + "\n"
    assert parse_gil_warnings("noise\n" + printed + "more noise\n") == ["_cffi_backend"]


def test_warning_names_in_order_without_repeats():
    text = "\n".join(WARNING.format(n) for n in ("a._x", "b", "a._x"))
    assert parse_gil_warnings(text) == ["a._x", "b"]


def test_other_runtime_warnings_are_not_gil_warnings():
    assert parse_gil_warnings("RuntimeWarning: coroutine 'f' was never awaited") == []
    assert parse_gil_warnings("") == []
    assert parse_gil_warnings(None) == []


def test_verbose_lines_name_every_offender():
    stderr = "\n".join(
        [
            "import 'ftfix_chain' # <_frozen_importlib_external.SourceFileLoader object at 0x7f>",
            "# extension module 'ftfix_chain._speedups' loaded from '/x/_speedups.cpython-314t-x86_64-linux-gnu.so'",
            VERBOSE.format("ftfix_chain._speedups"),
            "<frozen importlib._bootstrap>:488: RuntimeWarning: " + WARNING.format("ftfix_chain._speedups"),
            "# extension module 'ftfix_chain._legacy' loaded from '/x/_legacy.cpython-314t-x86_64-linux-gnu.so'",
            VERBOSE.format("ftfix_chain._legacy"),
            "import 'ftfix_chain.api' # <_frozen_importlib_external.SourceFileLoader object at 0x7f>",
        ]
    )
    assert parse_verbose_offenders(stderr) == ["ftfix_chain._speedups", "ftfix_chain._legacy"]


def test_verbose_line_must_be_a_whole_line():
    # A package printing the phrase inside another line is not CPython speaking.
    assert parse_verbose_offenders("log: " + VERBOSE.format("x") + "\n") == []


def test_signal_names():
    assert signal_name(-signal.SIGSEGV) == "SIGSEGV"
    assert signal_name(-signal.SIGABRT) == "SIGABRT"
    assert signal_name(-signal.SIGKILL) == "SIGKILL"
    assert signal_name(0) is None
    assert signal_name(1) is None
    assert signal_name(None) is None
    assert signal_name(-250) == "signal 250"


SEGFAULT_OUTPUT = """\
some output the package printed
Fatal Python error: Segmentation fault

Current thread 0x00007f7504092b80 (most recent call first):
  File "<frozen importlib._bootstrap>", line 488 in _call_with_frames_removed
  File "<frozen importlib._bootstrap_external>", line 1316 in create_module
  File "<string>", line 118 in check

Extension modules: ftfix_segfault (total: 1)
"""

HANG_OUTPUT = """\
Timeout (0:00:03)!
Thread 0x00007f9852a88b80 (most recent call first):
  File "<frozen importlib._bootstrap>", line 488 in _call_with_frames_removed
  File "<frozen importlib._bootstrap_external>", line 1324 in exec_module
"""


def test_faulthandler_text_starts_at_the_fatal_error():
    text = faulthandler_text(SEGFAULT_OUTPUT)
    assert text.startswith("Fatal Python error: Segmentation fault\n")
    assert "create_module" in text
    assert "Extension modules: ftfix_segfault (total: 1)" in text
    assert faulthandler_text("no crash here") is None


def test_fatal_error_from_py_fatal_error():
    out = "Fatal Python error: config_read_gil: Disabling the GIL is not supported by this build\n"
    out += "Python runtime state: preinitialized\n"
    assert faulthandler_text(out).startswith("Fatal Python error: config_read_gil:")


def test_hang_stacks_start_at_the_timeout_line():
    text = hang_stacks("before\n" + HANG_OUTPUT)
    assert text.startswith("Timeout (0:00:03)!\nThread 0x")
    assert "exec_module" in text
    assert hang_stacks(SEGFAULT_OUTPUT) is None


def test_hang_stacks_with_a_fractional_timeout():
    # faulthandler prints microseconds when the timeout is not whole seconds.
    text = hang_stacks(
        "Timeout (0:00:03.998000)!\nThread 0x00007fed403c8b80 (most recent call first):\n"
    )
    assert text.startswith("Timeout (0:00:03.998000)!")
