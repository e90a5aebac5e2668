"""What the auto-probe never calls: the conservative policy.

An auto-probe runs code nobody wrote a probe for, many thousand times, from many threads. It must
not touch the disk, the network or other processes, block, sleep, or take long. Names are split into
words (``read_file`` -> read, file; ``getUrl`` -> get, url) and a callable is skipped when a word is
denied, when its module is denied, or when it was not defined by the package under test (a re-export
of ``os.remove`` is still ``os.remove``). The screening pass (screen.py) then drops what is slow,
blocks, raises on every input or is not deterministic when called sequentially.
"""

import re


def word_set(text):
    """A frozenset of the whitespace-separated words of ``text`` (long lists read best as prose)."""
    return frozenset(text.split())

#: Words that mean I/O, processes, the network, blocking or destruction.
DENIED_WORDS = word_set(
    """
    open close write writelines save load dump read readline readlines file files path dir mkdir
    makedirs rmdir rmtree chdir chmod chown touch rename unlink remove delete del erase purge_all
    connect disconnect request requests urlopen url http https fetch download upload send sendall
    recv socket serve server listen accept bind run spawn exec execute system popen fork kill
    terminate signal sleep wait join acquire block blocking lock unlock serve_forever shutdown exit
    quit abort input getpass print pprint show display browse open_new install uninstall subprocess
    thread threads process daemon start stop loop forever poll select watch mmap glob
    walk scandir listdir stat lstat copyfile copytree interact breakpoint debug
    pdb trace settrace setprofile gc collect reload import_module main cli
    """
)

#: Modules (and their submodules) never probed, nor called when a package re-exports them.
DENIED_MODULES = word_set(
    """
    os posix nt sys subprocess socket ssl shutil pathlib threading _thread multiprocessing asyncio
    concurrent signal ctypes tempfile urllib http ftplib smtplib poplib imaplib telnetlib webbrowser
    importlib builtins gc atexit faulthandler resource select selectors mmap fcntl termios tty pty
    sched queue code pdb bdb trace tracemalloc sqlite3 dbm shelve logging warnings unittest doctest
    pytest _pytest setuptools pip distutils site sysconfig runpy zipimport pkgutil
    """
)

#: Methods never used to read an object's state, whatever they return: they change it.
MUTATING_WORDS = word_set(
    "pop popitem popleft clear reset next take drain consume flush pull dequeue shift advance tick"
)


def words(name):
    """``read_file`` -> [read, file]; ``getURL`` -> [get, url]; ``__len__`` -> [len]."""
    parts = re.split(r"_+|(?<=[a-z0-9])(?=[A-Z])", name)
    return [p.lower() for p in parts if p]


def denied_name(name):
    """The denied word in ``name``, or None."""
    for word in words(name):
        if word in DENIED_WORDS:
            return word
    return None


def denied_module(module_name):
    if not module_name:
        return False
    top = module_name.split(".")[0]
    return top in DENIED_MODULES or top.lstrip("_") in DENIED_MODULES


def mutating_name(name):
    return any(w in MUTATING_WORDS for w in words(name))
