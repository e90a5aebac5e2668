"""Everything that runs inside a lane interpreter.

The host (``lab``) never imports this package to run it: it starts
``LANE_PYTHON -X faulthandler -m ftlab_probes.runtime COMMAND --job JOB --out OUT`` with this
folder's parent on ``sys.path``. Only the standard library and hypothesis are available here,
and the syntax must stay parseable by the oldest supported lane (CPython 3.10).
"""
