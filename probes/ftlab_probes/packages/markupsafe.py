"""MarkupSafe: escaping and Markup formatting, called from every request thread of a web app (the
C speedups module does the escaping)."""

from hypothesis import strategies as st
from markupsafe import Markup, escape, escape_silent, soft_str

from ftlab_probes.api import Probe, op

SUBJECT = "markupsafe"
TEXT = st.text(alphabet="a<>&'\"\u00e9 ", max_size=12)


class _HtmlObject:
    """An object with ``__html__``: escape() calls back into Python (a GIL switch point)."""

    def __init__(self, text):
        self.text = text

    def __html__(self):
        return "<i>%s</i>" % self.text


class MarkupProbe(Probe):
    """escape, formatting, join and striptags on shared Markup templates."""

    subject = SUBJECT

    def make(self):
        return Markup("<p>%s</p>"), Markup("<a href='{url}'>{label}</a>")

    @op(TEXT)
    def escape(self, obj, text):
        return str(escape(text))

    @op(TEXT)
    def escape_html_object(self, obj, text):
        return str(escape(_HtmlObject(text)))

    @op(TEXT)
    def percent_format(self, obj, text):
        return str(obj[0] % text)

    @op(TEXT, TEXT)
    def str_format(self, obj, url, label):
        return str(obj[1].format(url=url, label=label))

    @op(st.lists(TEXT, max_size=3).map(tuple))
    def join(self, obj, parts):
        return str(Markup("<br>").join(parts))

    @op(TEXT)
    def striptags_unescape(self, obj, text):
        m = Markup(text)
        return m.striptags(), m.unescape(), soft_str(escape_silent(text))
