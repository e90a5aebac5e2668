"""One error family. Each carries its exit code; ``ftlab.cli.main`` prints ``ftlab: error: MESSAGE``.

Messages say the fact, the thing named, what was expected and the next step.
"""

import errno

#: errno values that mean the disk is full: no space left, or the user's quota used up.
NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


class FtlabError(Exception):
    """Base for every error ftlab reports to a person. Exit code 2: bad input or unusable environment."""

    exit_code = 2


class UsageError(FtlabError):
    """Bad command-line input: unknown lane spec, malformed requirement, missing file."""


class LaneError(FtlabError):
    """An interpreter that cannot serve as a lane: missing, not Python, too old, duplicate."""


class StoreError(FtlabError):
    """The store cannot be opened or written: unwritable path, newer schema, corrupt file."""


class DiskFullError(StoreError):
    """No space left where the store, the run's artifacts or the reports are written."""


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in NO_SPACE_ERRNOS


#: Less free space than this where ftlab writes (store, job files, logs) means the disk is full: what
#: fails there (SQLite's "disk I/O error" creating its shared-memory file, a child that cannot write its
#: result) fails because of the disk, not because of the store or the package.
LOW_SPACE_BYTES = 1024 * 1024


def free_bytes(path) -> int | None:
    import shutil

    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


class PackageIndexError(FtlabError):
    """The package index cannot be reached or answers with something that is not an index."""


class ResolutionError(FtlabError):
    """The subjects cannot be resolved into one lock (no such package, no release, conflict)."""


class ProtocolError(FtlabError):
    """A child's result file does not have the shape the host expects."""


class SandboxError(FtlabError):
    """A sandboxed child could not be started at all (not a finding about the tested code)."""
