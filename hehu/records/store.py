"""The store: the records of every kind (hehu.records.schema), on SQLite (default) or PostgreSQL.

SQLite is opened in WAL mode with a busy timeout because several Voila kernels write at once.
Every write goes through `Store.write`, one transaction each. The schema carries a version in the
`meta` table; `MIGRATIONS` brings an older database up to date when it is opened.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from itertools import chain, repeat
from operator import eq, itemgetter, methodcaller
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from hehu.errors import InvalidRecord, StoreUnavailable
from hehu.records.schema import (
    RECORD_TABLES,
    audit_log,
    figure_cache,
    meta,
    metadata,
)
from hehu.records.versions import ensure_schema
from hehu.records.written_rows import clean_rows

_log = logging.getLogger(__name__)
# Figures whose name starts with this outlive a write: a page readers are given as it was
# (saying so) until it is made again for the new data (hehu/serve/light.py).
SHOWN_UNTIL_REMADE = "~"


def stored_period(period: str) -> str:
    """A figure cache's period key as its column holds it: itself if it fits, else a digest.

    Figures of several periods together are kept under the periods joined, which grows with
    the years; PostgreSQL refuses a key longer than the column (SQLite keeps it whole)."""
    width = figure_cache.c.period.type.length
    if len(period) <= width:
        return period
    return "#" + hashlib.sha256(period.encode()).hexdigest()[: width - 1]


def hehu_home() -> Path:
    """The folder for local state (database, pseudonymisation key): $HEHU_HOME or ~/.hehu.

    Created owner-only (0700): on a shared office PC no other account may read the records.
    """
    home = Path(os.environ.get("HEHU_HOME") or Path.home() / ".hehu")
    private_folder(home)
    return home


_WARNED: set[str] = set()


def warn_if_readable_by_others(path: Path) -> None:
    """One line on stderr (once a process) if others may read or enter ``path``."""
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        return
    if mode & 0o077 and str(path) not in _WARNED:
        _WARNED.add(str(path))
        wanted = "700" if path.is_dir() else "600"
        print(
            f"提醒：{path} 的权限为 {mode:o}，本机其他账户可以读取；建议执行 chmod {wanted} {path}"
            f" / warning: {path} is readable by other accounts (mode {mode:o})",
            file=sys.stderr,
        )


def private_folder(path: Path) -> Path:
    """Create a folder owner-only (0700); an existing one keeps its mode, with a warning if loose."""
    if path.is_dir():
        warn_if_readable_by_others(path)
        return path
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)  # mkdir's mode is cut by the umask; this is not
    return path


def _private_file(path: Path) -> None:
    """Create an empty file owner-only (0600) if missing, else warn if others may read it.

    SQLite gives its -wal and -shm files the database file's mode, so they follow it.
    """
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        warn_if_readable_by_others(path)


def resolve_url(url: str | None = None) -> str:
    """The database URL: the argument, else $HEHU_DB, else a SQLite file in the Hehu home."""
    url = url or os.environ.get("HEHU_DB")
    if not url:
        return f"sqlite:///{hehu_home() / 'hehu.sqlite'}"
    if "://" not in url:  # a bare path means a SQLite file
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    return url


def _make_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            for pragma in ("journal_mode=WAL", "busy_timeout=30000", "foreign_keys=ON"):
                cur.execute(f"PRAGMA {pragma}")
            cur.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


# Rows fetched and converted at a time by `Store.read`: the driver's Python objects for this
# many rows are all that is alive at once (100,000 visits are about 60 MB of them).
READ_CHUNK_ROWS = 100_000


class Store:
    """An open Hehu database: reads return pandas frames, each write is one transaction."""

    def __init__(self, engine: sa.Engine, url: str):
        self.engine = engine
        self.url = url

    # -- meta -------------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        """A value from the meta table."""
        with self.engine.connect() as conn:
            value = conn.execute(sa.select(meta.c.value).where(meta.c.key == key)).scalar()
        return default if value is None else value

    def schema_version(self) -> int:
        """The schema version the database is at."""
        return int(self.get_meta("schema_version", "0"))

    def is_demo(self) -> bool:
        """True while the database holds synthetic demo data."""
        return self.get_meta("demo", "0") == "1"

    def data_version(self) -> int:
        """A counter that changes with every write: caches key on it."""
        return int(self.get_meta("data_version", "0"))

    # -- the figure cache -------------------------------------------------------------------
    # Only a cache: when the database is busy or two kernels collide (PostgreSQL may pick one of
    # two cleanups as a deadlock victim), a page computes its figures itself rather than fail.
    def cached_figures(self, name: str, period: str, data_version: int) -> bytes | None:
        """Stored figures computed at this data version, or None (never an older version's)."""
        row = self._figures_row(name, period, figure_cache.c.data_version == data_version)
        return None if row is None else row[0]

    def kept_figures(self, name: str, period: str) -> tuple[bytes, int] | None:
        """The stored figures of `name` and `period` whatever their data version (one row: a
        newer version replaces an older), with that version; None if none."""
        row = self._figures_row(name, period)
        return None if row is None else (row[0], row[1])

    def _figures_row(self, name: str, period: str, *where):
        # The version is filtered in SQL: an older payload (masks of a province) is not read.
        period = stored_period(period)
        try:
            with self.engine.connect() as conn:
                return conn.execute(
                    sa.select(figure_cache.c.payload, figure_cache.c.data_version).where(
                        figure_cache.c.name == name, figure_cache.c.period == period, *where
                    )
                ).first()
        except SQLAlchemyError as exc:
            _log.warning("figure cache not read: %s", exc)
            return None

    def keep_figures(self, name: str, period: str, data_version: int, payload: bytes) -> None:
        """Store computed figures; does not count as a write (the records are unchanged)."""
        if len(name) > figure_cache.c.name.type.length:  # PostgreSQL would refuse it, always
            raise ValueError(f"figure cache name longer than its column: {name!r}")
        row = {
            "name": name,
            "period": stored_period(period),
            "data_version": data_version,
            "payload": payload,
            "computed_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
        }
        insert = _dialect_insert(self.engine.dialect.name)(figure_cache).values(**row)
        # Two kernels may store the same figures at once: the newer data version wins.
        upsert = insert.on_conflict_do_update(
            index_elements=["name", "period"],
            set_={k: insert.excluded[k] for k in ("data_version", "payload", "computed_at")},
            where=figure_cache.c.data_version <= insert.excluded.data_version,
        )
        try:
            with self.engine.begin() as conn:
                conn.execute(upsert)
        except SQLAlchemyError as exc:
            _log.warning("figures not kept: %s", exc)
            return
        # Figures of older data versions are never read again (a separate, optional step), but
        # for those that are shown as they were until made again (replaced by the upsert).
        self._forget(
            (figure_cache.c.data_version < data_version)
            & ~figure_cache.c.name.startswith(SHOWN_UNTIL_REMADE, autoescape=True)
        )

    def forget_figures(self, name: str, like: str, keep: str) -> None:
        """Drop stored figures of `name` whose period matches `like` (SQL LIKE), except `keep`."""
        self._forget(
            (figure_cache.c.name == name)
            & figure_cache.c.period.like(like)
            & (figure_cache.c.period != stored_period(keep))
        )

    def forget_names_like(self, like: str, keep_prefix: str) -> None:
        """Drop stored figures named like `like` (SQL LIKE) but not starting with `keep_prefix`."""
        name = figure_cache.c.name
        self._forget(name.like(like) & ~name.startswith(keep_prefix, autoescape=True))

    def _forget(self, condition) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(figure_cache.delete().where(condition))
        except SQLAlchemyError as exc:  # another kernel is cleaning up: it will do
            _log.info("stale figures left for later: %s", exc)

    # -- reads ------------------------------------------------------------------------------
    def read(
        self, kind: str, *, places: Iterable[str] | None = None, chunk_rows: int = READ_CHUNK_ROWS
    ) -> pd.DataFrame:
        """All records of a kind as a frame, one column per field of its table, in table order;
        with `places` (codes), only the records of those places (`scope_condition`).

        Text is pandas' `str` dtype (Arrow strings, missing = NaN); dates are datetime64[s]
        (NaT when missing), timestamps datetime64[us]; integers are int64, or float64 with NaN
        when some are missing; booleans bool; floats float64. The rows are fetched
        `chunk_rows` at a time and turned into Arrow arrays chunk by chunk, so the Python
        objects the database driver makes never pile up (see `_read_table`).
        """
        table = RECORD_TABLES[kind] if kind in RECORD_TABLES else metadata.tables[kind]
        where = None if places is None else scope_condition(kind, list(places))
        with self.engine.connect() as conn:
            return _read_table(conn, table, chunk_rows, where)

    def count(self, kind: str) -> int:
        """How many records of a kind are stored."""
        table = RECORD_TABLES[kind]
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()

    def has_records(self, kinds: Iterable[str]) -> bool:
        """Whether any record of these kinds is stored (no rows are read)."""
        firsts = (sa.select(sa.literal(1)).select_from(RECORD_TABLES[k]).limit(1) for k in kinds)
        with self.engine.connect() as conn:
            return any(conn.execute(first).first() is not None for first in firsts)

    # -- writes -----------------------------------------------------------------------------
    def audit(self, action: str, what: str, places: str = "", actor: str = "system") -> None:
        """Append one entry to the audit log (exports, briefings: things that change no record)."""
        with self.engine.begin() as conn:
            conn.execute(
                audit_log.insert().values(
                    at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
                    actor=actor,
                    action=action,
                    what=what,
                    places=places,
                )
            )

    @contextmanager
    def changing(self, audit: Mapping[str, str] | None = None) -> Iterator[sa.Connection]:
        """ONE transaction of a write made of statements rather than records (the cycle of a
        recommendation: hehu/oversight/cycle.py): it holds the write lock from its start and
        bumps the data version, as `write` does, so what it reads is what it changes; the
        audit entry is appended at its end. A broken rule rolls it back (InvalidRecord)."""
        try:
            with self.engine.begin() as conn:
                version = _begin_write(conn)
                _upsert(conn, meta, [{"key": "data_version", "value": str(version + 1)}])
                yield conn
                if audit:
                    conn.execute(
                        audit_log.insert().values(
                            at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
                            actor=audit.get("actor", "system"),
                            action=audit["action"],
                            what=audit.get("what", ""),
                            places=audit.get("places", ""),
                        )
                    )
        except IntegrityError as exc:
            raise InvalidRecord(
                f"记录不符合数据规则，未写入任何数据：{_integrity_reason(exc)}",
                f"a record breaks a rule of the store; nothing was written: {exc.orig}",
            ) from exc

    def write(
        self,
        records: Mapping[str, Iterable[Mapping]],
        *,
        replace: Iterable[str] = (),
        meta_values: Mapping[str, str] | None = None,
        audit: Mapping[str, str] | None = None,
    ) -> dict[str, int]:
        """Insert or update records of several kinds in ONE transaction; returns rows per kind.

        Records are matched on their primary key (the natural key), so writing the same records
        twice changes nothing. Kinds named in `replace` are emptied first, in the same
        transaction. Any broken rule rolls the whole write back.
        """
        written = Written()
        replace = set(replace)
        try:
            with self.engine.begin() as conn:
                version = _begin_write(conn)
                for kind in reversed(list(RECORD_TABLES)):
                    if kind in replace:
                        conn.execute(RECORD_TABLES[kind].delete())
                for kind in RECORD_TABLES:  # dependency order, whatever the caller's order
                    if kind not in records:
                        continue
                    rows = clean_rows(kind, records[kind])
                    if rows:  # none stored, no key twice: a plain INSERT (_upsert's all_new)
                        stored = _count_stored(conn, table := RECORD_TABLES[kind], rows)
                        _upsert(conn, table, rows, all_new=not stored and _distinct(table, rows))
                        written.added[kind] = len(rows) - stored
                    written[kind] = len(rows)
                # A new data version (every page's figures made again) only if records changed.
                if replace or any(written.values()):
                    meta_values = {**(meta_values or {}), "data_version": version + 1}
                for key, value in (meta_values or {}).items():
                    _upsert(conn, meta, [{"key": key, "value": str(value)}])
                if audit:
                    what = audit.get("what", "")
                    conn.execute(
                        audit_log.insert().values(
                            at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
                            actor=audit.get("actor", "system"),
                            action=audit["action"],
                            # a callable says what happened from this transaction's own counts
                            what=what(written) if callable(what) else what,
                            places=audit.get("places", ""),
                        )
                    )
        except IntegrityError as exc:
            raise InvalidRecord(
                f"记录不符合数据规则，未写入任何数据：{_integrity_reason(exc)}",
                f"a record breaks a rule of the store; nothing was written: {exc.orig}",
            ) from exc
        return written


# pandas' `str` dtype on Arrow strings: what pandas 3 gives text when pyarrow is installed.
TEXT_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan)
_SECONDS, _MICROSECONDS = pa.timestamp("s"), pa.timestamp("us")


