"""Hand-written stress probes for popular PyPI packages with C extensions, one module per package
(the module is named after the import name). Each probe races an object the way real code shares it
across threads and declares the exceptions its operations may legitimately raise. The packages'
imports happen inside ``make()`` and the ops, so listing probes (``probes/ftlab_probes/catalog.py``) never imports
a tested package. What they found is in ``probes/FINDINGS.md``."""
