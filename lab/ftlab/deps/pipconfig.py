"""Where ftlab reaches the package index: uv's own settings, else pip's, read the way pip reads them.

Every uv that ftlab runs is sandboxed with an allowlisted environment and a private HOME, so it sees none
of the user's configuration by itself. This module reads that configuration once per command and says
exactly what the sandboxed uv gets (``IndexSettings.uv_env``), and where each setting came from:

- the index: ``--index-url`` given to ftlab (or a requirements file's), then uv's ``UV_DEFAULT_INDEX``,
  ``UV_INDEX_URL``, uv.toml, then pip's ``index-url``, then PyPI;
- extra indexes: a requirements file's ``--extra-index-url``, plus uv's ``UV_INDEX`` /
  ``UV_EXTRA_INDEX_URL`` / uv.toml, or else pip's ``extra-index-url``. pip merges every index and takes
  the best file; uv by default stops at the first index that has a project (a mirror of old cp311 wheels
  listed as an extra index would then hide every cp314 wheel of the main index). So pip's extra indexes
  are given to uv after the main index, with ``unsafe-best-match``: the newest version wins, and for a
  version on several indexes, the main index's files;
- ``find-links``, ``trusted-host`` (uv's ``--allow-insecure-host``), ``timeout``, ``client-cert``;
- the proxy: ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` / ``NO_PROXY`` (either case), or pip's
  ``proxy`` for a scheme that has none (as requests, under pip, lets the environment win);
- certificates: ``SSL_CERT_FILE``, uv's ``UV_SYSTEM_CERTS``, pip's ``cert``, ``REQUESTS_CA_BUNDLE`` /
  ``CURL_CA_BUNDLE`` (which pip's requests honours), else the system store where the machine has one
  (pip >= 24.2 trusts it by default, uv only when told), else uv's bundled roots;
- ``~/.netrc`` (credentials pip's requests and uv both read), passed as ``NETRC``.

pip's files, as pip 23-25 load them (``pip config debug`` lists them), later ones winning: global
(``$XDG_CONFIG_DIRS/pip/pip.conf``, default ``/etc/xdg``, then ``/etc/pip.conf``), user
(``~/.pip/pip.conf``, then ``$XDG_CONFIG_HOME/pip/pip.conf``; skipped when ``PIP_CONFIG_FILE`` names a
file that exists), site (``sys.prefix/pip.conf``), then ``PIP_CONFIG_FILE``; ``PIP_CONFIG_FILE=/dev/null``
loads none. Across all files ``[install]`` wins over ``[global]``, and ``PIP_<OPTION>`` variables win
over both. Values are read with ``configparser``, as pip does; keys and variables are normalised
(``index_url`` = ``index-url``). Nothing here prints; URLs are shown with their passwords masked.
"""

from __future__ import annotations

import configparser
import os
import ssl
import sys
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from urllib.request import proxy_bypass_environment

from ftlab.errors import UsageError

DEFAULT_INDEX_URL = "https://pypi.org/simple"
#: The pip command whose section applies: ftlab locks and installs, as ``pip install`` would.
PIP_COMMAND = "install"
#: pip's option names that are aliases of one option (``--timeout`` / ``--default-timeout``).
_ALIASES = {"default-timeout": "timeout", "extra-index": "extra-index-url"}
#: Options pip splits on whitespace (``append`` options): several values in one setting.
_LISTS = ("extra-index-url", "find-links", "trusted-host")
_PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
               "NO_PROXY", "no_proxy")
_TRUE = ("1", "true", "yes", "on")


# --- pip's configuration --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PipConfig:
    """pip's effective settings for ``pip install``: option -> (value, where it was set)."""

    values: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    #: The files pip would read, in its order, whether they exist or not (``pip config debug``).
    files: tuple[str, ...] = ()

    def get(self, option: str) -> tuple[str, str] | None:
        return self.values.get(option)


def pip_config_files(environ: Mapping[str, str], *, home: Path, prefix: Path,
                     etc: Path = Path("/etc")) -> list[tuple[str, Path]]:
    """(level, path) of pip's configuration files in the order pip loads them (later ones win).
    Empty when ``PIP_CONFIG_FILE`` is the null device."""
    env_file = environ.get("PIP_CONFIG_FILE")
    if env_file == os.devnull:
        return []
    dirs = (environ.get("XDG_CONFIG_DIRS") or "").strip() or str(etc / "xdg")
    out = [("global", Path(d) / "pip" / "pip.conf") for d in dirs.split(os.pathsep) if d]
    out.append(("global", etc / "pip.conf"))
    if not (env_file and Path(env_file).exists()):
        xdg_home = Path(environ.get("XDG_CONFIG_HOME") or home / ".config")
        out += [("user", home / ".pip" / "pip.conf"), ("user", xdg_home / "pip" / "pip.conf")]
    out.append(("site", prefix / "pip.conf"))
    if env_file:
        out.append(("env", Path(env_file)))
    return out


