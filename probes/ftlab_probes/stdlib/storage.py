"""sqlite3: one connection opened with ``check_same_thread=False`` and used from several threads.

The docs of ``sqlite3.connect`` say of ``check_same_thread=False``: "the connection may be accessed
in multiple threads; write operations may need to be serialized by the user to avoid data
corruption". ``SqliteConnectionProbe`` is that documented usage (writes under the caller's lock,
reads unserialized); ``SqliteUnserializedWritesProbe`` is what much code does instead, kept to
measure what goes wrong (see probes/FINDINGS.md). Each op is one ``Connection.execute``.
"""

import sqlite3
import threading

from hypothesis import strategies as st

from ftlab_probes.api import Probe, op
from ftlab_probes.stdlib._values import KEYS

SUBJECT = "stdlib"


class Shared:
    """A connection and the lock its users agreed to take around writes."""

    def __init__(self, conn):
        self.conn = conn
        self.writes = threading.Lock()

    def __repr__(self):
        return "Shared(%r)" % (self.conn,)


class SqliteConnectionProbe(Probe):
    """Inserts, updates and deletes (serialized by the caller) and unserialized reads, in autocommit
    mode, on one in-memory connection."""

    subject = SUBJECT
    raises = (sqlite3.IntegrityError,)
    isolation_level = None
    #: Even with writes serialized, a failed write can come back as a success when a read runs on
    #: another thread: SQLite's error code is per connection (https://sqlite.org/c3ref/errcode.html).
    #: See probes/FINDINGS.md.
    expected_finding = True

    def make(self):
        conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=self.isolation_level)
        conn.execute("CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)")
        conn.commit()
        return Shared(conn)

    def write(self, obj, sql, params):
        with obj.writes:
            return obj.conn.execute(sql, params).rowcount

    @op(KEYS, st.integers(0, 3))
    def insert(self, obj, key, value):
        return self.write(obj, "INSERT INTO kv VALUES (?, ?)", (key, value))

    @op(KEYS, st.integers(1, 3))
    def add(self, obj, key, value):
        return self.write(obj, "UPDATE kv SET v = v + ? WHERE k = ?", (value, key))

    @op(KEYS)
    def delete(self, obj, key):
        return self.write(obj, "DELETE FROM kv WHERE k = ?", (key,))

    @op()
    def total(self, obj):
        return obj.conn.execute("SELECT count(*), coalesce(sum(v), 0) FROM kv").fetchone()

    @op(KEYS)
    def get(self, obj, key):
        row = obj.conn.execute("SELECT v FROM kv WHERE k = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def state(self, obj):
        return obj.conn.execute("SELECT k, v FROM kv ORDER BY k").fetchall()


class SqliteUnserializedWritesProbe(SqliteConnectionProbe):
    """Writes from several threads with no lock, with the default implicit transactions and commits
    from any thread, reading ``Cursor.rowcount`` ("did my UPDATE hit a row?")."""

    #: Documented: writes "may need to be serialized by the user" (sqlite3.connect); SQLite's error
    #: code and change count are per connection (https://sqlite.org/c3ref/errcode.html,
    #: https://sqlite.org/c3ref/changes.html), so another thread's statement overwrites them.
    isolation_level = ""

    def write(self, obj, sql, params):
        return obj.conn.execute(sql, params).rowcount

    @op()
    def commit(self, obj):
        return obj.conn.commit()
