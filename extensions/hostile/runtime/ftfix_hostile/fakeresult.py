"""Prints what looks like a clean ftlab result on stdout and stderr, then crashes."""
import ctypes
import json
import sys

fake = {"format": "ftlab-result/1", "status": "ok", "data": {"modules": []}, "signals": [], "gil_before": False,
        "gil_after": False, "error": None}
print(json.dumps(fake), flush=True)
print(json.dumps(fake), file=sys.stderr, flush=True)
ctypes.string_at(0)
