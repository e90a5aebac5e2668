"""The store: SQLite on disk, WAL mode, a schema version with one migration per step.

One row per run, lane, subject, result, signal and verdict. Results are keyed by job id, so a run
can be resumed (jobs already recorded are skipped) and re-recording a job replaces it. Several runs,
and several ftlab processes, can share one store file (which process executes a run: lab/ftlab/store/runlock.py).

Every write is one transaction, so a process killed at any point leaves the store as it was before the
write. A file that is not SQLite, an SQLite database that is not ftlab's, or a damaged store is
refused with what to do, and never written to. `lab/ftlab/store/check.py` checks a store's soundness.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import time
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftlab.errors import LOW_SPACE_BYTES, DiskFullError, StoreError, UsageError, free_bytes, is_disk_full
from ftlab.records import Decision, Lane, Result, Signal, Subject, Verdict

DEFAULT_STORE = Path(".ftlab") / "ftlab.sqlite"

#: 1: runs, lanes, subjects, results, signals, verdicts.
#: 2: verdicts name the checks they rest on (`checks`, a JSON list).
SCHEMA_VERSION = 2

#: Another ftlab process may hold the write lock while it records a result; wait rather than fail.
BUSY_TIMEOUT_S = 30.0

_SCHEMA_V1 = """
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    finished_at REAL,
    status TEXT NOT NULL,             -- running | finished | interrupted
    ftlab_version TEXT NOT NULL,
    argv TEXT NOT NULL,               -- JSON list
    config TEXT NOT NULL,             -- JSON: checks, options, lane specs
    lock TEXT,                        -- the resolved lock every lane installed from
    decision TEXT,                    -- go | no-go | undecided
    triggers TEXT,                    -- JSON list
    artifacts_dir TEXT NOT NULL
);
CREATE TABLE lanes (
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    available INTEGER NOT NULL,
    gil_disabled INTEGER NOT NULL,
    version TEXT NOT NULL,
    path TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT NOT NULL,
    doc TEXT NOT NULL,                -- JSON: the full Lane record
    PRIMARY KEY (run_id, name)
);
CREATE TABLE subjects (
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (run_id, name)
);
CREATE TABLE results (
    job_id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    subject TEXT NOT NULL,
    lane TEXT NOT NULL,
    check_name TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    duration_s REAL NOT NULL,
    exit_status INTEGER,
    data TEXT NOT NULL,
    artifacts_dir TEXT NOT NULL,
    recorded_at REAL NOT NULL
);
CREATE INDEX results_run ON results(run_id);
CREATE TABLE signals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL REFERENCES results(job_id),
    run_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    lane TEXT NOT NULL,
    check_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    summary TEXT NOT NULL,
    evidence TEXT NOT NULL
);
CREATE INDEX signals_run ON signals(run_id);
CREATE TABLE verdicts (
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    subject TEXT NOT NULL,
    lane TEXT NOT NULL,
    verdict TEXT NOT NULL,
    reasons TEXT NOT NULL,
    PRIMARY KEY (run_id, subject, lane)
);
"""

#: MIGRATIONS[n] takes a store from version n to n + 1.
MIGRATIONS = {0: _SCHEMA_V1,
              1: "ALTER TABLE verdicts ADD COLUMN checks TEXT NOT NULL DEFAULT '[]';"}


@dataclass(frozen=True, kw_only=True)
class RunRecord:
    run_id: str
    created_at: float
    finished_at: float | None
    status: str
    ftlab_version: str
    argv: list[str]
    config: dict[str, Any]
    lock: str | None
    decision: Decision | None
    artifacts_dir: str
    lanes: tuple[Lane, ...] = ()
    subjects: tuple[Subject, ...] = ()
    results: tuple[Result, ...] = ()
    verdicts: tuple[Verdict, ...] = field(default=())


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


class Store:
    """A connection to one store file. Use as a context manager; every write is its own transaction."""

    def __init__(self, path: Path | str = DEFAULT_STORE, *, create: bool = True):
        """`create=False` for commands that only read: a mistyped --store must not become a new, empty,
        "sound" store."""
        self.path = Path(path)
        if not create and not self.path.exists():
            raise StoreError(f"there is no store at '{self.path}' (no runs yet); start one with 'ftlab run', "
                             "or pass --store PATH of an existing store")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _refuse_foreign_file(self.path)
            self.conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            if is_disk_full(exc):
                raise DiskFullError(f"the disk is full: no space left to create the store at '{self.path}'; free some space "
                                    "or pass --store PATH on another disk") from None
            raise StoreError(
                f"cannot open the store at '{self.path}' ({exc}); pass --store PATH in a writable directory"
            ) from None
        try:
            self._refuse_foreign_database()
            if self.conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.Error as exc:
            self.conn.close()
            raise self._error(exc, "open") from None
        except BaseException:
            self.conn.close()
            raise

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def _tx(self):
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            yield self.conn
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise self._error(exc, "write to") from None
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    def _read(self, sql: str, args: tuple = ()) -> list[tuple]:
        try:
            return self.conn.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise self._error(exc, "read") from None

    def _error(self, exc: sqlite3.Error, doing: str) -> StoreError:
        """SQLite's error as one an ftlab user can act on (what happened to the store, what to do)."""
        text = str(exc)
        free = free_bytes(self.path.parent)
        if "disk is full" in text or (free is not None and free < LOW_SPACE_BYTES):
            return DiskFullError(f"the disk holding the store at '{self.path}' is full ({text}); "
                                 "free some space (results recorded so far are kept)")
        if isinstance(exc, sqlite3.DatabaseError) and any(
                w in text for w in ("not a database", "malformed", "corrupt")):
            return StoreError(
                f"the store at '{self.path}' is damaged ({text}); ftlab leaves it as it is: copy out what is "
                f"readable with 'sqlite3 {self.path} .recover | sqlite3 NEW.sqlite', or pass --store PATH for a new store"
            )
        if "locked" in text or "busy" in text:
            return StoreError(f"the store at '{self.path}' stayed locked by another process for "
                              f"{BUSY_TIMEOUT_S:.0f} s ({text}); retry when it is done")
        return StoreError(f"cannot {doing} the store at '{self.path}' ({text}); check the disk and permissions")

    def _refuse_foreign_database(self) -> None:
        """An SQLite file with tables but no ftlab schema version is someone else's: never write to it."""
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version == 0 and self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise StoreError(f"'{self.path}' is an SQLite database but not an ftlab store; ftlab leaves it as it "
                             "is: pass --store PATH for a new store")

    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the store at '{self.path}' has schema version {version}, newer than this ftlab's "
                f"{SCHEMA_VERSION}; upgrade ftlab or pass --store PATH for a new store"
            )
        while version < SCHEMA_VERSION:
            with self._tx() as c:
                # Another ftlab process may have created or migrated the store since we looked.
                version = c.execute("PRAGMA user_version").fetchone()[0]
                if version >= SCHEMA_VERSION:
                    break
                for statement in _statements(MIGRATIONS[version]):
                    c.execute(statement)
                c.execute(f"PRAGMA user_version = {version + 1}")
            version += 1

    # -- writing ---------------------------------------------------------------------------------

    def start_run(self, *, run_id: str, argv: list[str], config: dict, artifacts_dir: str, ftlab_version: str,
                  lanes: Iterable[Lane] = (), subjects: Iterable[Subject] = (), lock_text: str | None = None) -> None:
        """The run with its lanes, subjects and lock in one transaction: a run killed at any point is
        either absent or complete enough to resume."""
        with self._tx() as c:
            c.execute(
                "INSERT INTO runs(run_id, created_at, status, ftlab_version, argv, config, artifacts_dir, lock)"
                " VALUES (?, ?, 'running', ?, ?, ?, ?, ?)",
                (run_id, time.time(), ftlab_version, json.dumps(argv), json.dumps(config), artifacts_dir, lock_text),
            )
            _insert_lanes(c, run_id, lanes)
            _insert_subjects(c, run_id, subjects)

    def record_lanes(self, run_id: str, lanes: Iterable[Lane]) -> None:
        with self._tx() as c:
            _insert_lanes(c, run_id, lanes)

    def record_subjects(self, run_id: str, subjects: Iterable[Subject]) -> None:
        with self._tx() as c:
            _insert_subjects(c, run_id, subjects)

    def record_result(self, result: Result) -> None:
        """Idempotent by job id: recording a job again replaces its result and signals."""
        with self._tx() as c:
            c.execute("DELETE FROM signals WHERE job_id = ?", (result.job_id,))
            c.execute(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (result.job_id, result.run_id, result.subject, result.lane, result.check, result.status,
                 result.reason, result.duration_s, result.exit_status, json.dumps(result.data, default=repr),
                 result.artifacts_dir, time.time()),
            )
            for s in result.signals:
                c.execute(
                    "INSERT INTO signals(job_id, run_id, subject, lane, check_name, kind, summary, evidence)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (result.job_id, result.run_id, result.subject, result.lane, result.check, s.kind,
                     s.summary, json.dumps(s.evidence, default=repr)),
                )

    def finish_run(self, run_id: str, *, verdicts: Iterable[Verdict], decision: Decision, status: str = "finished") -> None:
        with self._tx() as c:
            c.execute("DELETE FROM verdicts WHERE run_id = ?", (run_id,))
            for v in verdicts:
                c.execute("INSERT INTO verdicts(run_id, subject, lane, verdict, reasons, checks) VALUES (?, ?, ?, ?, ?, ?)",
                          (run_id, v.subject, v.lane, v.verdict, json.dumps(list(v.reasons)), json.dumps(list(v.checks))))
            c.execute(
                "UPDATE runs SET finished_at = ?, status = ?, decision = ?, triggers = ? WHERE run_id = ?",
                (time.time(), status, decision.decision, json.dumps(list(decision.triggers)), run_id),
            )

    def mark_interrupted(self, run_id: str) -> None:
        with self._tx() as c:
            c.execute("UPDATE runs SET status = 'interrupted' WHERE run_id = ? AND status = 'running'", (run_id,))

    def reopen_run(self, run_id: str) -> None:
        """A resumed run is running again until it finishes (its old verdicts, if any, are recomputed)."""
        with self._tx() as c:
            c.execute("UPDATE runs SET status = 'running', finished_at = NULL WHERE run_id = ?", (run_id,))

    # -- reading ---------------------------------------------------------------------------------

    def run_ids(self) -> list[str]:
        return [r[0] for r in self._read("SELECT run_id FROM runs ORDER BY created_at, run_id")]

    def unfinished_runs(self) -> list[tuple[str, str, str]]:
        """(run id, stored status, artifacts dir) of runs that did not finish, oldest first."""
        return [tuple(r) for r in self._read(
            "SELECT run_id, status, artifacts_dir FROM runs WHERE status != 'finished' ORDER BY created_at, run_id")]

    def resolve_run_id(self, ref: str | None) -> str:
        """`None` or `latest` is the newest run; `latest~1` the one before; otherwise an id or unique prefix."""
        ids = self.run_ids()
        if not ids:
            raise UsageError(f"the store at '{self.path}' has no runs yet; start one with 'ftlab run'")
        if ref is None or ref.startswith("latest"):
            back = int(ref.partition("~")[2] or 0) if ref else 0
            if back >= len(ids):
                raise UsageError(f"'{ref}' goes back further than the {len(ids)} runs in the store")
            return ids[-1 - back]
        matches = [i for i in ids if i == ref] or [i for i in ids if i.startswith(ref)]
        if len(matches) != 1:
            import difflib

            close = difflib.get_close_matches(ref, ids, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else "; list runs with 'ftlab runs'"
            what = "is ambiguous" if matches else "is not in the store"
            raise UsageError(f"run '{ref}' {what} at '{self.path}'{hint}")
        return matches[0]

    def artifacts_dir(self, run_id: str) -> Path:
        (row,) = self._read("SELECT artifacts_dir FROM runs WHERE run_id = ?", (run_id,))
        return Path(row[0])

    def done_job_ids(self, run_id: str) -> set[str]:
        return {r[0] for r in self._read(
            "SELECT job_id FROM results WHERE run_id = ? AND status NOT IN ('error')", (run_id,))}

    def results(self, run_id: str, check: str | None = None) -> tuple[Result, ...]:
        """A run's results with their signals, in recording order; only one check's when named."""
        where, args = ("run_id = ? AND check_name = ?", (run_id, check)) if check else ("run_id = ?", (run_id,))
        signals: dict[str, list[Signal]] = {}
        for job_id, kind, summary, evidence in self._read(
                f"SELECT job_id, kind, summary, evidence FROM signals WHERE {where} ORDER BY id", args):
            signals.setdefault(job_id, []).append(Signal(kind=kind, summary=summary, evidence=json.loads(evidence)))
        return tuple(
            Result(job_id=r[0], run_id=run_id, subject=r[1], lane=r[2], check=r[3], status=r[4], reason=r[5],
                   duration_s=r[6], exit_status=r[7], data=json.loads(r[8]), artifacts_dir=r[9],
                   signals=tuple(signals.get(r[0], ())))
            for r in self._read(
                "SELECT job_id, subject, lane, check_name, status, reason, duration_s, exit_status, data,"
                f" artifacts_dir FROM results WHERE {where} ORDER BY recorded_at, job_id", args)
        )

    def load_run(self, ref: str | None = None) -> RunRecord:
        run_id = self.resolve_run_id(ref)
        (row,) = self._read(
            "SELECT run_id, created_at, finished_at, status, ftlab_version, argv, config, lock, decision,"
            " triggers, artifacts_dir FROM runs WHERE run_id = ?", (run_id,))
        decision = Decision(decision=row[8], triggers=tuple(json.loads(row[9] or "[]"))) if row[8] else None
        lanes = tuple(Lane.from_json(json.loads(d)) for (d,) in self._read(
            "SELECT doc FROM lanes WHERE run_id = ? ORDER BY position", (run_id,)))
        subjects = tuple(Subject(**json.loads(d)) for (d,) in self._read(
            "SELECT doc FROM subjects WHERE run_id = ? ORDER BY position", (run_id,)))
        results = self.results(run_id)
        verdicts = tuple(
            Verdict(subject=s, lane=ln, verdict=v, reasons=tuple(json.loads(r)), checks=tuple(json.loads(c)))
            for s, ln, v, r, c in self._read(
                "SELECT subject, lane, verdict, reasons, checks FROM verdicts WHERE run_id = ?", (run_id,))
        )
        return RunRecord(
            run_id=row[0], created_at=row[1], finished_at=row[2], status=row[3], ftlab_version=row[4],
            argv=json.loads(row[5]), config=json.loads(row[6]), lock=row[7], decision=decision,
            artifacts_dir=row[10], lanes=lanes, subjects=subjects, results=results, verdicts=verdicts,
        )


def _insert_lanes(c: sqlite3.Connection, run_id: str, lanes: Iterable[Lane]) -> None:
    for i, lane in enumerate(lanes):
        c.execute(
            "INSERT OR REPLACE INTO lanes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (run_id, lane.name, i, int(lane.available), int(lane.gil_disabled), lane.version,
             lane.path, lane.source, lane.reason, json.dumps(lane.to_json())),
        )