def _fetch_as(column: sa.Column, dialect: str) -> tuple[sa.ColumnElement, pa.DataType] | None:
    """How `_read_table` selects a column and the Arrow type of the value the driver returns;
    None for a type it does not handle.

    Dates and timestamps come as ISO text and are parsed by Arrow a whole chunk at a time:
    SQLAlchemy would otherwise make a `datetime.date` of every cell, one by one, in Python.
    On PostgreSQL `to_char` fixes the text whatever the server's DateStyle; SQLite already
    stores them as this text. Booleans come as 0/1 (what SQLite stores).
    """
    kind = column.type
    if isinstance(kind, sa.Date | sa.DateTime):
        if getattr(kind, "timezone", False):
            return None
        if dialect == "postgresql":
            fmt = "YYYY-MM-DD" if isinstance(kind, sa.Date) else "YYYY-MM-DD HH24:MI:SS.US"
            return sa.func.to_char(column, fmt).label(column.name), pa.large_string()
        return column, pa.large_string()
    if isinstance(kind, sa.Boolean):
        if dialect == "postgresql":
            return sa.cast(column, sa.Integer).label(column.name), pa.int64()
        return column, pa.int64()
    if isinstance(kind, sa.Float):
        return column, pa.float64()
    if isinstance(kind, sa.Integer):
        return column, pa.int64()
    if isinstance(kind, sa.String) and not isinstance(kind, sa.Enum):
        return column, pa.large_string()
    return None


