"""re and io: a compiled pattern shared by every thread (module-level ``_RX = re.compile(...)``), and
in-memory streams shared between a producer and readers."""

import io
import re

from hypothesis import strategies as st

from ftlab_probes.api import Probe, op
from ftlab_probes.stdlib._values import SHORT_BYTES, SHORT_TEXT

SUBJECT = "stdlib"
WORDS = st.text(alphabet="ab1 -", max_size=8)


class RePatternProbe(Probe):
    """match/search/findall/sub/split on one compiled pattern; each call must act as if alone."""

    subject = SUBJECT

    def make(self):
        return re.compile(r"(?P<word>[ab]+)(\d)?")

    @op(WORDS)
    def match(self, obj, text):
        m = obj.match(text)
        return None if m is None else (m.group(0), m.groupdict(), m.span())

    @op(WORDS, st.integers(0, 3))
    def search(self, obj, text, pos):
        m = obj.search(text, pos)
        return None if m is None else (m.group(0), m.span())

    @op(WORDS)
    def findall(self, obj, text):
        return obj.findall(text)

    @op(WORDS, st.sampled_from(["x", r"<\g<word>>", r"\2"]))
    def sub(self, obj, text, repl):
        try:
            return obj.sub(repl, text)
        except re.error as exc:  # \2 on a match without group 2: the same error sequentially
            return "re.error: %s" % exc

    @op(WORDS)
    def finditer(self, obj, text):
        return [m.span() for m in obj.finditer(text)]


class _StreamProbe(Probe):
    """The operations StringIO and BytesIO share; each is one C call on the shared stream."""

    @op(st.integers(-1, 3))
    def read(self, obj, size):
        return obj.read(size)

    @op(st.integers(0, 4))
    def seek(self, obj, pos):
        return obj.seek(pos)

    @op()
    def tell(self, obj):
        return obj.tell()

    @op()
    def getvalue(self, obj):
        return obj.getvalue()


class StringIOProbe(_StreamProbe):
    """A shared StringIO: writes, seeks and reads from several threads; each call is one C call."""

    subject = SUBJECT
    raises = (ValueError,)

    def make(self):
        return io.StringIO()

    @op(SHORT_TEXT)
    def write(self, obj, text):
        return obj.write(text)

    @op()
    def readline(self, obj):
        return obj.readline()

    def state(self, obj):
        return obj.getvalue(), obj.tell()


class BytesIOProbe(_StreamProbe):
    """A shared BytesIO, as StringIOProbe; ``getbuffer`` exports pin the buffer (BufferError on resize).

    Known: while one thread holds a ``getbuffer()`` view, another thread's resizing ``write`` raises
    BufferError, which no sequential order of the same calls does (each view is released before its
    op returns). The io docs say so: "As long as the view exists, the BytesIO object cannot be resized
    or closed." (https://docs.python.org/3/library/io.html#io.BytesIO.getbuffer)
    """

    subject = SUBJECT
    raises = (ValueError, BufferError)
    expected_finding = "unexpected-exception"

    def make(self):
        return io.BytesIO()

    @op(SHORT_BYTES)
    def write(self, obj, data):
        return obj.write(data)

    @op(st.integers(0, 3))
    def truncate(self, obj, size):
        return obj.truncate(size)

    @op()
    def getbuffer_len(self, obj):
        with obj.getbuffer() as view:
            return len(view)

    def state(self, obj):
        return obj.getvalue(), obj.tell()