def _insert_subjects(c: sqlite3.Connection, run_id: str, subjects: Iterable[Subject]) -> None:
    for i, subject in enumerate(subjects):
        c.execute("INSERT OR REPLACE INTO subjects VALUES (?, ?, ?, ?)",
                  (run_id, subject.name, i, json.dumps(subject.to_json())))


#: The first 16 bytes of every SQLite 3 database file.
SQLITE_MAGIC = b"SQLite format 3\x00"


def _refuse_foreign_file(path: Path) -> None:
    """A file that is not SQLite (a report, a log, a typo'd path) is never opened, so never written."""
    if path.is_dir():
        raise StoreError(f"the store path '{path}' is a directory; pass --store PATH of a file, e.g. {path / 'ftlab.sqlite'}")
    try:
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        return
    if head and head != SQLITE_MAGIC:
        raise StoreError(f"'{path}' is not an ftlab store (not an SQLite database); ftlab leaves it as it is: "
                         "pass --store PATH for a new store")


def _statements(script: str) -> list[str]:
    """Split a schema script into statements (executescript would commit our transaction)."""
    out, buf = [], []
    for line in script.splitlines():
        code = line.split("--", 1)[0]
        buf.append(code)
        if code.rstrip().endswith(";"):
            out.append("\n".join(buf).strip())
            buf = []
    return [s for s in out if s.strip(" ;\n")]


def default_store_path() -> Path:
    env = os.environ.get("FTLAB_STORE")
    return Path(env) if env else DEFAULT_STORE