def scope_condition(kind: str, places: list[str]) -> sa.ColumnElement | None:
    """The SQL condition that keeps the records of a kind belonging to `places` (codes), each
    through its own link to a place; None for the kinds read whole (the gazetteer,
    organisations, reports' claims and inspections: small, and shared by every place).

    A household, person, course, event, deliberation, measure, target, recommendation or finding
    by its place; a visit or screening by its household's, a pairing by its child's, a contact
    by its pairing's; a case by its place or by the station that received it (a station's
    count includes cases placed elsewhere), a referral by its case; an update or an
    assignment to a unit by its recommendation. So every figure of a place in `places` that
    the whole province gives, the scope's records give too, when `places` holds everything
    under that place.
    """
    t = RECORD_TABLES
    # one parameter for every link: `in_(places)` looked at each of a city's thousands of
    # codes again for each of them (a quarter of a second a page); the SQL is the same
    scope = sa.bindparam("scope_places", list(places), expanding=True)

    def at(table: sa.Table) -> sa.ColumnElement:
        return table.c.place_code.in_(scope)

    def ids(table: sa.Table, column: str, condition) -> sa.Select:
        return sa.select(table.c[column]).where(condition)

    households = ids(t["household"], "household_id", at(t["household"]))
    people = ids(t["person"], "person_id", at(t["person"]))
    pairings = ids(t["pairing"], "pairing_id", t["pairing"].c.person_id.in_(people))
    orgs = ids(t["org"], "org_id", at(t["org"]))
    case = t["case"]
    cases = ids(case, "case_id", at(case) | case.c.org_id.in_(orgs))
    links = {
        "pairing": t["pairing"].c.person_id.in_(people),
        "contact": t["contact"].c.pairing_id.in_(pairings),
        "visit": t["visit"].c.household_id.in_(households),
        "screening": t["screening"].c.household_id.in_(households),
        "case": at(case) | case.c.org_id.in_(orgs),
        "referral": t["referral"].c.case_id.in_(cases),
        "recommendation_update": t["recommendation_update"].c.rec_id.in_(
            ids(t["recommendation"], "rec_id", at(t["recommendation"]))
        ),
        "recommendation_unit": t["recommendation_unit"].c.rec_id.in_(
            ids(t["recommendation"], "rec_id", at(t["recommendation"]))
        ),
    }
    if kind in links:
        return links[kind]
    if kind in ("place", "org", "claim", "inspection") or kind not in t:
        return None
    return at(t[kind])


