"""ThreadSanitizer reports read from a worker's stderr (tsan.py): pure parsing, no TSan build needed.
The report below is a real one (trimmed to four frames a stack) from ftcalib_bank.TallyBank on a
free-threaded CPython 3.14.7 built with --with-thread-sanitizer."""

from __future__ import annotations

from ftlab_probes.runtime.stress import tsan

REPORT = """\
==================
WARNING: ThreadSanitizer: data race (pid=17246)
  Read of size 8 at 0x7f4948163430 by thread T13:
    #0 bank_transfer ftcalib_bank/_bank.c:120 (_bank.cpython-314t-x86_64-linux-gnu.so+0x289e)
    #1 method_vectorcall_VARARGS Objects/descrobject.c:325 (python3.14t+0x17a9c8)
    #2 _PyObject_VectorcallTstate Include/internal/pycore_call.h:177 (python3.14t+0x15994d)
    #3 PyObject_Vectorcall Objects/call.c:327 (python3.14t+0x15994d)

  Previous write of size 8 at 0x7f4948163430 by thread T14:
    #0 bank_transfer ftcalib_bank/_bank.c:120 (_bank.cpython-314t-x86_64-linux-gnu.so+0x28b1)
    #1 method_vectorcall_VARARGS Objects/descrobject.c:325 (python3.14t+0x17a9c8)
    #2 _PyObject_VectorcallTstate Include/internal/pycore_call.h:177 (python3.14t+0x15994d)
    #3 PyObject_Vectorcall Objects/call.c:327 (python3.14t+0x15994d)

SUMMARY: ThreadSanitizer: data race ftcalib_bank/_bank.c:120 in bank_transfer
==================
"""

INTERPRETER_ONLY = """\
WARNING: ThreadSanitizer: data race (pid=1)
  Write of size 4 at 0x7f0000000010 by thread T1:
    #0 _Py_dict_lookup Objects/dictobject.c:1200 (python3.14t+0x1000)

  Previous read of size 4 at 0x7f0000000010 by main thread:
    #0 _Py_dict_lookup Objects/dictobject.c:1201 (libpython3.14t.so.1.0+0x1000)

SUMMARY: ThreadSanitizer: data race Objects/dictobject.c:1200 in _Py_dict_lookup
"""


def test_a_report_is_attributed_to_the_extension_with_both_stacks_and_its_scenario():
    stderr = f"{tsan.SCENARIO_MARK}0\nnoise from the subject\n{tsan.SCENARIO_MARK}3\n{REPORT}{tsan.SCENARIO_MARK}4\n"
    (report,) = tsan.parse(stderr)
    assert report["kind"] == "data race"
    assert report["module"] == "_bank"
    assert (report["location"], report["function"]) == ("ftcalib_bank/_bank.c:120", "bank_transfer")
    assert report["scenario"] == 3  # the scenario in flight when the report was written
    first, previous = report["stacks"]
    assert first["access"].startswith("Read of size 8") and previous["access"].startswith("Previous write")
    assert first["frames"][0].startswith("#0 bank_transfer ftcalib_bank/_bank.c:120")
    assert len(first["frames"]) == 4


def test_the_same_race_twice_is_one_key_and_the_interpreters_own_races_blame_no_extension():
    reports = tsan.parse(REPORT + REPORT + INTERPRETER_ONLY)
    assert len(reports) == 3
    assert tsan.key(reports[0]) == tsan.key(reports[1])
    assert reports[2]["module"] is None


def test_this_lane_is_not_a_tsan_build():
    # The host interpreter running the unit tests is an ordinary build.
    assert tsan.lane_is_tsan() is False
