"""PyYAML: the shared things are the Loader and Dumper *classes* (module-level registries of
constructors and representers) and the module functions every thread calls; Loader and Dumper
instances are per stream and never shared. ``YamlRegistryProbe`` races ``add_constructor`` on a
shared Loader class against loads that use the tag; ``YamlLibyamlProbe`` races the libyaml-backed
C loader and dumper."""

import yaml
from hypothesis import strategies as st

from ftlab_probes.api import Probe, op

SUBJECT = "pyyaml"
TEXT = st.text(alphabet="ab: -#\n'\"", max_size=10)
DOCS = st.sampled_from(
    ["a: 1\nb: [1, 2]\n", "- x\n- {y: 2}\n", "plain", "a: [1, 2", "k: !!binary aGk=\n", "{a: 1, a: 2}", ""]
)


def _loader_and_dumper():
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return loader, dumper


class YamlLibyamlProbe(Probe):
    """safe_load/dump through the libyaml C classes when built with them (the pure ones otherwise)."""

    subject = SUBJECT

    def make(self):
        return _loader_and_dumper()

    raises = (yaml.YAMLError,)

    @op(DOCS)
    def load(self, obj, text):
        return yaml.load(text, Loader=obj[0])

    @op(TEXT)
    def load_text(self, obj, text):
        return yaml.load(text, Loader=obj[0])

    @op(DOCS)
    def roundtrip(self, obj, text):
        return yaml.dump(yaml.load(text, Loader=obj[0]), Dumper=obj[1], sort_keys=True)

    @op(st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 3), max_size=2).map(lambda d: tuple(d.items())))
    def dump_all(self, obj, pairs):
        return yaml.dump_all([dict(pairs), list(pairs)], Dumper=obj[1])


class YamlRegistryProbe(Probe):
    """A Loader subclass shared by the app: one thread registers ``!point`` while others load it."""

    subject = SUBJECT
    known_issue = ("add_constructor copies the class's constructor dict on first use with a check-then-act "
                   "(yaml/constructor.py): concurrent first registrations on a fresh Loader subclass lose one")

    def make(self):
        return type("AppLoader", (yaml.SafeLoader,), {})

    raises = (yaml.YAMLError,)

    @op(st.sampled_from(["!point [1, 2]", "!size 3", "plain: 1"]))
    def load(self, obj, text):
        return yaml.load(text, Loader=obj)

    @op(st.sampled_from(["!point", "!size"]))
    def register(self, obj, tag):
        obj.add_constructor(tag, _construct_sequence if tag == "!point" else _construct_scalar)

    @op()
    def tags(self, obj):
        # list(dict) is one C call; iterating the live dict in Python would race the registration
        # itself (a probe artefact, not a PyYAML bug).
        return sorted(t for t in list(obj.yaml_constructors) if t and t.startswith("!") and not t.startswith("!!"))

    def state(self, obj):
        return self.tags(obj)


def _construct_sequence(loader, node):
    return tuple(loader.construct_sequence(node))


def _construct_scalar(loader, node):
    return int(loader.construct_scalar(node))
