"""The lock's saved form: where packages come from survives a round trip, without credentials."""

from __future__ import annotations

from ftlab.deps.lock import FORMAT, Lock, Pin, render


def test_sources_and_per_pin_index_round_trip():
    pins = [Pin(name="cffi", version="2.0.0", markers="platform_python_implementation != 'PyPy'", via=("cryptography",),
                index="https://pypi.org/simple"),
            Pin(name="cryptography", version="46.0.0", index="https://u:****@private.example/simple"),
            Pin(name="six", version="1.17.0")]
    sources = {"index-source": "/etc/pip.conf [global] index-url", "proxy": "http://proxy:3128 (from HTTPS_PROXY)",
               "certificates": "system store"}
    text = render(pins, "https://u:secret@private.example/simple", "3.14", True, sources)
    assert "secret" not in text
    assert text.splitlines()[:5] == [f"# {FORMAT}", "# index-url: https://u:****@private.example/simple",
                                     "# python-version: 3.14", "# universal: true",
                                     "# index-source: /etc/pip.conf [global] index-url"]
    assert "cffi==2.0.0 ; platform_python_implementation != 'PyPy'  # via cryptography; from https://pypi.org/simple" in text
    lock = Lock.parse(text)
    assert lock.pins == tuple(pins)
    assert dict(lock.sources) == sources and lock.index_url == "https://u:****@private.example/simple"


def test_a_lock_written_before_sources_still_reads():
    lock = Lock.parse(f"# {FORMAT}\n# index-url: https://pypi.org/simple\n# python-version: 3.14\n# universal: true\n"
                      "cffi==2.0.0  # via cryptography\n")
    assert lock.pins == (Pin(name="cffi", version="2.0.0", via=("cryptography",)),) and dict(lock.sources) == {}
