"""charset-normalizer: detection from every thread of a crawler (module-level caches inside)."""

import charset_normalizer
from hypothesis import strategies as st

from ftlab_probes.api import Probe, op

SUBJECT = "charset-normalizer"
SAMPLES = st.sampled_from(
    [
        "h\u00e9llo w\u00f6rld, \u00e7a va?".encode("utf-8"),
        "h\u00e9llo w\u00f6rld, \u00e7a va?".encode("latin-1"),
        "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440".encode("cp1251"),
        "\u3053\u3093\u306b\u3061\u306f\u4e16\u754c".encode("shift_jis"),
        b"plain ascii text",
        b"",
    ]
)


class DetectionProbe(Probe):
    subject = SUBJECT

    def make(self):
        return None

    @op(SAMPLES)
    def best(self, obj, data):
        match = charset_normalizer.from_bytes(data).best()
        return None if match is None else (match.encoding, str(match))

    @op(SAMPLES)
    def detect(self, obj, data):
        found = charset_normalizer.detect(data)
        return found["encoding"], found["language"]

    @op(SAMPLES)
    def is_binary(self, obj, data):
        return charset_normalizer.is_binary(data)
