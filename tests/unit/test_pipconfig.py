"""Reading uv's and pip's configuration into what the sandboxed uv gets: pure (files in a temporary
tree standing in for /etc, HOME and sys.prefix; the environment as a dict)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ftlab.deps.pipconfig import (
    index_settings,
    mask_url,
    pip_config_files,
    read_pip_config,
    settings_for_lock,
)
from ftlab.errors import UsageError


@pytest.fixture
def tree(tmp_path: Path):
    """write(relative path, text) into a tree with etc/, home/ and prefix/; settings(environ) reads it."""
    class Tree:
        etc, home, prefix = tmp_path / "etc", tmp_path / "home", tmp_path / "prefix"

        def write(self, rel: str, text: str) -> Path:
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            return path

        def settings(self, environ: dict | None = None, **kw):
            return index_settings(environ=environ or {}, home=self.home, prefix=self.prefix, etc=self.etc,
                                  system_store=kw.pop("system_store", True), **kw)

        def pip(self, environ: dict | None = None):
            return read_pip_config(environ or {}, home=self.home, prefix=self.prefix, etc=self.etc)

    return Tree()


def conf(**values: str) -> str:
    return "[global]\n" + "".join(f"{k.replace('_', '-')} = {v}\n" for k, v in values.items())


def test_pip_files_in_pips_order(tree):
    env = {"XDG_CONFIG_DIRS": f"{tree.etc}/a:{tree.etc}/b"}
    names = [(level, str(p.relative_to(tree.etc.parent))) for level, p in
             pip_config_files(env, home=tree.home, prefix=tree.prefix, etc=tree.etc)]
    assert names == [("global", "etc/a/pip/pip.conf"), ("global", "etc/b/pip/pip.conf"), ("global", "etc/pip.conf"),
                     ("user", "home/.pip/pip.conf"), ("user", "home/.config/pip/pip.conf"), ("site", "prefix/pip.conf")]


def test_later_files_win_then_variables(tree):
    tree.write("etc/xdg/pip/pip.conf", "[global]\nindex_url = https://xdg/simple\ntimeout = 5\n")  # pip's keys: _ is -
    assert tree.pip().get("index-url")[0] == "https://xdg/simple"
    tree.write("etc/pip.conf", conf(index_url="https://etc/simple"))
    assert tree.pip().get("index-url") == ("https://etc/simple", f"{tree.etc}/pip.conf [global] index-url")
    assert tree.pip().get("timeout")[0] == "5"  # a key set once stays, whatever file set it
    tree.write("home/.pip/pip.conf", conf(index_url="https://legacy/simple"))
    assert tree.pip().get("index-url")[0] == "https://legacy/simple"
    tree.write("home/.config/pip/pip.conf", conf(index_url="https://user/simple"))
    assert tree.pip().get("index-url")[0] == "https://user/simple"  # the XDG user file wins over the legacy one
    site = tree.write("prefix/pip.conf", conf(index_url="https://site/simple"))
    assert tree.pip().get("index-url") == ("https://site/simple", f"{site} [global] index-url")
    custom = tree.write("custom.conf", conf(index_url="https://custom/simple"))
    assert tree.pip({"PIP_CONFIG_FILE": str(custom)}).get("index-url")[0] == "https://custom/simple"
    env = {"PIP_CONFIG_FILE": str(custom), "PIP_INDEX_URL": "https://env/simple", "PIP_DEFAULT_TIMEOUT": "60"}
    assert tree.pip(env).get("index-url") == ("https://env/simple", "PIP_INDEX_URL")
    assert tree.pip(env).get("timeout") == ("60", "PIP_DEFAULT_TIMEOUT")  # --default-timeout is --timeout


def test_install_section_wins_over_global_in_any_file(tree):
    tree.write("etc/pip.conf", "[install]\nindex-url = https://install/simple\n")
    tree.write("home/.config/pip/pip.conf", conf(index_url="https://global/simple"))
    assert tree.pip().get("index-url")[0] == "https://install/simple"


def test_pip_config_file_hides_user_files_and_devnull_hides_all(tree):
    tree.write("etc/pip.conf", conf(cert="/etc/ca.pem"))
    tree.write("home/.config/pip/pip.conf", conf(index_url="https://user/simple"))
    custom = tree.write("custom.conf", conf(proxy="proxy:3128"))
    cfg = tree.pip({"PIP_CONFIG_FILE": str(custom)})
    assert cfg.get("index-url") is None and cfg.get("cert")[0] == "/etc/ca.pem" and cfg.get("proxy")[0] == "proxy:3128"
    assert tree.pip({"PIP_CONFIG_FILE": os.devnull}).values == {}


def test_unreadable_pip_conf_is_one_error(tree):
    path = tree.write("home/.config/pip/pip.conf", "index-url = https://no-section/simple\n")
    with pytest.raises(UsageError, match=f"cannot read pip's configuration file '{path}'"):
        tree.pip()


def test_index_precedence(tree):
    assert (tree.settings().index_url, tree.settings().index_source) == ("https://pypi.org/simple", "default")
    tree.write("home/.config/pip/pip.conf", conf(index_url="https://pipconf/simple/"))
    assert tree.settings().index_url == "https://pipconf/simple"
    env = {"PIP_INDEX_URL": "https://pipenv/simple"}
    assert tree.settings(env).index_source == "PIP_INDEX_URL"
    tree.write("home/.config/uv/uv.toml", '[[index]]\nurl = "https://uvtoml/simple"\ndefault = true\n')
    assert tree.settings(env).index_url == "https://uvtoml/simple"  # uv's own settings win over pip's
    env["UV_INDEX_URL"] = "https://uvindexurl/simple"
    assert tree.settings(env).index_source == "UV_INDEX_URL"
    env["UV_DEFAULT_INDEX"] = "https://uvdefault/simple"
    assert tree.settings(env).index_source == "UV_DEFAULT_INDEX"
    given = tree.settings(env, index_url="https://given/simple")
    assert (given.index_url, given.index_source) == ("https://given/simple", "--index-url")
    assert given.uv_env()["UV_DEFAULT_INDEX"] == "https://given/simple"


def test_pips_extra_indexes_come_after_the_main_index_best_match(tree):
    tree.write("home/.config/pip/pip.conf",
               conf(extra_index_url="file:///mirror/simple\n    https://private/simple", find_links="/wheels /more",
                    trusted_host="private"))
    s = tree.settings()
    env = s.uv_env()
    # pip takes the best file from every index: the main index first, the newest version wins.
    assert env["UV_INDEX"] == "https://pypi.org/simple file:///mirror/simple https://private/simple"
    assert env["UV_INDEX_STRATEGY"] == "unsafe-best-match"
    assert env["UV_FIND_LINKS"] == "/wheels,/more" and env["UV_INSECURE_HOST"] == "private"
    assert s.describe()["extra-index-source"].endswith("pip.conf [global] extra-index-url")
    # uv's own extra indexes replace pip's and keep uv's order and strategy.
    uv = tree.settings({"UV_INDEX": "internal=https://uv-extra/simple"}).uv_env()
    assert uv["UV_INDEX"] == "https://uv-extra/simple" and "UV_INDEX_STRATEGY" not in uv
    # A requirements file's extra indexes add to the configured ones.
    both = tree.settings(extra_index_urls=["https://req/simple"])
    assert both.extra_index_urls == ("https://req/simple", "file:///mirror/simple", "https://private/simple")


def test_proxies(tree):
    tree.write("etc/pip.conf", conf(proxy="user:secret@proxy.example:3128"))
    s = tree.settings()
    assert s.transport["HTTPS_PROXY"] == s.transport["HTTP_PROXY"] == "http://user:secret@proxy.example:3128"
    assert s.proxy_for("https://pypi.org/simple") == \
        f"http://user:****@proxy.example:3128 (from {tree.etc}/pip.conf [global] proxy)"
    # The environment's proxy wins for its scheme, as it does under pip (requests).
    s = tree.settings({"https_proxy": "http://corp:8080", "NO_PROXY": "localhost,.internal"})
    assert s.proxy_for("https://pypi.org/simple") == "http://corp:8080 (from https_proxy)"
    assert s.transport["HTTP_PROXY"].endswith("proxy.example:3128")  # http still gets pip's
    assert s.proxy_for("https://pkgs.internal/simple") == "none (pkgs.internal is in NO_PROXY)"
    assert s.proxy_for("file:///mirror/simple") == "none (local files)"
    assert tree.settings({"PIP_CONFIG_FILE": os.devnull}).proxy_for("https://pypi.org/simple") == "none"


def test_certificates(tree, tmp_path):
    bundle = tree.write("ca/bundle.pem", "-----BEGIN CERTIFICATE-----\n")
    none = tree.settings(system_store=False)
    assert none.certificates.startswith("uv's bundled roots") and "UV_SYSTEM_CERTS" not in none.transport
    system = tree.settings()
    assert system.certificates_text() == "system store" and system.transport["UV_SYSTEM_CERTS"] == "1"
    assert tree.settings({"REQUESTS_CA_BUNDLE": "/r.pem"}).certificates_text() == "/r.pem (from REQUESTS_CA_BUNDLE)"
    tree.write("etc/pip.conf", conf(cert="/pip/ca.pem", client_cert="/pip/me.pem"))
    s = tree.settings({"REQUESTS_CA_BUNDLE": "/r.pem"})
    assert s.transport["SSL_CERT_FILE"] == "/pip/ca.pem" and s.transport["SSL_CLIENT_CERT"] == "/pip/me.pem"
    assert s.certificates_text() == f"/pip/ca.pem (from {tree.etc}/pip.conf [global] cert)"
    s = tree.settings({"SSL_CERT_FILE": str(bundle)})
    assert (s.transport["SSL_CERT_FILE"], s.certificates_source) == (str(bundle), "SSL_CERT_FILE")
    assert tree.settings({"UV_SYSTEM_CERTS": "true"}).certificates_text() == "system store (from UV_SYSTEM_CERTS)"


def test_unreachable_message_names_the_setting(tree):
    s = tree.settings()
    assert s.unreachable_message("Connection refused") == (
        "cannot reach the package index https://pypi.org/simple (from: default); set PIP_INDEX_URL / [global] "
        "index-url in pip.conf, or UV_DEFAULT_INDEX, or pass --index-url; proxy: none; certificates: system store; "
        "uv said: Connection refused")
    path = tree.write("home/.config/pip/pip.conf", conf(index_url="https://u:pw@private.example/simple",
                                                         extra_index_url="https://extra.example/simple"))
    msg = tree.settings().unreachable_message("dns error")
    assert msg.startswith(f"cannot reach the package index https://u:****@private.example/simple (from: {path} "
                          f"[global] index-url); check [global] index-url in {path}, or pass --index-url")
    assert "pw" not in msg
    extra = tree.settings().unreachable_message("x", "https://extra.example/simple/numpy/")
    assert "package index https://extra.example/simple (from:" in extra and "check or remove extra-index-url" in extra
    assert "check PIP_INDEX_URL" in tree.settings({"PIP_INDEX_URL": "https://e/simple"}).unreachable_message("x")


def test_masking():
    assert mask_url("https://user:pw@h.example:8443/simple") == "https://user:****@h.example:8443/simple"
    assert mask_url("https://token@h.example/simple") == "https://****@h.example/simple"
    assert mask_url("https://pypi.org/simple") == "https://pypi.org/simple"


def test_netrc_is_passed_when_there_is_one(tree):
    assert "NETRC" not in tree.settings().transport
    netrc = tree.write("home/.netrc", "machine private.example login u password p\n")
    assert tree.settings().transport["NETRC"] == str(netrc)


def test_a_stored_lock_gets_its_credentials_back_from_the_configuration(tree):
    config = {"environ": {"PIP_INDEX_URL": "https://u:pw@private.example/simple"}, "home": tree.home,
              "prefix": tree.prefix, "etc": tree.etc, "system_store": True}
    same = settings_for_lock("https://u:****@private.example/simple", **config)
    assert (same.index_url, same.index_source) == ("https://u:pw@private.example/simple", "PIP_INDEX_URL")
    other = settings_for_lock("https://other.example/simple", **config)
    assert (other.index_url, other.index_source) == ("https://other.example/simple", "the run's lock")
