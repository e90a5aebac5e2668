"""regex: a compiled pattern shared by every thread (matching with the GIL released, as
``concurrent=True`` asks), and the module-level pattern cache that ``regex.match(str, ...)`` fills and
``regex.purge()`` empties."""

import regex
from hypothesis import strategies as st

from ftlab_probes.api import Probe, op

SUBJECT = "regex"
TEXT = st.text(alphabet="ab1 \u00e9", max_size=10)
PATTERNS = st.sampled_from([r"(?P<w>\w+)\s*", r"(?:ab){e<=1}", r"\d+", r"(?i)A\p{L}", r"(a|b)*+1"])


class PatternProbe(Probe):
    """match/findall/sub on one compiled pattern, with and without the GIL released."""

    subject = SUBJECT

    def make(self):
        return regex.compile(r"(?P<word>[ab\u00e9]+)(\d)?|(?:ab1){e<=1}")

    @op(TEXT, st.booleans())
    def match(self, obj, text, concurrent):
        m = obj.match(text, concurrent=concurrent)
        return None if m is None else (m.group(0), m.span(), m.fuzzy_counts)

    @op(TEXT, st.booleans())
    def findall(self, obj, text, concurrent):
        return obj.findall(text, overlapped=True, concurrent=concurrent)

    @op(TEXT)
    def sub(self, obj, text):
        return obj.sub(r"<\g<word>>", text)

    @op(TEXT)
    def split(self, obj, text):
        return obj.split(text)


class ModuleCacheProbe(Probe):
    """``regex.search(pattern_string, text)`` from many threads while another purges the cache."""

    subject = SUBJECT
    raises = (regex.error,)

    def make(self):
        return None

    @op(PATTERNS, TEXT)
    def search(self, obj, pattern, text):
        m = regex.search(pattern, text)
        return None if m is None else (m.group(0), m.span())

    @op(PATTERNS, TEXT)
    def fullmatch(self, obj, pattern, text):
        return regex.fullmatch(pattern, text) is not None

    @op()
    def purge(self, obj):
        return regex.purge()
