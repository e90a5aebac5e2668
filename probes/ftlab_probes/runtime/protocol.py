"""The one contract between the host and the in-lane runtime.

A job file (JSON, written by the host) goes in; one result file (JSON, written atomically by the
child) comes out. stdout and stderr are diagnostics only: tested packages print what they like.

Job document::

    {"format": "ftlab-job/1", "job_id": str, "command": str,
     "subject": {"name": str, "kind": str, "spec": str} | null,
     "lane": {"name": str, "gil_disabled": bool, ...fingerprint},
     "options": {...command specific...},
     "timeout_s": float,          # the host kills the process group after this (plus a grace)
     "artifacts_dir": str}        # absolute; the child may write evidence files here

Result document::

    {"format": "ftlab-result/1", "job_id": str, "command": str,
     "status": "ok" | "findings" | "error",
     "data": {...command specific...},
     "signals": [{"kind": str, "summary": str, "evidence": {...}}],
     "started_at": float, "finished_at": float}
"""

import json
import os
import tempfile

#: ftlab-job/1: first version.
JOB_FORMAT = "ftlab-job/1"
#: ftlab-result/1: first version.
RESULT_FORMAT = "ftlab-result/1"

#: The signal vocabulary (DESIGN.md). The host refuses kinds outside it.
SIGNAL_KINDS = (
    "install-failed",
    "built-from-sdist",
    "no-wheel",
    "import-error",
    # a submodule needs a module its distribution does not provide: information, never a gate
    "optional-dependency",
    "gil-reenabled",
    "crash",
    "hang",
    "corruption",
    "unexpected-exception",
    "invariant-broken",
    # a ThreadSanitizer report attributed to an extension module (a TSan-built lane)
    "data-race",
    "perf-regression",
)


def signal(kind, summary, **evidence):
    """A finding: a kind from SIGNAL_KINDS, one human line, and evidence a maintainer can act on."""
    if kind not in SIGNAL_KINDS:
        raise ValueError("unknown signal kind %r" % (kind,))
    return {"kind": kind, "summary": summary, "evidence": evidence}


def read_job(path):
    with open(path, encoding="utf-8") as f:
        job = json.load(f)
    if job.get("format") != JOB_FORMAT:
        raise ValueError("job file %s has format %r, expected %r" % (path, job.get("format"), JOB_FORMAT))
    return job


def write_json_atomic(path, doc):
    """Write a JSON document so a reader sees either nothing or the whole file."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1, sort_keys=True, default=repr)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
