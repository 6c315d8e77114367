"""The schema: every kind of record as a SQLAlchemy table, with its constraints, and the
migrations that bring an older database up to date (`MIGRATIONS`, one step a version; the last
step of every migration also brings the database's CHECK constraints to the metadata's)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Container, Mapping

import sqlalchemy as sa

from hehu.records import vocab
from hehu.records.checks import match_checks

SCHEMA_VERSION = 12

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
    # Version 7: the body a station or studio is run by (小雨滴工作室: 检察院).
    sa.Column("host_org_id", sa.String(64), sa.ForeignKey("org.org_id")),
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
    # Version 7: the body that screened (妇联, 公安, 司法); empty on older records.
    sa.Column("org_id", sa.String(64), sa.ForeignKey("org.org_id")),
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
    # Version 7: the laws publicised (';'-separated keys of vocab.LAWS), the channel, and the
    # WeChat column by name (法驻幸福家, 帼彤公益说法) when the channel is one.
    sa.Column("laws", sa.Text, nullable=False, default="", server_default=""),
    sa.Column(
        "channel", sa.String(16), nullable=False, default="on_site", server_default="on_site"
    ),
    sa.Column("column_name", sa.Text),
    _in("campaign", vocab.CAMPAIGNS),
    _in("format", vocab.EVENT_FORMATS),
    _in("channel", vocab.EVENT_CHANNELS),
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
    # Version 7: disputes the meeting resolved (化解矛盾纠纷).
    sa.Column("disputes_resolved", sa.Integer),
    sa.CheckConstraint(
        "participants IS NULL OR participants >= 0", name="ck_deliberation_participants"
    ),
    sa.CheckConstraint(
        "disputes_resolved IS NULL OR disputes_resolved >= 0", name="ck_deliberation_disputes"
    ),
)

# Added in schema version 7: a protection measure of police, procuratorate or court, one row
# per measure (a 告诫书, a 保护令 application, a 强制报告), counted like people.
protection_measure = sa.Table(
    "protection_measure",
    metadata,
    sa.Column("measure_id", sa.String(64), primary_key=True),
    sa.Column("date", sa.Date, nullable=False),  # issued, applied for or received
    _place_fk(),
    sa.Column("org_id", sa.String(64), sa.ForeignKey("org.org_id"), nullable=False),
    sa.Column("measure", sa.String(24), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("outcome_date", sa.Date),
    _in("measure", vocab.MEASURES),
    _in("outcome", vocab.MEASURE_OUTCOMES),
    _date_order("date", "outcome_date"),
)

# Added in schema version 7: a case passed from one body to another (the "1+N" one-stop
# mechanism: the Federation receives, police, court or justice bureau act).
referral = sa.Table(
    "referral",
    metadata,
    sa.Column("referral_id", sa.String(64), primary_key=True),
    sa.Column(
        "case_id",
        sa.String(64),
        sa.ForeignKey("case_record.case_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("from_org_id", sa.String(64), sa.ForeignKey("org.org_id"), nullable=False),
    sa.Column("to_org_id", sa.String(64), sa.ForeignKey("org.org_id"), nullable=False),
    sa.CheckConstraint("from_org_id <> to_org_id", name="ck_referral_bodies"),
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
    # Version 10: the recommendation the finding led to, and when it was marked addressed (UTC).
    sa.Column("rec_id", sa.String(64), sa.ForeignKey("recommendation.rec_id", ondelete="SET NULL")),
    sa.Column("addressed_at", sa.DateTime),
)

# Added in schema version 10: the units responsible (承办单位) a recommendation is assigned to,
# each with its own deadline (交办). A unit is an organisation (vocab.UNIT_ORG_KINDS). The
# recommendation's own responsible_org and due_date stay: its first unit, and the latest
# deadline of its units, for the readers that know only one.
recommendation_unit = sa.Table(
    "recommendation_unit",
    metadata,
    sa.Column(
        "rec_id",
        sa.String(64),
        sa.ForeignKey("recommendation.rec_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("org_id", sa.String(64), sa.ForeignKey("org.org_id"), primary_key=True),
    sa.Column("due_date", sa.Date),  # the deadline in force (a reopening sets a new one)
    sa.Column("assigned_at", sa.DateTime, nullable=False),  # UTC
    sa.Column("assigned_by", sa.Text, nullable=False, default=""),  # a user name
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
    # Version 10, the cycle (hehu/oversight/cycle.py): what the entry records, the unit it
    # concerns (the one answering, assigned or rated), the rating, a comment (the reason of
    # 不能办结, the rating's comment) and a deadline (of an assignment or a reopening). Older
    # entries are kind 'status'.
    sa.Column("kind", sa.String(16), nullable=False, default="status", server_default="status"),
    sa.Column("org_id", sa.String(64), sa.ForeignKey("org.org_id")),
    sa.Column("rating", sa.String(16)),
    sa.Column("comment", sa.Text),
    sa.Column("due_date", sa.Date),
    _in("status", vocab.REC_STATUSES),
    _in("kind", vocab.REC_ENTRY_KINDS),
    _in("rating", vocab.RATINGS),
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

# Added in schema version 8: the named users of `hehu serve` (hehu/accounts.py). Never a
# password: only its argon2id hash, which the database itself insists on. A unit (承办单位) user
# names its unit, and no other user has one.
app_user = sa.Table(
    "app_user",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(64), nullable=False),  # the login name
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("unit", sa.String(64)),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("failed_attempts", sa.Integer, nullable=False, default=0, server_default="0"),
    sa.Column("locked_until", sa.DateTime),  # UTC, like every stored time
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("password_changed_at", sa.DateTime, nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
    sa.UniqueConstraint("name", name="uq_app_user_name"),
    _in("role", vocab.ROLES),
    sa.CheckConstraint("name <> ''", name="ck_app_user_name"),
    sa.CheckConstraint(
        f"(role = '{vocab.UNIT_ROLE}' AND unit IS NOT NULL AND unit <> '') "
        f"OR (role <> '{vocab.UNIT_ROLE}' AND unit IS NULL)",
        name="ck_app_user_unit",
    ),
    sa.CheckConstraint("password_hash LIKE '$argon2id$%'", name="ck_app_user_hash"),
    sa.CheckConstraint("failed_attempts >= 0", name="ck_app_user_failed"),
)
# Login names differing only in case are one user (Admin is admin).
sa.Index("uq_app_user_name_lower", sa.func.lower(app_user.c.name), unique=True)

# Figures computed from every record (metrics, gaps per place and period), kept so that a page
# of a province opens without reading millions of records. Only aggregates, never a person.
# One row per (name, period): a newer data version overwrites it; an older one is never read.
figure_cache = sa.Table(
    "figure_cache",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),  # 32 before version 12
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
    "protection_measure": protection_measure,
    "referral": referral,
    "target": target,
    "claim": claim,
    "inspection": inspection,
    "recommendation": recommendation,
    "recommendation_unit": recommendation_unit,
    "finding": finding,
    "recommendation_update": recommendation_update,
}

# The column that dates each dated kind: a record of it falls in a period when this day does.
DATE_COLUMNS: dict[str, str] = {
    "contact": "date",
    "course": "date",
    "visit": "date",
    "screening": "date",
    "case": "received_date",
    "event": "date",
    "deliberation": "date",
    "protection_measure": "date",
    "referral": "date",
    "inspection": "date",
}

# Kinds that record work done, which the figures count; the others describe places,
# organisations, targets and reports (and deliberations, which no figure counts yet). With
# none of them a page has nothing but zeros to show.
WORK_KINDS = (
    "household", "person", "pairing", "contact", "course", "visit", "screening", "case", "event",
    "protection_measure", "referral", "inspection", "recommendation", "finding",
)  # fmt: skip

# Multi-valued fields and the vocabulary each of their keys must come from.
MULTI_VALUED: dict[tuple[str, str], dict] = {
    ("household", "categories"): vocab.CATEGORIES,
    ("person", "categories"): vocab.CATEGORIES,
    ("visit", "reasons"): vocab.CATEGORIES,
    ("screening", "risk_categories"): vocab.CATEGORIES,
    ("event", "laws"): vocab.LAWS,
}


def _migrate_1_to_2(conn: sa.Connection) -> None:
    audit_log.create(conn, checkfirst=True)


def _migrate_2_to_3(conn: sa.Connection) -> None:
    finding.create(conn, checkfirst=True)
    recommendation_update.create(conn, checkfirst=True)


def make_audit_log_append_only(conn: sa.Connection) -> None:
    """Triggers that refuse UPDATE, DELETE and an insert over an existing entry, whoever connects.

    SQLite's INSERT OR REPLACE deletes the entry it replaces without firing a DELETE trigger
    (unless recursive triggers are on), so an insert naming an id already taken is refused
    before it happens. On PostgreSQL, ON CONFLICT DO UPDATE fires the UPDATE trigger, and the
    same insert trigger refuses the rest.
    """
    if conn.dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER IF NOT EXISTS audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )
        conn.exec_driver_sql(
            "CREATE TRIGGER IF NOT EXISTS audit_log_no_overwrite BEFORE INSERT ON audit_log "
            "WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id) "
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
        conn.exec_driver_sql(
            "CREATE OR REPLACE FUNCTION hehu_audit_log_no_overwrite() RETURNS trigger AS $$ "
            "BEGIN IF EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id) THEN "
            "RAISE EXCEPTION 'audit_log is append-only'; END IF; RETURN NEW; END; $$ "
            "LANGUAGE plpgsql"
        )
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_overwrite ON audit_log")
        conn.exec_driver_sql(
            "CREATE TRIGGER audit_log_no_overwrite BEFORE INSERT ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION hehu_audit_log_no_overwrite()"
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


# Columns added in version 7, as (table, column); each is nullable or has a server default.
_COLUMNS_V7 = (
    (org, "host_org_id"),
    (screening, "org_id"),
    (event, "laws"),
    (event, "channel"),
    (event, "column_name"),
    (deliberation, "disputes_resolved"),
)


def _migrate_6_to_7(conn: sa.Connection) -> None:
    """Host bodies, screening agencies, laws and channels of events, disputes resolved; the
    protection-measure and referral tables.

    Each column is added with the constraints a new database gives it: its foreign key (a
    column REFERENCES clause, which SQLite's ADD COLUMN takes when the default is NULL) and the
    channel's vocabulary check, so a migrated database refuses what a new one refuses.
    """
    have = {
        t.name: {c["name"] for c in sa.inspect(conn).get_columns(t.name)} for t, _ in _COLUMNS_V7
    }
    quote = conn.dialect.identifier_preparer.quote
    for table, name in _COLUMNS_V7:
        if name in have[table.name]:
            continue
        column = table.c[name]
        parts = [quote(name), column.type.compile(dialect=conn.dialect)]
        if column.server_default is not None:
            parts.append(f"DEFAULT '{column.server_default.arg}'")
        if not column.nullable:
            parts.append("NOT NULL")
        for key in column.foreign_keys:
            target = key.column
            parts.append(f"REFERENCES {quote(target.table.name)} ({quote(target.name)})")
        if (table.name, name) == ("event", "channel"):
            allowed = ", ".join(f"'{k}'" for k in vocab.EVENT_CHANNELS)
            parts.append(f"CONSTRAINT ck_event_channel CHECK ({quote(name)} IN ({allowed}))")
        conn.exec_driver_sql(f"ALTER TABLE {quote(table.name)} ADD COLUMN {' '.join(parts)}")
    protection_measure.create(conn, checkfirst=True)
    referral.create(conn, checkfirst=True)


def _migrate_7_to_8(conn: sa.Connection) -> None:
    """The table of named users (and its case-blind unique index on the login name)."""
    app_user.create(conn, checkfirst=True)


# Columns added in version 10, as (table, column); each is nullable or has a server default.
_COLUMNS_V10 = (
    (finding, "rec_id"),
    (finding, "addressed_at"),
    (recommendation_update, "kind"),
    (recommendation_update, "org_id"),
    (recommendation_update, "rating"),
    (recommendation_update, "comment"),
    (recommendation_update, "due_date"),
)


def _add_columns(conn: sa.Connection, columns) -> None:
    """Add the (table, column) pairs a table lacks, each with its foreign key (a column
    REFERENCES clause, which SQLite's ADD COLUMN takes when the default is NULL); the CHECKs
    come at the end of the migration (match_schema_checks)."""
    inspector = sa.inspect(conn)
    have = {t.name: {c["name"] for c in inspector.get_columns(t.name)} for t, _ in columns}
    quote = conn.dialect.identifier_preparer.quote
    for table, name in columns:
        if name in have[table.name]:
            continue
        column = table.c[name]
        parts = [quote(name), column.type.compile(dialect=conn.dialect)]
        if column.server_default is not None:
            parts.append(f"DEFAULT '{column.server_default.arg}'")
        if not column.nullable:
            parts.append("NOT NULL")
        for key in column.foreign_keys:
            target = key.column
            parts.append(f"REFERENCES {quote(target.table.name)} ({quote(target.name)})")
            if key.ondelete:
                parts.append(f"ON DELETE {key.ondelete}")
        conn.exec_driver_sql(f"ALTER TABLE {quote(table.name)} ADD COLUMN {' '.join(parts)}")


def first_unit(
    rec: Mapping, assigned: Container[str], *, units: Container[str], at: dt.datetime, by: str
) -> dict | None:
    """The `recommendation_unit` row of a recommendation written outside the cycle (one of
    version 9, one recorded with its inspection, one imported): with a responsible organisation
    that is a unit (its id in `units`, of vocab.unit_org_ids) and no unit yet (its id not in
    `assigned`), it is assigned to that organisation with its own due date, at `at` (UTC) by
    `by`. None for one without, or whose organisation is no unit (an association: staff assign
    it, 交办, on the cycle's page), or already assigned."""
    if rec.get("responsible_org") not in units or rec["rec_id"] in assigned:
        return None
    return {"rec_id": rec["rec_id"], "org_id": rec["responsible_org"],
            "due_date": rec.get("due_date"), "assigned_at": at, "assigned_by": by}  # fmt: skip


def _stored_units(conn: sa.Connection) -> frozenset[str]:
    """The ids of the units responsible among the organisations stored (vocab.unit_org_ids)."""
    return vocab.unit_org_ids(conn.execute(sa.select(org.c.org_id, org.c.kind)).all())


def _migrate_9_to_10(conn: sa.Connection) -> None:
    """The oversight cycle: the units a recommendation is assigned to (each recommendation with
    a responsible organisation that is a unit becomes assigned to it, with its due date, as at
    its inspection's date), the history's new fields, a finding's recommendation."""
    _add_columns(conn, _COLUMNS_V10)
    recommendation_unit.create(conn, checkfirst=True)
    rows = conn.execute(
        sa.select(recommendation.c.rec_id, recommendation.c.responsible_org,
                  recommendation.c.due_date, inspection.c.date)
        .select_from(recommendation.join(inspection))
        .where(recommendation.c.responsible_org.is_not(None))
    ).all()  # fmt: skip
    have = set(conn.execute(sa.select(recommendation_unit.c.rec_id)).scalars())
    units = _stored_units(conn)
    new = [
        unit
        for rec_id, org_id, due, day in rows
        if (unit := first_unit(
            {"rec_id": rec_id, "responsible_org": org_id, "due_date": due}, have, units=units,
            at=dt.datetime.combine(day, dt.time()), by="",
        ))
    ]  # fmt: skip
    if new:
        conn.execute(recommendation_unit.insert(), new)


def _migrate_10_to_11(conn: sa.Connection) -> None:
    """A recommendation assigned outside the cycle to an organisation that is no unit (an
    association named as 责任单位, imported, recorded or migrated to 10) and never answered by
    it loses that assignment: no unit user can answer it, so it stayed overdue and could never
    be closed. It waits, unassigned, for staff to assign it (交办) on the cycle's page."""
    units = _stored_units(conn)
    update = recommendation_update.c
    answered = {(r, o) for r, o in conn.execute(
        sa.select(update.rec_id, update.org_id).where(update.kind == "answer"))}  # fmt: skip
    assigned = conn.execute(sa.select(recommendation_unit.c.rec_id, recommendation_unit.c.org_id))
    wrong = [{"r": r, "o": o} for r, o in assigned if o not in units and (r, o) not in answered]
    if wrong:
        unit = recommendation_unit.c
        conn.execute(recommendation_unit.delete().where(
            unit.rec_id == sa.bindparam("r"), unit.org_id == sa.bindparam("o")), wrong)  # fmt: skip
        _log.info("%d assignments to organisations that are no unit removed", len(wrong))


def _migrate_11_to_12(conn: sa.Connection) -> None:
    """figure_cache.name as wide as a new database has it: the longest name in use filled its 32
    characters, and PostgreSQL refuses a longer one (SQLite keeps any length: nothing to do)."""
    if conn.dialect.name == "postgresql":
        width = figure_cache.c.name.type.length
        conn.exec_driver_sql(f"ALTER TABLE figure_cache ALTER COLUMN name TYPE VARCHAR({width})")


# version reached -> step from the version before it. A version with no step of its own (9,
# and any version raised only because a vocabulary changed) changes nothing but the checks.
_STEPS: dict[int, Callable[[sa.Connection], None]] = {
    2: _migrate_1_to_2,
    3: _migrate_2_to_3,
    4: make_audit_log_append_only,
    5: _migrate_4_to_5,
    6: make_audit_log_append_only,  # now also refuses an insert over an existing entry
    7: _migrate_6_to_7,
    8: _migrate_7_to_8,
    10: _migrate_9_to_10,
    11: _migrate_10_to_11,
    12: _migrate_11_to_12,
}


def match_schema_checks(conn: sa.Connection) -> None:
    """The database's CHECK constraints made the metadata's, run at the end of every migration.

    A table keeps the vocabulary checks of the version that created it: a version-6 database
    migrated to 8 refused an organisation of kind 'deputies' and the metrics added with version
    7, as did one created at 7 before those metrics. Version 9 is this repair alone, for a
    database that reached 8 with them; a later vocabulary change only raises SCHEMA_VERSION.
    """
    changed = match_checks(conn, metadata)
    if changed:
        _log.info("CHECK constraints brought up to date: %s", ", ".join(changed))


def _last_step(step: Callable[[sa.Connection], None] | None) -> Callable[[sa.Connection], None]:
    def last(conn: sa.Connection) -> None:
        if step is not None:
            step(conn)
        match_schema_checks(conn)

    return last


MIGRATIONS: dict[int, Callable[[sa.Connection], None]] = {
    version: _STEPS.get(version, lambda conn: None) for version in range(2, SCHEMA_VERSION)
}
MIGRATIONS[SCHEMA_VERSION] = _last_step(_STEPS.get(SCHEMA_VERSION))
