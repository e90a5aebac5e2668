"""The auto-probe: stress probes generated for modules nobody wrote a probe for.

Two steps. Screening (``python -m ftlab_probes.auto``, see ``screen.py``) walks a module's public API under
a conservative policy (``policy.py``), picks argument kinds for each callable (``kinds.py``), calls
everything sequentially with a time cap, and keeps what is fast, deterministic and not always
failing. It writes one spec string per target (``spec.py``): the module's functions as one
stateless probe, and one probe per class constructible without arguments (a shared instance whose
public methods run in many threads, its state read through len, iteration, repr or its own getters).

The stress engine loads a spec like any probe: ``{"probe": "ftlab_probes.auto:cls:pkg.mod:Cls:add(int);get()"}``.
This module's ``__getattr__`` turns the attribute name (the spec) into the Probe class, so neither the
engine nor repro scripts need to know about auto-probes.
"""

from ftlab_probes.auto.spec import SpecError, build

_BUILT = {}


def __getattr__(name):
    if name.startswith(("fn:", "cls:")):
        if name not in _BUILT:
            try:
                _BUILT[name] = build(name)
            except SpecError as exc:
                raise AttributeError(str(exc)) from None
        return _BUILT[name]
    raise AttributeError("module 'ftlab_probes.auto' has no attribute %r (auto-probe specs start with fn: or cls:)" % (name,))
