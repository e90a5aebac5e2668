"""Whether a shared object is a Python extension module, read from its ELF dynamic symbol table.

CPython imports ``pkg._foo`` from a shared object by calling its ``PyInit__foo`` (``PyModExport__foo``
from 3.15 on, PEP 793); a file that defines neither is a plain library, loaded by its package with
ctypes or cffi (pycryptodome's ``_Salsa20_avx2_bmi2``, torch's ``lib/libtorch_cpu.so``): importing it
can only fail with "dynamic module does not define module export function". ELF only (Linux, the BSDs);
for Mach-O and PE files the answer is "unknown" and the caller imports the file as before.

Stdlib only, syntax for CPython 3.10+.
"""

import mmap
import os
import struct

ELF_MAGIC = b"\x7fELF"
#: Section type of the dynamic symbol table (``.dynsym``), which the dynamic linker resolves
#: ``dlsym(handle, "PyInit_foo")`` against, whatever ``strip`` removed.
SHT_DYNSYM = 11
#: ``st_shndx`` of a symbol the file uses but does not define.
SHN_UNDEF = 0
#: The export hooks CPython looks up, by version: ``PyInit_`` always, ``PyModExport_`` from 3.15.
EXPORT_PREFIXES = (b"PyInit_", b"PyModExport_")

# (header: e_shoff, e_shentsize, e_shnum offsets and formats), section header, symbol, by ELF class.
_LAYOUT = {
    1: {"shoff": (0x20, "I"), "shentsize": (0x2E, "H"), "shnum": (0x30, "H"), "sh": "IIIIIIIIII", "sym": "IIIBBH",
        "st_name": 0, "st_shndx": 5},
    2: {"shoff": (0x28, "Q"), "shentsize": (0x3A, "H"), "shnum": (0x3C, "H"), "sh": "IIQQQQIIQQ", "sym": "IBBHQQ",
        "st_name": 0, "st_shndx": 3},
}


def is_extension_module(path, module):
    """True when the shared object at ``path`` defines the export hook of ``module`` (its last dotted
    part), False when it is an ELF file that does not, None when this cannot tell (not ELF, sections
    stripped, a non-ASCII name, unreadable): then only importing it tells."""
    short = module.rpartition(".")[2]
    try:
        wanted = [prefix + short.encode("ascii") for prefix in EXPORT_PREFIXES]
    except UnicodeEncodeError:  # non-ASCII names use PyInitU_ with punycode
        return None
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size < 64 or f.read(4) != ELF_MAGIC:
                return None
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as image:
                return _defines_any(image, wanted)
    except (OSError, ValueError, struct.error, IndexError):
        return None


def _defines_any(image, names):
    """Whether the ELF ``image`` defines one of ``names`` in a dynamic symbol table; None when it has
    no section headers to find one by."""
    layout = _LAYOUT.get(image[4])
    order = {1: "<", 2: ">"}.get(image[5])
    if layout is None or order is None:
        return None

    def field(key):
        offset, fmt = layout[key]
        return struct.unpack_from(order + fmt, image, offset)[0]

    shoff, shentsize, shnum = field("shoff"), field("shentsize"), field("shnum")
    if not shoff or not shnum:
        return None  # no section table (sstrip): only the loader's view is left
    sections = [struct.unpack_from(order + layout["sh"], image, shoff + i * shentsize) for i in range(shnum)]
    symbol = struct.Struct(order + layout["sym"])
    for sh in sections:
        if sh[1] != SHT_DYNSYM:
            continue
        strtab = sections[sh[6]]
        str_start, str_end = strtab[4], strtab[4] + strtab[5]
        offsets = set()
        for name in names:
            # Every occurrence: a string table may share one string's tail with another's.
            at = image.find(name + b"\0", str_start, str_end)
            while at != -1:
                offsets.add(at - str_start)
                at = image.find(name + b"\0", at + 1, str_end)
        if not offsets:
            continue
        table = memoryview(image)[sh[4] : sh[4] + sh[5] - sh[5] % symbol.size]
        try:
            for entry in symbol.iter_unpack(table):
                if entry[layout["st_name"]] in offsets and entry[layout["st_shndx"]] != SHN_UNDEF:
                    return True
        finally:
            table.release()
    return False