def _normalize(name: str) -> str:
    name = name.lower().replace("_", "-").removeprefix("--")
    return _ALIASES.get(name, name)


def read_pip_config(environ: Mapping[str, str], *, home: Path, prefix: Path, etc: Path = Path("/etc"),
                    command: str = PIP_COMMAND) -> PipConfig:
    """pip's settings from its files and ``PIP_*`` variables. Raises UsageError for a file pip could not
    read either (pip stops with an error on it)."""
    files = pip_config_files(environ, home=home, prefix=prefix, etc=etc)
    merged: dict[tuple[str, str], tuple[str, str]] = {}  # (section, option) -> (value, source)
    for _, path in files:
        if not path.is_file():
            continue
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read pip's configuration file '{path}' ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0]}); fix it, as pip cannot read it either") from None
        for section in parser.sections():
            for key, value in parser.items(section):
                merged[(section, _normalize(key))] = (value, f"{path} [{section}] {key}")
    values: dict[str, tuple[str, str]] = {}
    for wanted in ("global", command):  # the command's section wins over [global], whatever the file
        for (section, option), (value, source) in merged.items():
            if section == wanted and value.strip():
                values[option] = (value.strip(), source)
    for var, value in environ.items():
        if var.startswith("PIP_") and var != "PIP_CONFIG_FILE" and value.strip():
            values[_normalize(var[4:])] = (value.strip(), var)
    return PipConfig(values=values, files=tuple(str(p) for _, p in files))


# --- uv's own configuration -----------------------------------------------------------------------------


def _uv_config_files(environ: Mapping[str, str], home: Path, etc: Path) -> list[Path]:
    """uv's user file, then its system files (the user's wins)."""
    xdg_home = Path(environ.get("XDG_CONFIG_HOME") or home / ".config")
    dirs = (environ.get("XDG_CONFIG_DIRS") or "").strip() or str(etc / "xdg")
    return [xdg_home / "uv" / "uv.toml", *(Path(d) / "uv" / "uv.toml" for d in dirs.split(os.pathsep) if d),
            etc / "uv" / "uv.toml"]


def _uv_config_indexes(path: Path) -> tuple[str | None, list[str]]:
    """(default index, extra indexes) a uv.toml sets; unreadable files count as empty (uv reports them)."""
    if not path.is_file():
        return None, []
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None, []
    default, extras = None, []
    for index in doc.get("index", []):
        if isinstance(index, dict) and index.get("url"):
            if index.get("default"):
                default = str(index["url"])
            else:
                extras.append(str(index["url"]))
    pip = doc.get("pip") if isinstance(doc.get("pip"), dict) else {}
    default = default or doc.get("index-url") or pip.get("index-url")
    extras += [str(u) for u in (doc.get("extra-index-url") or pip.get("extra-index-url") or [])]
    return (str(default) if default else None), extras


# --- the settings uv gets -------------------------------------------------------------------------------


