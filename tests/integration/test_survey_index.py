"""`ftlab survey --with-extensions` reads each package's files from the index (a real one on loopback)."""

from __future__ import annotations

from ftlab.engine.survey import with_extensions


def test_with_extensions_keeps_packages_whose_newest_release_has_compiled_wheels(local_index):
    kept, dropped = with_extensions(["pure-pkg", "ft-native", "abi3-only", "sdist-only", "no-such-project"],
                                    local_index.url)
    assert kept == ["ft-native", "abi3-only"]
    assert dropped["pure-pkg"] == "pure Python wheels only"
    assert dropped["sdist-only"] == "no wheels to tell by"
    assert "not found on the package index" in dropped["no-such-project"]
