"""Hand-written stress probes for the standard library's shared-state objects.

One module per area; every probe class names the object it races (``subject = "stdlib"``) and
declares, in ``raises``, the exceptions its operations may legitimately raise. ``probes/ftlab_probes/catalog.py``
lists them all. What each probe found (or is expected to find, with the documentation that says
so) is in ``probes/FINDINGS.md``.
"""