def mask_url(url: str) -> str:
    """``url`` without its secret: ``https://user:****@host/`` (a lone user name is often a token: masked)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.username and not parts.password:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:****" if parts.password else "****"
    return urlunsplit((parts.scheme, f"{user}@{host}", parts.path, parts.query, parts.fragment))


def _split_uv_indexes(value: str) -> list[str]:
    """``UV_INDEX`` entries: ``url`` or ``name=url``, space-separated."""
    out = []
    for item in value.split():
        name, sep, url = item.partition("=")
        out.append(url if sep and "://" not in name else item)
    return out


def system_store_available() -> bool:
    """Whether this machine has a system certificate store for uv's ``UV_SYSTEM_CERTS`` to load."""
    paths = ssl.get_default_verify_paths()
    candidates = [paths.openssl_cafile, paths.cafile, "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                  "/etc/ssl/cert.pem"]
    return sys.platform in ("darwin", "win32") or any(c and os.path.isfile(c) for c in candidates)


@dataclass(frozen=True, kw_only=True)
class IndexSettings:
    """Where the sandboxed uv looks for packages and how it gets there; every value with its source."""

    index_url: str
    index_source: str
    extra_index_urls: tuple[str, ...] = ()
    extra_source: str = ""
    #: The extra indexes are pip's: searched after the main index, best version across all (pip's way).
    pip_style: bool = False
    index_strategy: str = ""
    find_links: tuple[str, ...] = ()
    find_links_source: str = ""
    trusted_hosts: tuple[str, ...] = ()
    trusted_source: str = ""
    #: Proxy and certificate variables exactly as uv gets them.
    transport: Mapping[str, str] = field(default_factory=dict)
    #: Where each proxy variable in ``transport`` came from (variable -> source).
    proxy_sources: Mapping[str, str] = field(default_factory=dict)
    certificates: str = "uv's bundled roots"
    certificates_source: str = ""

    def uv_env(self) -> dict[str, str]:
        """Everything the sandboxed uv needs to find packages: the index settings and ``transport``."""
        env = {"UV_DEFAULT_INDEX": self.index_url}
        indexes = [self.index_url, *self.extra_index_urls] if self.pip_style else list(self.extra_index_urls)
        if indexes:
            env["UV_INDEX"] = " ".join(indexes)
        if self.index_strategy:
            env["UV_INDEX_STRATEGY"] = self.index_strategy
        if self.find_links:
            env["UV_FIND_LINKS"] = ",".join(self.find_links)  # uv splits this one on commas
        if self.trusted_hosts:
            env["UV_INSECURE_HOST"] = " ".join(self.trusted_hosts)
        env.update(self.transport)
        return env

    def proxy_for(self, url: str) -> str:
        """The proxy uv uses for ``url``, masked, with its source: ``http://proxy:3128 (from HTTPS_PROXY)``."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return "none (local files)"
        env = self.transport
        no_proxy = env.get("no_proxy") or env.get("NO_PROXY") or ""
        if no_proxy and proxy_bypass_environment(parts.hostname or "", {"no": no_proxy}):
            return f"none ({parts.hostname} is in NO_PROXY)"
        for var in (f"{parts.scheme}_proxy", f"{parts.scheme.upper()}_PROXY", "all_proxy", "ALL_PROXY"):
            if env.get(var):
                return f"{mask_url(env[var])} (from {self.proxy_sources.get(var, var)})"
        return "none"

    def certificates_text(self) -> str:
        return f"{self.certificates} (from {self.certificates_source})" if self.certificates_source else self.certificates

    def all_indexes(self) -> list[tuple[str, str, str]]:
        """(url, what it is, source) for the main index, the extra indexes and find-links locations."""
        return ([(self.index_url, "index-url", self.index_source)]
                + [(u, "extra-index-url", self.extra_source) for u in self.extra_index_urls]
                + [(u, "find-links", self.find_links_source) for u in self.find_links])

    def describe(self) -> dict[str, str]:
        """Where packages come from, without credentials: what a lock (and so the run) records."""
        doc = {"index-url": mask_url(self.index_url), "index-source": self.index_source}
        if self.extra_index_urls:
            doc["extra-index-url"] = " ".join(mask_url(u) for u in self.extra_index_urls)
            doc["extra-index-source"] = self.extra_source
        if self.index_strategy:
            doc["index-strategy"] = self.index_strategy
        if self.find_links:
            doc["find-links"] = " ".join(mask_url(u) for u in self.find_links)
            doc["find-links-source"] = self.find_links_source
        if self.trusted_hosts:
            doc["trusted-host"] = f"{' '.join(self.trusted_hosts)} (from {self.trusted_source})"
        doc["proxy"] = self.proxy_for(self.index_url)
        doc["certificates"] = self.certificates_text()
        return doc

    def unreachable_message(self, detail: str, failing_url: str | None = None) -> str:
        """The one-line error for an index uv could not reach, naming the setting to change."""
        url, kind, source = self.index_url, "index-url", self.index_source
        for candidate, what, src in self.all_indexes():
            if failing_url and failing_url.startswith(candidate.rstrip("/")):
                url, kind, source = candidate, what, src
                break
        if kind != "index-url":
            hint = f"check or remove {kind} {mask_url(url)} ({source})"
        elif source == "default":
            hint = "set PIP_INDEX_URL / [global] index-url in pip.conf, or UV_DEFAULT_INDEX, or pass --index-url"
        elif source.startswith("--"):
            hint = f"check the URL given with {source}"
        elif " [" in source:  # a file: "/path [section] key"
            path, _, where = source.partition(" [")
            hint = f"check [{where} in {path}, or pass --index-url"
        else:
            hint = f"check {source}, or pass --index-url"
        what = "package index" if kind != "find-links" else "find-links location"
        return (f"cannot reach the {what} {mask_url(url)} (from: {source}); {hint}; proxy: {self.proxy_for(url)}; "
                f"certificates: {self.certificates_text()}; uv said: {mask_text(detail)}")


def mask_text(text: str) -> str:
    """Any URL in ``text`` with its password masked."""
    return " ".join(mask_url(w) if "://" in w and "@" in w else w for w in text.split(" "))


def _first(pairs: Iterable[tuple[str | None, str]]) -> tuple[str, str] | None:
    return next(((v, s) for v, s in pairs if v), None)


def index_settings(
    *,
    index_url: str | None = None,
    index_source: str = "--index-url",
    extra_index_urls: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
    prefix: Path | None = None,
    etc: Path = Path("/etc"),
    system_store: bool | None = None,
) -> IndexSettings:
    """The settings for the sandboxed uv. ``index_url`` / ``extra_index_urls``: given explicitly (ftlab's
    ``--index-url``, a requirements file's options); the rest comes from ``environ`` (default
    ``os.environ``), the user's and the machine's uv and pip configuration. Pure when every argument is
    given."""
    env = dict(os.environ if environ is None else environ)
    home = home if home is not None else Path(env.get("HOME") or Path.home())
    prefix = prefix if prefix is not None else Path(sys.prefix)
    pip = read_pip_config(env, home=home, prefix=prefix, etc=etc)
    uv_files = [(p, *_uv_config_indexes(p)) for p in _uv_config_files(env, home, etc)]

    index_url_final, index_from = _main_index(index_url, index_source, env, uv_files, pip)
    extras, extra_source, pip_style = _extra_indexes(extra_index_urls, index_url_final, env, uv_files, pip)
    strategy = env.get("UV_INDEX_STRATEGY", "") or ("unsafe-best-match" if pip_style and extras else "")
    find_links, fl_source = _list_setting(env, "UV_FIND_LINKS", pip, "find-links", sep=",")
    trusted, tr_source = _list_setting(env, "UV_INSECURE_HOST", pip, "trusted-host")
    transport, proxy_sources = _proxies(env, pip)
    certs, certs_source = _certificates(env, pip, transport,
                                        system_store_available() if system_store is None else system_store)
    transport.update(_transport_extras(env, pip, home))
    return IndexSettings(
        index_url=index_url_final, index_source=index_from, extra_index_urls=tuple(extras), extra_source=extra_source,
        pip_style=pip_style, index_strategy=strategy, find_links=tuple(find_links), find_links_source=fl_source,
        trusted_hosts=tuple(trusted), trusted_source=tr_source, transport=transport, proxy_sources=proxy_sources,
        certificates=certs, certificates_source=certs_source,
    )


def _main_index(index_url: str | None, index_source: str, env: Mapping[str, str], uv_files: list,
                pip: PipConfig) -> tuple[str, str]:
    """(index URL, where it came from): ftlab's own option first, then uv's settings, then pip's."""
    uv_index_url = (env.get("UV_INDEX_URL") or "").split()
    index = _first([(index_url, index_source),
                    (env.get("UV_DEFAULT_INDEX"), "UV_DEFAULT_INDEX"),
                    (uv_index_url[0] if uv_index_url else None, "UV_INDEX_URL"),
                    *((d, f"{p} index") for p, d, _ in uv_files),
                    (pip.get("index-url") or (None, ""))]) or (DEFAULT_INDEX_URL, "default")
    return (index[0].strip().rstrip("/") if "://" in index[0] else index[0].strip()), index[1]


def _extra_indexes(explicit_urls: Sequence[str], index_url: str, env: Mapping[str, str], uv_files: list,
                   pip: PipConfig) -> tuple[list[str], str, bool]:
    """(extra index URLs, where they came from, whether they are pip's): the explicit ones, then uv's
    (UV_INDEX, UV_EXTRA_INDEX_URL, uv.toml), else pip's extra-index-url, which pip searches as one pool."""
    explicit = [u for u in explicit_urls if u]
    uv_extras = _split_uv_indexes(env.get("UV_INDEX", "")) + (env.get("UV_EXTRA_INDEX_URL") or "").split()
    uv_extra_source = " ".join(v for v in ("UV_INDEX", "UV_EXTRA_INDEX_URL") if env.get(v))
    if not uv_extras:
        found = next(((p, ex) for p, _, ex in uv_files if ex), None)
        if found:
            uv_extras, uv_extra_source = found[1], f"{found[0]} index"
    pip_style = False
    pip_extra_source = ""
    configured: list[str] = uv_extras
    if not uv_extras and pip.get("extra-index-url"):
        value, pip_extra_source = pip.values["extra-index-url"]
        configured, pip_style = value.split(), True
    extras: list[str] = []
    for u in [*explicit, *configured]:
        u = u.rstrip("/")
        if u not in extras and u != index_url:
            extras.append(u)
    source = " + ".join(s for s in ("requirements file" if explicit else "",
                                    uv_extra_source if uv_extras else pip_extra_source) if s)
    return extras, source, pip_style


def _transport_extras(env: Mapping[str, str], pip: PipConfig, home: Path) -> dict[str, str]:
    """The rest of what uv's transport needs: a certificate folder, a client certificate, a timeout, a netrc."""
    extra: dict[str, str] = {}
    if env.get("SSL_CERT_DIR"):
        extra["SSL_CERT_DIR"] = env["SSL_CERT_DIR"]
    client = env.get("SSL_CLIENT_CERT") or (pip.get("client-cert") or (None, ""))[0]
    if client:
        extra["SSL_CLIENT_CERT"] = client
    timeout = env.get("UV_HTTP_TIMEOUT") or (pip.get("timeout") or (None, ""))[0]
    if timeout:
        extra["UV_HTTP_TIMEOUT"] = timeout
    netrc = env.get("NETRC") or (str(home / ".netrc") if (home / ".netrc").is_file() else "")
    if netrc:
        extra["NETRC"] = netrc
    return extra


def _list_setting(env: Mapping[str, str], uv_var: str, pip: PipConfig, option: str,
                  sep: str | None = None) -> tuple[list[str], str]:
    if env.get(uv_var, "").strip():
        return [v.strip() for v in env[uv_var].split(sep) if v.strip()], uv_var
    found = pip.get(option)
    return (found[0].split(), found[1]) if found else ([], "")


def _proxies(env: Mapping[str, str], pip: PipConfig) -> tuple[dict[str, str], dict[str, str]]:
    """The proxy variables uv gets: the environment's as they are; pip's ``proxy`` for a scheme without one."""
    out = {k: env[k] for k in _PROXY_VARS if env.get(k)}
    sources = {k: k for k in out}
    found = pip.get("proxy")
    if found:
        proxy = found[0] if "://" in found[0] else f"http://{found[0]}"  # pip's requests reads host:port as http
        for scheme in ("https", "http"):
            if not any(out.get(v) for v in (f"{scheme}_proxy", f"{scheme.upper()}_PROXY", "all_proxy", "ALL_PROXY")):
                out[f"{scheme.upper()}_PROXY"] = proxy
                sources[f"{scheme.upper()}_PROXY"] = found[1]
    return out, sources


def _certificates(env: Mapping[str, str], pip: PipConfig, transport: dict[str, str],
                  system_store: bool) -> tuple[str, str]:
    """Fill ``transport`` with the certificate settings; (what uv trusts, where that was set)."""
    for var in ("UV_SYSTEM_CERTS", "UV_NATIVE_TLS"):
        if env.get(var):
            transport[var] = env[var]
    if env.get("SSL_CERT_FILE") and os.path.isfile(env["SSL_CERT_FILE"]):
        transport["SSL_CERT_FILE"] = env["SSL_CERT_FILE"]
        return env["SSL_CERT_FILE"], "SSL_CERT_FILE"
    if any(env.get(v, "").lower() in _TRUE for v in ("UV_SYSTEM_CERTS", "UV_NATIVE_TLS")):
        return "system store", next(v for v in ("UV_SYSTEM_CERTS", "UV_NATIVE_TLS") if env.get(v, "").lower() in _TRUE)
    candidates = [pip.get("cert"), *((env.get(v), v) for v in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"))]
    for found in candidates:
        if found and found[0]:
            transport["SSL_CERT_FILE"] = found[0]
            return found[0], found[1]
    if system_store:
        transport["UV_SYSTEM_CERTS"] = "1"
        return "system store", ""
    return "uv's bundled roots (no system store found)", ""


def settings_for_lock(index_url: str, **config) -> IndexSettings:
    """The settings to install a lock's pins with: the lock's index, with its credentials back from the
    configuration when the lock (as stored, masked) has them hidden. ``config``: ``index_settings``'s
    ``environ``, ``home``, ``prefix``, ``etc``, ``system_store``."""
    configured = index_settings(**config)
    if "****" in index_url:
        for url in (configured.index_url, *configured.extra_index_urls):
            if mask_url(url) == index_url:
                index_url = url
                break
    if not index_url or index_url.rstrip("/") == configured.index_url:
        return configured
    return index_settings(index_url=index_url, index_source="the run's lock", **config)
