"""pydantic-core: one SchemaValidator and SchemaSerializer built at import time and used by every
request thread (the way pydantic models use them)."""

from hypothesis import strategies as st
from pydantic_core import SchemaSerializer, SchemaValidator, ValidationError, core_schema

from ftlab_probes.api import Probe, op

SUBJECT = "pydantic-core"
SCHEMA = core_schema.typed_dict_schema(
    {
        "name": core_schema.typed_dict_field(core_schema.str_schema(max_length=5)),
        "age": core_schema.typed_dict_field(core_schema.int_schema(ge=0)),
        "tags": core_schema.typed_dict_field(core_schema.list_schema(core_schema.str_schema()), required=False),
    }
)
NAMES = st.sampled_from(["ann", "bob", "toolongname", "", "\u00e9"])
#: Built once, as a model class builds them at import time; every invocation shares them.
SHARED = (SchemaValidator(SCHEMA), SchemaSerializer(SCHEMA))
AGES = st.sampled_from([0, 3, -1, "7", "x", 2.0, 2.5])


class ValidatorProbe(Probe):
    subject = SUBJECT
    raises = (ValidationError,)

    def make(self):
        return SHARED

    @op(NAMES, AGES)
    def validate_python(self, obj, name, age):
        return obj[0].validate_python({"name": name, "age": age})

    @op(NAMES, st.sampled_from(["1", "-2", '"3"', "null"]))
    def validate_json(self, obj, name, age):
        return obj[0].validate_json('{"name": "%s", "age": %s, "tags": ["a"]}' % (name, age))

    @op(NAMES, st.integers(0, 3))
    def serialize_json(self, obj, name, age):
        return obj[1].to_json({"name": name, "age": age, "tags": ["x", name]})