def _read_table(conn: sa.Connection, table: sa.Table, chunk_rows: int, where=None) -> pd.DataFrame:
    """Every row of a table as a frame, as `Store.read` documents it.

    A plain DB-API cursor fetches `chunk_rows` rows at a time (a server-side cursor on
    PostgreSQL, so the server streams them too); Arrow turns each chunk of row tuples into one
    typed array per column at C speed, and the tuples are dropped before the next chunk. Text
    then stays in Arrow (a few bytes a cell instead of a Python object of 50+ bytes each).
    Anything this path does not expect (a type it does not know, a value of the wrong kind
    in a SQLite cell, a date that is not ISO text) reads the table through pandas instead,
    which is slower and bigger but gives the same frame.
    """
    dialect = conn.dialect.name
    plan = [_fetch_as(c, dialect) for c in table.columns]
    if dialect not in ("sqlite", "postgresql") or None in plan:
        return _read_with_pandas(conn, table, where)
    row_type = pa.struct([(c.name, kind) for c, (_, kind) in zip(table.columns, plan, strict=True)])
    select = sa.select(*(expr for expr, _ in plan))
    if where is not None:
        select = select.where(where)
    sql = str(select.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    chunks: list[list[pa.Array]] = [[] for _ in table.columns]
    dbapi = conn.connection.driver_connection
    # psycopg: a named cursor is a server-side one, fetched `chunk_rows` rows at a time.
    cursor = dbapi.cursor(name="hehu_read") if dialect == "postgresql" else dbapi.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(chunk_rows):
            try:
                arrays = pa.array(rows, type=row_type).flatten()
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                break  # a cell of an unexpected kind: pandas reads the table below
            del rows
            for column, array, out in zip(table.columns, arrays, chunks, strict=True):
                out.append(_parse_chunk(column, array))
        else:
            frame = {}
            for c, (_, kind), parts in zip(table.columns, plan, chunks, strict=True):
                frame[c.name] = _to_pandas(c, pa.chunked_array(parts, type=_arrow_type(c, kind)))
                parts.clear()  # a column's chunks go as soon as it is built: one copy at a time
            # Arrow's allocator keeps the freed chunks' pages for reuse unless told
            pa.default_memory_pool().release_unused()
            return pd.DataFrame(frame, copy=False)
    except pa.ArrowInvalid:  # a date or time that is not ISO text
        pass
    finally:
        cursor.close()
    conn.rollback()  # the failed read's transaction (and PostgreSQL's cursor) end here
    return _read_with_pandas(conn, table, where)


def _arrow_type(column: sa.Column, fetched: pa.DataType) -> pa.DataType:
    """The Arrow type a column is kept in between chunks (after `_parse_chunk`)."""
    if isinstance(column.type, sa.Date):
        return _SECONDS
    if isinstance(column.type, sa.DateTime):
        return _MICROSECONDS
    if isinstance(column.type, sa.Boolean):
        return pa.bool_()
    return fetched


def _parse_chunk(column: sa.Column, array: pa.Array) -> pa.Array:
    """One chunk of a column as it is kept: ISO dates and times parsed, 0/1 as booleans."""
    if isinstance(column.type, sa.Date):
        return array.cast(pa.date32()).cast(_SECONDS)  # ArrowInvalid unless YYYY-MM-DD
    if isinstance(column.type, sa.DateTime):
        return array.cast(_MICROSECONDS)
    if isinstance(column.type, sa.Boolean):
        return array.cast(pa.bool_())
    return array


def _to_pandas(column: sa.Column, array: pa.ChunkedArray):
    """A column's chunks as the pandas array `pd.read_sql_table` would have made of it.

    The rules of pandas' own SQL reader, kept because callers rely on them: an integer column
    with some missing values is float64 with NaN, one with none at all is objects (None); a
    boolean column with missing values is objects (True, False, None); a timestamp column
    with no value at all is datetime64[s].
    """
    n, missing = len(array), array.null_count
    if pa.types.is_large_string(array.type):
        one = array.chunk(0) if array.num_chunks == 1 else array.combine_chunks()
        return pd.arrays.ArrowStringArray(one, dtype=TEXT_DTYPE)
    if isinstance(column.type, sa.DateTime) and missing == n:
        array = array.cast(_SECONDS)
    if pa.types.is_integer(array.type) and n and missing == n:
        return np.full(n, None, dtype=object)
    if pa.types.is_boolean(array.type) and missing:
        return np.array(array.to_pylist(), dtype=object)
    return array.to_numpy(zero_copy_only=False)


def _read_with_pandas(conn: sa.Connection, table: sa.Table, where=None) -> pd.DataFrame:
    """The table through `pd.read_sql_table` (how `Store.read` read everything before)."""
    if where is None:
        frame = pd.read_sql_table(table.name, conn)
    else:
        frame = pd.read_sql_query(sa.select(table).where(where), conn)
    for column in table.columns:
        if isinstance(column.type, sa.Date) and column.name in frame:
            frame[column.name] = pd.to_datetime(frame[column.name])
    return frame


class Written(dict):
    """Rows written per kind, and in `added` how many of them were new (not stored before)."""

    def __init__(self):
        super().__init__()
        self.added: dict[str, int] = {}


_KEY_CHUNK = 500


def _count_stored(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> int:
    """How many of these rows' primary keys the table already holds (inside the transaction)."""
    keys = list(table.primary_key.columns)
    found = 0
    if conn.dialect.name == "sqlite" and len(keys) == 1:
        # Plain SQL: SQLAlchemy would render and process an expanding IN for each chunk.
        quote = conn.dialect.identifier_preparer.quote
        where = f"SELECT count(*) FROM {quote(table.name)} WHERE {quote(keys[0].name)} IN "
        process = keys[0].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        for start in range(0, len(rows), _KEY_CHUNK):
            chunk = list({r[keys[0].name] for r in rows[start : start + _KEY_CHUNK]})
            params = tuple(map(process, chunk) if process else chunk)
            sql = where + "(" + ", ".join("?" * len(params)) + ")"
            found += conn.exec_driver_sql(sql, params).scalar_one()
        return found
    for start in range(0, len(rows), _KEY_CHUNK):
        chunk = rows[start : start + _KEY_CHUNK]
        if len(keys) == 1:
            condition = keys[0].in_({r[keys[0].name] for r in chunk})
        else:
            condition = sa.tuple_(*keys).in_({tuple(r[k.name] for k in keys) for r in chunk})
        found += conn.execute(
            sa.select(sa.func.count()).select_from(table).where(condition)
        ).scalar_one()
    return found


def _begin_write(conn: sa.Connection) -> int:
    """The data version, read first in a write's transaction so that it holds the write lock
    from its start: a concurrent write waits, and what this one finds stored is what it will
    really overwrite. SQLite: a write as the first statement (a read first would pin a snapshot,
    and a writer committing meanwhile would make this one fail, SQLITE_BUSY_SNAPSHOT, instead of
    waiting its turn). PostgreSQL: the row FOR UPDATE (two writes would otherwise both write
    version + 1, leaving caches keyed on it stale)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("UPDATE meta SET value = value WHERE key = 'data_version'")
    current = conn.execute(
        sa.select(meta.c.value).where(meta.c.key == "data_version").with_for_update()
    ).scalar()
    return int(current or 0)


def _integrity_reason(exc: IntegrityError) -> str:
    text = str(exc.orig)
    if "FOREIGN KEY" in text or "foreign key" in text:
        return "引用的地点、组织、家庭或对象不存在"
    if "UNIQUE" in text or "unique" in text or "duplicate" in text:
        return "编号重复"
    if "CHECK" in text or "check constraint" in text:
        return f"取值不在允许范围内（{text.splitlines()[0]}）"
    if "NOT NULL" in text or "not-null" in text:
        return f"必填项为空（{text.splitlines()[0]}）"
    return text.splitlines()[0]


def _dialect_insert(dialect: str):
    """The INSERT construct with ON CONFLICT of the database's dialect."""
    # Imported here: the PostgreSQL dialect costs every page's kernel 60 ms at start, and a
    # page that only reads never needs it.
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _distinct(table: sa.Table, rows: list[dict]) -> bool:
    """No two rows with one primary key as the database compares them (keys all text)."""
    keys = [c.name for c in table.primary_key.columns]
    found = set(map(itemgetter(*keys), rows))  # one column: its values, not 1-tuples
    values = found if len(keys) == 1 else chain.from_iterable(found)
    return len(found) == len(rows) and set(map(type, values)) <= {str}


def _upsert(conn: sa.Connection, table: sa.Table, rows: list[dict], *, all_new=False) -> None:
    """Insert rows, updating those whose primary key is stored; `all_new` says none is stored
    or repeated (known inside this transaction): no conflict clause, which cost SQLite 15 %."""
    keys = [c.name for c in table.primary_key.columns]
    dialect = conn.dialect.name
    insert = _dialect_insert(dialect)
    # Rows with different column sets cannot share one statement; group them (an import's rows
    # mostly all have the same keys: then each row's are not sorted).
    groups: dict[tuple[str, ...], list[dict]] = {}
    if rows and all(map(eq, repeat(rows[0].keys()), map(methodcaller("keys"), rows))):
        groups[tuple(sorted(rows[0]))] = rows
    else:
        for row in rows:
            groups.setdefault(tuple(sorted(row)), []).append(row)
    # One statement per column set, executed with many parameter sets: SQLAlchemy batches them
    # into multi-row INSERTs itself ("insertmanyvalues"), about 2.5x faster than one huge VALUES.
    for columns, group in groups.items():
        stmt = insert(table)
        updates = {c: stmt.excluded[c] for c in columns if c not in keys}
        if not all_new:
            stmt = (
                stmt.on_conflict_do_update(index_elements=keys, set_=updates)
                if updates
                else stmt.on_conflict_do_nothing(index_elements=keys)
            )
        if dialect == "sqlite" and len(group) > 1:
            _sqlite_executemany(conn, table, stmt, columns, group)
        else:
            conn.execute(stmt, group)


def _sqlite_executemany(conn: sa.Connection, table: sa.Table, stmt, columns, rows) -> None:
    """The statement compiled once and handed to sqlite3's executemany with the rows as tuples,
    each value through its column's bind processor (a date to ISO text) as SQLAlchemy would:
    for a large import, SQLAlchemy's own work per row took longer than SQLite's."""
    compiled = stmt.compile(dialect=conn.dialect, column_keys=list(columns))
    order = compiled.positiontup or []
    if sorted(order) != sorted(columns):  # not the plain INSERT … ON CONFLICT expected
        conn.execute(stmt, rows)
        return
    process = [
        table.c[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect) for name in order
    ]
    # itemgetter of two columns or more gives each row's tuple; of one, the bare value
    values = (
        map(itemgetter(*order), rows)
        if len(order) > 1
        else (tuple(map(row.__getitem__, order)) for row in rows)
    )
    if any(process):
        params = [
            tuple(v if f is None or v is None else f(v) for f, v in zip(process, row, strict=True))
            for row in values
        ]
    else:
        params = list(values)
    conn.exec_driver_sql(compiled.string, params)


def open_store(url: str | None = None, *, create: bool = True, migrate: bool = True) -> Store:
    """Open (and create or migrate) the database at a URL; raises StoreUnavailable if it cannot,
    or, with `migrate=False` (a dry run changes nothing), if it is of an older version."""
    url = resolve_url(url)
    if url.startswith("sqlite:///") and not create:
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            raise StoreUnavailable(url, "文件不存在，请先运行 hehu init")
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.parent.is_dir():
            private_folder(path.parent)
        _private_file(path)
    try:
        engine = _make_engine(url)
        with engine.begin() as conn:
            ensure_schema(conn, migrate)
    except StoreUnavailable:
        raise
    except (OperationalError, SQLAlchemyError, ModuleNotFoundError, ValueError) as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()
        raise StoreUnavailable(url, reason[0] if reason else type(exc).__name__) from exc
    return Store(engine, url)
