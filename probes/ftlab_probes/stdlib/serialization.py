"""json: one encoder and one decoder object shared by every thread (a common module-level pattern,
``_encoder = json.JSONEncoder(sort_keys=True)`` reused by request handlers)."""

import json

from hypothesis import strategies as st

from ftlab_probes.api import Probe, op
from ftlab_probes.stdlib._values import JSON_VALUES

SUBJECT = "stdlib"


class JSONEncoderProbe(Probe):
    """``JSONEncoder.encode``/``iterencode`` on one shared encoder (the C encoder keeps per-call state)."""

    subject = SUBJECT
    raises = (ValueError, TypeError)

    def make(self):
        return json.JSONEncoder(sort_keys=True, indent=None, check_circular=True)

    # Scenario arguments must be hashable: documents travel as JSON text and are rebuilt per call.
    @op(JSON_VALUES.map(json.dumps))
    def encode(self, obj, text):
        return obj.encode(json.loads(text))

    @op(JSON_VALUES.map(json.dumps))
    def iterencode(self, obj, text):
        return "".join(obj.iterencode(json.loads(text)))


class JSONDecoderProbe(Probe):
    """``JSONDecoder.decode``/``raw_decode`` on one shared decoder (its scanner is a C object)."""

    subject = SUBJECT
    raises = (json.JSONDecodeError,)

    def make(self):
        return json.JSONDecoder()

    @op(JSON_VALUES.map(json.dumps))
    def decode(self, obj, text):
        return obj.decode(text)

    @op(JSON_VALUES.map(json.dumps), st.sampled_from(["", " 1", "]"]))
    def raw_decode(self, obj, text, tail):
        return obj.raw_decode(text + tail)
