"""The store: every kind of record as a SQLAlchemy table, on SQLite (default) or PostgreSQL.

SQLite is opened in WAL mode with a busy timeout because several Voila kernels write at once.
Every write goes through `Store.write`, one transaction each. The schema carries a version in the
`meta` table; `MIGRATIONS` brings an older database up to date when it is opened.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from . import vocab
from .errors import InvalidRecord, StoreUnavailable

SCHEMA_VERSION = 5

_log = logging.getLogger(__name__)
metadata = sa.MetaData()


def _in(column: str, table: Mapping) -> sa.CheckConstraint:
    """A CHECK constraint keeping a column inside a vocabulary."""
    keys = ", ".join(f"'{k}'" for k in table)
    return sa.CheckConstraint(f"{column} IN ({keys})", name=f"ck_%(table_name)s_{column}")


def _date_order(first: str, second: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(
        f"{second} IS NULL OR {second} >= {first}", name=f"ck_%(table_name)s_{second}_after"
    )


def _place_fk(nullable: bool = False) -> sa.Column:
    return sa.Column("place_code", sa.String(12), sa.ForeignKey("place.code"), nullable=nullable)


meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

place = sa.Table(
    "place",
    metadata,
    sa.Column("code", sa.String(12), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("short_name", sa.Text, nullable=False),
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("parent_code", sa.String(12), sa.ForeignKey("place.code"), nullable=True),
    sa.Column("key_village", sa.Boolean, nullable=False, default=False),
    sa.Column("lat", sa.Float),
    sa.Column("lon", sa.Float),
    sa.Column("coord_quality", sa.String(16), nullable=False, default="none"),
    sa.Column("coord_basis", sa.Text),
    sa.Column("children", sa.Integer),
    sa.Column("left_behind_children", sa.Integer),
    _in("level", vocab.LEVELS),
    _in("coord_quality", vocab.COORD_QUALITIES),
    sa.CheckConstraint("children IS NULL OR children >= 0", name="ck_place_children"),
    sa.CheckConstraint(
        "left_behind_children IS NULL OR left_behind_children >= 0", name="ck_place_lbc"
    ),
    sa.CheckConstraint("lat IS NULL OR (lat BETWEEN -90 AND 90)", name="ck_place_lat"),
    sa.CheckConstraint("lon IS NULL OR (lon BETWEEN -180 AND 180)", name="ck_place_lon"),
)

org = sa.Table(
    "org",
    metadata,
    sa.Column("org_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("level", sa.String(16), nullable=False),
    _place_fk(),
    _in("kind", vocab.ORG_KINDS),
    _in("level", vocab.ORG_LEVELS),
)

household = sa.Table(
    "household",
    metadata,
    sa.Column("household_id", sa.String(64), primary_key=True),
    _place_fk(),
    sa.Column("categories", sa.Text, nullable=False, default=""),
)

person = sa.Table(
    "person",
    metadata,
    sa.Column("person_id", sa.String(64), primary_key=True),
    sa.Column("household_id", sa.String(64), sa.ForeignKey("household.household_id")),
    _place_fk(),
    sa.Column("sex", sa.String(1), nullable=False),
    sa.Column("birth_year", sa.Integer),
    sa.Column("categories", sa.Text, nullable=False, default=""),
    _in("sex", vocab.SEXES),
    sa.CheckConstraint(
        "birth_year IS NULL OR (birth_year BETWEEN 1900 AND 2100)", name="ck_person_birth_year"
    ),
)

pairing = sa.Table(
    "pairing",
    metadata,
    sa.Column("pairing_id", sa.String(64), primary_key=True),
    sa.Column("org_id", sa.String(64), sa.ForeignKey("org.org_id"), nullable=False),
    sa.Column("person_id", sa.String(64), sa.ForeignKey("person.person_id"), nullable=False),
    sa.Column("support_type", sa.String(32), nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date),
    _in("support_type", vocab.SUPPORT_TYPES),
    _date_order("start_date", "end_date"),
)

contact = sa.Table(
    "contact",
    metadata,
    sa.Column("pairing_id", sa.String(64), sa.ForeignKey("pairing.pairing_id"), primary_key=True),
    sa.Column("date", sa.Date, primary_key=True),
    sa.Column("mode", sa.String(16), primary_key=True),
    _in("mode", vocab.CONTACT_MODES),
)

course = sa.Table(
    "course",
    metadata,
    sa.Column("course_id", sa.String(64), primary_key=True),
    sa.Column("date", sa.Date, nullable=False),
    _place_fk(),
    sa.Column("venue", sa.Text),
    sa.Column("org_id", sa.String(64), sa.ForeignKey("org.org_id"), nullable=False),
    sa.Column("topic", sa.Text),
    sa.Column("attendance", sa.Integer, nullable=False),
    sa.Column("girls", sa.Integer),
    sa.CheckConstraint("attendance >= 0", name="ck_course_attendance"),
    sa.CheckConstraint(
        "girls IS NULL OR (girls >= 0 AND girls <= attendance)", name="ck_course_girls"
    ),
)

visit = sa.Table(
    "visit",
    metadata,
    sa.Column("visit_id", sa.String(64), primary_key=True),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column(
        "household_id", sa.String(64), sa.ForeignKey("household.household_id"), nullable=False
    ),
    sa.Column("org_id", sa.String(64), sa.ForeignKey("org.org_id"), nullable=False),
    sa.Column("reasons", sa.Text, nullable=False, default=""),
    sa.Column("follow_up_due", sa.Date),
    _date_order("date", "follow_up_due"),
)

screening = sa.Table(
    "screening",
    metadata,
    sa.Column("screening_id", sa.String(64), primary_key=True),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column(
        "household_id", sa.String(64), sa.ForeignKey("household.household_id"), nullable=False
    ),
    sa.Column("risk_categories", sa.Text, nullable=False, default=""),
    sa.Column("risk_level", sa.String(8), nullable=False),
    sa.Column("follow_up_due", sa.Date),
    _in("risk_level", vocab.RISK_LEVELS),
    _date_order("date", "follow_up_due"),
)

case = sa.Table(
    "case_record",  # "case" is a reserved word in SQL
    metadata,
    sa.Column("case_id", sa.String(64), primary_key=True),
    sa.Column("received_date", sa.Date, nullable=False),
    sa.Column("org_id", sa.String(64), sa.ForeignKey("org.org_id"), nullable=False),
    _place_fk(),
    sa.Column("category", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("closed_date", sa.Date),
    _in("category", vocab.CASE_CATEGORIES),
    _in("status", vocab.CASE_STATUSES),
    _date_order("received_date", "closed_date"),
    sa.CheckConstraint(
        "(status = 'open' AND closed_date IS NULL) OR (status <> 'open' AND closed_date IS NOT NULL)",
        name="ck_case_closed_date",
    ),
)

event = sa.Table(
    "event",
    metadata,
    sa.Column("event_id", sa.String(64), primary_key=True),
    sa.Column("date", sa.Date, nullable=False),
    _place_fk(),
    sa.Column("org_id", sa.String(64), sa.ForeignKey("org.org_id"), nullable=False),
    sa.Column("campaign", sa.String(32), nullable=False),
    sa.Column("format", sa.String(16), nullable=False),
    sa.Column("audience", sa.Integer),
    _in("campaign", vocab.CAMPAIGNS),
    _in("format", vocab.EVENT_FORMATS),
    sa.CheckConstraint("audience IS NULL OR audience >= 0", name="ck_event_audience"),
)

deliberation = sa.Table(
    "deliberation",
    metadata,
    sa.Column("deliberation_id", sa.String(64), primary_key=True),
    sa.Column("date", sa.Date, nullable=False),
    _place_fk(),
    sa.Column("brand", sa.Text, nullable=False),
    sa.Column("topic", sa.Text),
    sa.Column("participants", sa.Integer),
    sa.CheckConstraint(
        "participants IS NULL OR participants >= 0", name="ck_deliberation_participants"
    ),
)

target = sa.Table(
    "target",
    metadata,
    sa.Column("metric", sa.String(40), primary_key=True),
    sa.Column("place_code", sa.String(12), sa.ForeignKey("place.code"), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    _in("metric", vocab.METRICS),
)

claim = sa.Table(
    "claim",
    metadata,
    sa.Column("claim_id", sa.String(64), primary_key=True),
    sa.Column("document", sa.Text, nullable=False),
    sa.Column("metric", sa.String(40), nullable=False),
    _place_fk(),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("tolerance", sa.Float, nullable=False, default=0),
    _in("metric", vocab.METRICS),
    _date_order("period_start", "period_end"),
    sa.CheckConstraint("tolerance >= 0", name="ck_claim_tolerance"),
)

inspection = sa.Table(
    "inspection",
    metadata,
    sa.Column("inspection_id", sa.String(64), primary_key=True),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("committee", sa.Text, nullable=False),
    sa.Column("deputies", sa.Text, nullable=False, default=""),
    sa.Column("places", sa.Text, nullable=False, default=""),  # place codes, ';'-separated
    sa.Column("orgs", sa.Text, nullable=False, default=""),  # org ids, ';'-separated
    sa.Column("summary", sa.Text, nullable=False, default=""),
)

recommendation = sa.Table(
    "recommendation",
    metadata,
    sa.Column("rec_id", sa.String(64), primary_key=True),
    sa.Column(
        "inspection_id", sa.String(64), sa.ForeignKey("inspection.inspection_id"), nullable=False
    ),
    _place_fk(),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("responsible_org", sa.String(64), sa.ForeignKey("org.org_id")),
    sa.Column("due_date", sa.Date),
    sa.Column("status", sa.String(16), nullable=False, default="open"),
    sa.Column("response", sa.Text, nullable=False, default=""),
    _in("status", vocab.REC_STATUSES),
)

# Added in schema version 3: what an inspection found (视察发现的问题), one row per finding.
finding = sa.Table(
    "finding",
    metadata,
    sa.Column("finding_id", sa.String(64), primary_key=True),
    # CASCADE: replacing inspections (as `hehu demo` does) takes their findings with them.
    sa.Column(
        "inspection_id",
        sa.String(64),
        sa.ForeignKey("inspection.inspection_id", ondelete="CASCADE"),
        nullable=False,
    ),
    _place_fk(),
    sa.Column("text", sa.Text, nullable=False),
)

# Added in schema version 3: every status or response given to a recommendation, append-only,
# so two sessions answering the same recommendation at once both keep their answer.
recommendation_update = sa.Table(
    "recommendation_update",
    metadata,
    sa.Column("update_id", sa.String(64), primary_key=True),
    sa.Column(
        "rec_id",
        sa.String(64),
        sa.ForeignKey("recommendation.rec_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("actor", sa.Text, nullable=False, default=""),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("response", sa.Text, nullable=False, default=""),
    _in("status", vocab.REC_STATUSES),
)

# Added in schema version 2: who did what, append-only from the workbench.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("what", sa.Text, nullable=False),
    sa.Column("places", sa.Text, nullable=False, default=""),
)

# Figures computed from every record (metrics, gaps per place and period), kept so that a page
# of a province opens without reading millions of records. Only aggregates, never a person.
# One row per (name, period): a newer data version overwrites it; an older one is never read.
figure_cache = sa.Table(
    "figure_cache",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("period", sa.String(32), primary_key=True),
    sa.Column("data_version", sa.Integer, nullable=False),
    sa.Column("payload", sa.LargeBinary, nullable=False),
    sa.Column("computed_at", sa.DateTime, nullable=False),
)

# Record kinds in dependency order: a kind only points at kinds before it.
RECORD_TABLES: dict[str, sa.Table] = {
    "place": place,
    "org": org,
    "household": household,
    "person": person,
    "pairing": pairing,
    "contact": contact,
    "course": course,
    "visit": visit,
    "screening": screening,
    "case": case,
    "event": event,
    "deliberation": deliberation,
    "target": target,
    "claim": claim,
    "inspection": inspection,
    "recommendation": recommendation,
    "finding": finding,
    "recommendation_update": recommendation_update,
}

# Multi-valued fields and the vocabulary each of their keys must come from.
MULTI_VALUED: dict[tuple[str, str], dict] = {
    ("household", "categories"): vocab.CATEGORIES,
    ("person", "categories"): vocab.CATEGORIES,
    ("visit", "reasons"): vocab.CATEGORIES,
    ("screening", "risk_categories"): vocab.CATEGORIES,
}


def _migrate_1_to_2(conn: sa.Connection) -> None:
    audit_log.create(conn, checkfirst=True)


def _migrate_2_to_3(conn: sa.Connection) -> None:
    finding.create(conn, checkfirst=True)
    recommendation_update.create(conn, checkfirst=True)


def _make_audit_log_append_only(conn: sa.Connection) -> None:
    """Triggers that refuse UPDATE and DELETE on the audit log, whoever connects."""
    if conn.dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER IF NOT EXISTS audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "CREATE OR REPLACE FUNCTION hehu_audit_log_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql"
        )
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        conn.exec_driver_sql(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION hehu_audit_log_append_only()"
        )


# The level vocabulary before version 5 (no province or city).
_LEVELS_V4 = ("county", "town", "subdistrict", "village", "community")


def _migrate_4_to_5(conn: sa.Connection) -> None:
    """Province and city levels in the place table's check; the figure cache table."""
    old = "level IN ({})".format(", ".join(f"'{k}'" for k in _LEVELS_V4))
    new = "level IN ({})".format(", ".join(f"'{k}'" for k in vocab.LEVELS))
    if conn.dialect.name == "sqlite":
        # SQLite cannot alter a CHECK; widening one is the schema-text edit its documentation
        # gives for this case (https://sqlite.org/lang_altertable.html, "otheralter"): every
        # stored row satisfies the wider check, so no table has to be rebuilt.
        sql = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'place'"
        ).scalar_one()
        if old in sql:
            version = conn.exec_driver_sql("PRAGMA schema_version").scalar_one()
            conn.exec_driver_sql("PRAGMA writable_schema = ON")
            conn.exec_driver_sql(
                "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'place'",
                (sql.replace(old, new),),
            )
            conn.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
            conn.exec_driver_sql("PRAGMA writable_schema = OFF")
    else:
        # The check's name is whatever create_all gave it: find it by what it checks.
        names = conn.execute(
            sa.text(
                "SELECT conname FROM pg_constraint WHERE conrelid = 'place'::regclass "
                "AND contype = 'c' AND pg_get_constraintdef(oid) LIKE :pattern"
            ),
            {"pattern": "%level%"},
        ).scalars()
        quote = conn.dialect.identifier_preparer.quote
        for name in list(names):
            conn.execute(sa.text(f"ALTER TABLE place DROP CONSTRAINT {quote(name)}"))
        conn.execute(sa.text(f"ALTER TABLE place ADD CONSTRAINT ck_place_level CHECK ({new})"))
    figure_cache.create(conn, checkfirst=True)


