"""A database's schema version when it is opened: an empty database made, an older one
migrated (`schema.MIGRATIONS`), a newer one refused; or, for a dry run, nothing changed."""

from __future__ import annotations

import sqlalchemy as sa

from hehu.errors import StoreUnavailable
from hehu.records.schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    make_audit_log_append_only,
    meta,
    metadata,
)

_UNCHANGED = "试导入不改动数据库，请先运行 hehu init"


def ensure_schema(conn: sa.Connection, migrate: bool = True) -> None:
    """Make the schema of an empty database or bring an older one up to date, in the caller's
    transaction; with `migrate` False refuse either, the database left as it is."""
    url = str(conn.engine.url)
    if not sa.inspect(conn).has_table("meta"):
        if not migrate:
            raise StoreUnavailable(url, f"数据库是空的；{_UNCHANGED}")
        metadata.create_all(conn)
        make_audit_log_append_only(conn)
        _stamp(conn)
        return
    stored = sa.select(meta.c.value).where(meta.c.key == "schema_version")
    version = int(conn.execute(stored).scalar() or 1)
    if version > SCHEMA_VERSION:
        raise StoreUnavailable(
            url, f"数据库版本 {version} 高于本程序支持的 {SCHEMA_VERSION}，请升级 hehu"
        )
    if version == SCHEMA_VERSION:
        return
    if not migrate:
        raise StoreUnavailable(
            url, f"数据库版本 {version} 低于本程序的 {SCHEMA_VERSION}；{_UNCHANGED}"
        )
    for step in range(version + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[step](conn)
    _stamp(conn)


def _stamp(conn: sa.Connection) -> None:
    """The schema version this program writes, in the `meta` table."""
    conn.execute(meta.delete().where(meta.c.key == "schema_version"))
    conn.execute(meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
