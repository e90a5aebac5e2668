"""Which stress probes exist and what they cover, found by reading the probe modules (``ast``), never
by importing them: listing must work where the probed packages are not installed.

``python -m ftlab_probes.catalog [--json] [--out PATH]`` prints (or writes) one entry per probe class::

    {"subject": "numpy", "probe": "ftlab_probes.packages.numpy:SharedArrayReadsProbe",
     "kind": "hand-written", "ops": ["sum", ...], "description": "...",
     "expected_finding": null | true | "corruption" | ...,   # documented behaviour: shown, not gating
     "known_issue": null | str}                             # a real bug found before: shown, gating

plus one entry of kind ``auto`` for the auto-probe (subject ``*``: any importable module without a
hand-written probe). ``subject`` is the distribution name as the lab writes it (canonical, e.g.
``charset-normalizer``); ``stdlib`` is the standard library.
"""

import argparse
import ast
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
#: Packages of hand-written probes, as (folder, module prefix).
PROBE_PACKAGES = (("stdlib", "ftlab_probes.stdlib"), ("packages", "ftlab_probes.packages"))

AUTO_ENTRY = {
    "subject": "*",
    "probe": "ftlab_probes.auto:<spec>",
    "kind": "auto",
    "ops": [],
    "description": "generated for any importable module without a hand-written probe: its functions "
    "(stateless) and each class constructible without arguments (a shared instance); see probes/auto",
    "expected_finding": None,
    "known_issue": None,
}


def _literal(node):
    try:
        return ast.literal_eval(node)
    except ValueError:
        return None


def _is_op(decorator):
    func = decorator.func if isinstance(decorator, ast.Call) else decorator
    return (isinstance(func, ast.Name) and func.id == "op") or (isinstance(func, ast.Attribute) and func.attr == "op")


def _class_facts(node):
    """(base names, ops, assigned class attributes) of one ClassDef."""
    bases = [b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases]
    ops, attrs = [], {}
    for item in node.body:
        if isinstance(item, ast.FunctionDef) and any(_is_op(d) for d in item.decorator_list):
            ops.append(item.name)
        elif isinstance(item, ast.Assign):
            for target in item.targets:
                if isinstance(target, ast.Name):
                    attrs[target.id] = item.value
    return bases, ops, attrs


def module_entries(path, module_name):
    """Catalog entries for the probe classes of one module file."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), filename=path)
    constants = {}
    classes = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    constants[target.id] = node.value
        elif isinstance(node, ast.ClassDef):
            classes[node.name] = (node, *_class_facts(node))

    def is_probe(name, seen=()):
        if name == "Probe":
            return True
        if name not in classes or name in seen:
            return False
        return any(is_probe(b, (*seen, name)) for b in classes[name][1])

    def lineage(name):
        """The class and its in-module bases, most derived first."""
        out, todo = [], [name]
        while todo:
            current = todo.pop(0)
            if current in classes and current not in out:
                out.append(current)
                todo.extend(classes[current][1])
        return out

    def attr(name, key):
        for klass in lineage(name):
            value = classes[klass][3].get(key)
            if value is not None:
                if isinstance(value, ast.Name) and value.id in constants:
                    return _literal(constants[value.id])
                return _literal(value)
        return None

    entries = []
    for name, (node, _bases, _ops, _attrs) in classes.items():
        if name.startswith("_") or not is_probe(name) or name == "Probe":
            continue
        ops = []
        for klass in reversed(lineage(name)):
            ops.extend(o for o in classes[klass][2] if o not in ops)
        if not ops:
            continue
        doc = ast.get_docstring(node) or ""
        entries.append({
            "subject": attr(name, "subject"),
            "probe": "%s:%s" % (module_name, name),
            "kind": "hand-written",
            "ops": ops,
            "description": " ".join(doc.split("\n\n")[0].split()),
            "expected_finding": attr(name, "expected_finding"),
            "known_issue": attr(name, "known_issue"),
        })
    return entries


def catalog(root=HERE):
    """Every hand-written probe, then the auto-probe entry."""
    entries = []
    for folder, prefix in PROBE_PACKAGES:
        directory = os.path.join(root, folder)
        for filename in sorted(os.listdir(directory)):
            if not filename.endswith(".py") or filename.startswith("_"):
                continue
            entries.extend(module_entries(os.path.join(directory, filename), "%s.%s" % (prefix, filename[:-3])))
    entries.append(dict(AUTO_ENTRY))
    return entries


def probes_for(subject, entries):
    """Hand-written probes of one subject (a canonical distribution name, or ``stdlib``)."""
    return [e for e in entries if e["kind"] == "hand-written" and e["subject"] == subject]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="ftlab_probes.catalog", description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="JSON on stdout")
    parser.add_argument("--out", default=None, help="write the JSON document to this file")
    args = parser.parse_args(argv)
    doc = {"format": "ftlab-probes/1", "probes": catalog()}
    if args.out:
        from ftlab_probes.runtime import protocol

        protocol.write_json_atomic(args.out, doc)
    elif args.json:
        json.dump(doc, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        for e in doc["probes"]:
            print("%-20s %-12s %s  [%s]" % (e["subject"], e["kind"], e["probe"], ", ".join(e["ops"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