# version reached -> step from the version before it
MIGRATIONS: dict[int, Callable[[sa.Connection], None]] = {
    2: _migrate_1_to_2,
    3: _migrate_2_to_3,
    4: _make_audit_log_append_only,
    5: _migrate_4_to_5,
}


def hehu_home() -> Path:
    """The folder for local state (database, pseudonymisation key): $HEHU_HOME or ~/.hehu."""
    home = Path(os.environ.get("HEHU_HOME") or Path.home() / ".hehu")
    home.mkdir(parents=True, exist_ok=True)
    return home


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
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
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
        try:
            with self.engine.connect() as conn:
                return conn.execute(
                    sa.select(figure_cache.c.payload).where(
                        figure_cache.c.name == name,
                        figure_cache.c.period == period,
                        figure_cache.c.data_version == data_version,
                    )
                ).scalar()
        except SQLAlchemyError as exc:
            _log.warning("figure cache not read: %s", exc)
            return None

    def keep_figures(self, name: str, period: str, data_version: int, payload: bytes) -> None:
        """Store computed figures; does not count as a write (the records are unchanged)."""
        row = {
            "name": name,
            "period": period,
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
        # Figures of older data versions are never read again (a separate, optional step).
        self._forget(figure_cache.c.data_version < data_version)

    def forget_figures(self, name: str, like: str, keep: str) -> None:
        """Drop stored figures of `name` whose period matches `like` (SQL LIKE), except `keep`."""
        self._forget(
            (figure_cache.c.name == name)
            & figure_cache.c.period.like(like)
            & (figure_cache.c.period != keep)
        )

    def _forget(self, condition) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(figure_cache.delete().where(condition))
        except SQLAlchemyError as exc:  # another kernel is cleaning up: it will do
            _log.info("stale figures left for later: %s", exc)

    # -- reads ------------------------------------------------------------------------------
    def read(self, kind: str, *, chunk_rows: int = READ_CHUNK_ROWS) -> pd.DataFrame:
        """All records of a kind as a frame, one column per field of its table, in table order.

        Text is pandas' `str` dtype (Arrow strings, missing = NaN); dates are datetime64[s]
        (NaT when missing), timestamps datetime64[us]; integers are int64, or float64 with NaN
        when some are missing; booleans bool; floats float64. The rows are fetched
        `chunk_rows` at a time and turned into Arrow arrays chunk by chunk, so the Python
        objects the database driver makes never pile up (see `_read_table`).
        """
        table = RECORD_TABLES[kind] if kind in RECORD_TABLES else metadata.tables[kind]
        with self.engine.connect() as conn:
            return _read_table(conn, table, chunk_rows)

    def count(self, kind: str) -> int:
        """How many records of a kind are stored."""
        table = RECORD_TABLES[kind]
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()

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
        written: dict[str, int] = {}
        replace = set(replace)
        try:
            with self.engine.begin() as conn:
                for kind in reversed(list(RECORD_TABLES)):
                    if kind in replace:
                        conn.execute(RECORD_TABLES[kind].delete())
                for kind in RECORD_TABLES:  # dependency order, whatever the caller's order
                    if kind not in records:
                        continue
                    rows = [_clean_row(kind, r) for r in records[kind]]
                    if rows:
                        _upsert(conn, RECORD_TABLES[kind], rows)
                    written[kind] = len(rows)
                for key, value in (meta_values or {}).items():
                    _upsert(conn, meta, [{"key": key, "value": str(value)}])
                _bump_data_version(conn)
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


def _read_table(conn: sa.Connection, table: sa.Table, chunk_rows: int) -> pd.DataFrame:
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
        return _read_with_pandas(conn, table)
    row_type = pa.struct([(c.name, kind) for c, (_, kind) in zip(table.columns, plan, strict=True)])
    select = sa.select(*(expr for expr, _ in plan))
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
    return _read_with_pandas(conn, table)


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


def _read_with_pandas(conn: sa.Connection, table: sa.Table) -> pd.DataFrame:
    """The table through `pd.read_sql_table` (how `Store.read` read everything before)."""
    frame = pd.read_sql_table(table.name, conn)
    for column in table.columns:
        if isinstance(column.type, sa.Date) and column.name in frame:
            frame[column.name] = pd.to_datetime(frame[column.name])
    return frame


def _bump_data_version(conn: sa.Connection) -> None:
    # FOR UPDATE: on PostgreSQL two concurrent writes would otherwise read the same version and
    # both write version + 1, leaving caches keyed on it stale. SQLite (one writer) ignores it.
    current = conn.execute(
        sa.select(meta.c.value).where(meta.c.key == "data_version").with_for_update()
    ).scalar()
    _upsert(conn, meta, [{"key": "data_version", "value": str(int(current or 0) + 1)}])


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


def _clean_row(kind: str, row: Mapping) -> dict:
    """Check a row's multi-valued vocabulary fields and dates before it reaches the database."""
    table = RECORD_TABLES[kind]
    unknown = set(row) - set(table.columns.keys())
    if unknown:
        raise InvalidRecord(
            f"{kind} 记录含未知字段：{', '.join(sorted(unknown))}",
            f"unknown fields in {kind}: {', '.join(sorted(unknown))}",
        )
    clean = dict(row)
    for (table_kind, field), allowed in MULTI_VALUED.items():
        if table_kind == kind and field in clean:
            keys = clean[field]
            keys = vocab.split_keys(keys) if isinstance(keys, str) else list(keys or [])
            bad = [k for k in keys if k not in allowed]
            if bad:
                raise InvalidRecord(
                    f"{kind}.{field} 含未知类别：{', '.join(bad)}",
                    f"unknown categories in {kind}.{field}: {', '.join(bad)}",
                )
            clean[field] = vocab.join_keys(keys)
    for column in table.columns:
        value = clean.get(column.name)
        if isinstance(column.type, sa.Date) and value is not None:
            clean[column.name] = _as_date(value, f"{kind}.{column.name}")
    return clean


def _as_date(value, where: str) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidRecord(
            f"{where} 日期无效：{value}", f"invalid date in {where}: {value}"
        ) from exc


def _dialect_insert(dialect: str):
    """The INSERT construct with ON CONFLICT of the database's dialect."""
    # Imported here: the PostgreSQL dialect costs every page's kernel 60 ms at start, and a
    # page that only reads never needs it.
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _upsert(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    keys = [c.name for c in table.primary_key.columns]
    dialect = conn.dialect.name
    insert = _dialect_insert(dialect)
    # Rows with different column sets cannot share one statement; group them.
    groups: dict[tuple[str, ...], list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    # One statement per column set, executed with many parameter sets: SQLAlchemy batches them
    # into multi-row INSERTs itself ("insertmanyvalues"), which is about 2.5x faster than
    # building one huge VALUES clause per batch here.
    for columns, group in groups.items():
        stmt = insert(table)
        updates = {c: stmt.excluded[c] for c in columns if c not in keys}
        if updates:
            stmt = stmt.on_conflict_do_update(index_elements=keys, set_=updates)
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=keys)
        conn.execute(stmt, group)


def open_store(url: str | None = None, *, create: bool = True) -> Store:
    """Open (and create or migrate) the database at a URL; raises StoreUnavailable if it cannot."""
    url = resolve_url(url)
    if url.startswith("sqlite:///") and not create:
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            raise StoreUnavailable(url, "文件不存在，请先运行 hehu init")
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = _make_engine(url)
        with engine.begin() as conn:
            _ensure_schema(conn)
    except StoreUnavailable:
        raise
    except (OperationalError, SQLAlchemyError, ModuleNotFoundError, ValueError) as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()
        raise StoreUnavailable(url, reason[0] if reason else type(exc).__name__) from exc
    return Store(engine, url)


def _ensure_schema(conn: sa.Connection) -> None:
    inspector = sa.inspect(conn)
    if not inspector.has_table("meta"):
        metadata.create_all(conn)
        _make_audit_log_append_only(conn)
        _upsert(conn, meta, [{"key": "schema_version", "value": str(SCHEMA_VERSION)}])
        return
    version = int(
        conn.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).scalar() or 1
    )
    if version > SCHEMA_VERSION:
        raise StoreUnavailable(
            str(conn.engine.url),
            f"数据库版本 {version} 高于本程序支持的 {SCHEMA_VERSION}，请升级 hehu",
        )
    for step in range(version + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[step](conn)
    if version < SCHEMA_VERSION:
        _upsert(conn, meta, [{"key": "schema_version", "value": str(SCHEMA_VERSION)}])
