"""lxml: parsing with the default parser from many threads, and a compiled XPath and XSLT shared by
all of them (lxml's FAQ, "Can I use threads to concurrently access the lxml API?": parsing and
XPath/XSLT evaluation are supported from several threads; a tree is best modified only by the
thread that made it)."""

from hypothesis import strategies as st
from lxml import etree

from ftlab_probes.api import Probe, op

SUBJECT = "lxml"
DOCS = st.sampled_from(
    [
        "<r><a x='1'>t</a><a x='2'/><b>\u00e9</b></r>",
        "<r><a x='3'><a x='4'/></a></r>",
        "<r><b/>",
        "<r xmlns:p='urn:p'><p:a x='5'/></r>",
    ]
)
XSLT = """<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><out><xsl:value-of select="count(//*)"/></out></xsl:template>
</xsl:stylesheet>"""


#: Compiled once at import time, as applications do; every invocation shares them.
SHARED = (etree.XPath("//a/@x"), etree.XSLT(etree.XML(XSLT)))


class SharedXPathProbe(Probe):
    """A compiled XPath and XSLT shared; each thread parses its own documents."""

    subject = SUBJECT
    raises = (etree.XMLSyntaxError,)

    def make(self):
        return SHARED

    @op(DOCS)
    def parse_serialize(self, obj, text):
        return etree.tostring(etree.fromstring(text), method="c14n")

    @op(DOCS)
    def xpath(self, obj, text):
        return [str(v) for v in obj[0](etree.fromstring(text))]

    @op(DOCS)
    def xslt(self, obj, text):
        return str(obj[1](etree.fromstring(text)))

    @op(DOCS)
    def iterparse_tags(self, obj, text):
        import io

        return [el.tag for _, el in etree.iterparse(io.BytesIO(text.encode()), events=("end",))]


class SharedTreeReadsProbe(Probe):
    """One parsed tree read (never modified) by every thread: findall, xpath, iteration, tostring."""

    subject = SUBJECT

    def make(self):
        return etree.fromstring("<r><a x='1'>t</a><a x='2'><c/></a><b>\u00e9</b></r>")

    @op(st.sampled_from(["a", "b", ".//c", "a[@x='2']"]))
    def findall(self, obj, path):
        return [etree.tostring(e) for e in obj.findall(path)]

    @op(st.sampled_from(["count(//*)", "string(//b)", "//@x"]))
    def xpath(self, obj, expr):
        out = obj.xpath(expr)
        return [str(v) for v in out] if isinstance(out, list) else out

    @op()
    def iter_tags(self, obj):
        return [e.tag for e in obj.iter()]

    @op()
    def tostring(self, obj):
        return etree.tostring(obj)
