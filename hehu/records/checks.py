"""A database's CHECK constraints brought to what the schema says now.

A table keeps the checks of the day it was created: a vocabulary that gained a key since
(vocab.ORG_KINDS, vocab.METRICS, ...) is refused by an older database until its checks are
rebuilt from the metadata. `match_checks` compares each table's checks with the metadata's by
what they check (their names differ between databases: create_all, older migrations and the
literal `ck_%(table_name)s_…` names of `schema._in`) and rebuilds those of the tables that differ,
refusing if a stored row breaks a check it would add. It runs inside the migration's transaction.
"""

from __future__ import annotations

import re

import sqlalchemy as sa


def match_checks(conn: sa.Connection, metadata: sa.MetaData) -> list[str]:
    """Make every table's CHECK constraints the metadata's; return the tables changed."""
    changed = []
    existing = set(sa.inspect(conn).get_table_names())
    for table in metadata.sorted_tables:
        if table.name not in existing:
            continue
        wanted = [c for c in table.constraints if isinstance(c, sa.CheckConstraint)]
        if conn.dialect.name == "sqlite":
            done = _match_sqlite(conn, table, wanted)
        elif conn.dialect.name == "postgresql":
            done = _match_postgresql(conn, table, wanted)
        else:
            done = False
        if done:
            changed.append(table.name)
    return changed


def _text(check: sa.CheckConstraint) -> str:
    return " ".join(str(check.sqltext).split())


def _refuse_broken_rows(conn: sa.Connection, table: sa.Table, checks: list) -> None:
    """Raise if a stored row breaks one of the checks (NULL passes, as in a CHECK)."""
    quote = conn.dialect.identifier_preparer.quote
    for check in checks:
        broken = conn.execute(
            sa.text(f"SELECT 1 FROM {quote(table.name)} WHERE NOT ({check.sqltext}) LIMIT 1")
        ).first()
        if broken is not None:
            raise ValueError(f"表 {table.name} 中有记录不符合约束 {_text(check)}，无法升级数据库")


# --- SQLite -------------------------------------------------------------------------------

_CHECK = re.compile(r"\bCHECK\s*\(", re.IGNORECASE)
_NAME_BEFORE = re.compile(r'CONSTRAINT\s+("(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|\w+)\s*$', re.I)


def _sqlite_checks(sql: str) -> list[tuple[int, int, str]]:
    """Each CHECK clause of a CREATE TABLE statement: (start, end, expression), start at its
    CONSTRAINT name if it has one, outside string literals and quoted names."""
    found, i, n = [], 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"`[":
            close = "]" if ch == "[" else ch
            i = sql.index(close, i + 1) + 1
            while close != "]" and i < n and sql[i] == close:  # a doubled quote
                i = sql.index(close, i + 1) + 1
            continue
        match = _CHECK.match(sql, i)
        if match and (i == 0 or not (sql[i - 1].isalnum() or sql[i - 1] == "_")):
            open_at = match.end() - 1
            end = _closing(sql, open_at)
            named = _NAME_BEFORE.search(sql, 0, i)
            start = named.start() if named else i
            found.append((start, end + 1, " ".join(sql[open_at + 1 : end].split())))
            i = end + 1
            continue
        i += 1
    return found


def _closing(sql: str, open_at: int) -> int:
    """The index of the parenthesis closing the one at open_at."""
    depth, i = 0, open_at
    while True:
        ch = sql[i]
        if ch in "'\"`":
            i = sql.index(ch, i + 1)
            while i + 1 < len(sql) and sql[i + 1] == ch:
                i = sql.index(ch, i + 2)
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1


def _sqlite_table_sql(conn: sa.Connection, name: str) -> str:
    return conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).scalar_one()


def _match_sqlite(conn: sa.Connection, table: sa.Table, wanted: list) -> bool:
    """SQLite cannot alter a constraint. Rebuilding the table (its 12-step procedure) needs
    foreign keys off, which SQLite ignores inside the migration's transaction, and with them on
    DROP TABLE deletes every row of the tables pointing at it with ON DELETE CASCADE. So the
    table's own statement is edited instead (https://sqlite.org/lang_altertable.html,
    "otheralter"), which keeps its rows, indexes and triggers where they are; a check it adds is
    first tried on every stored row, as the rebuild's INSERT would."""
    sql = _sqlite_table_sql(conn, table.name)
    have = _sqlite_checks(sql)
    if sorted(text for _, _, text in have) == sorted(map(_text, wanted)):
        return False
    _refuse_broken_rows(conn, table, [c for c in wanted if _text(c) not in {t for *_, t in have}])
    new = sql
    for start, end, _ in reversed(have):
        before = new[:start].rstrip()
        # a table constraint takes its comma with it, a column constraint the space before it
        start = len(before) - 1 if before.endswith(",") else len(before)
        new = new[:start] + new[end:]
    quote = conn.dialect.identifier_preparer.quote
    last = new.rstrip().rindex(")")
    body = new[:last].rstrip()
    added = "".join(
        f", \n\tCONSTRAINT {quote(str(c.name))} CHECK ({c.sqltext})"
        if c.name
        else f", \n\tCHECK ({c.sqltext})"
        for c in wanted
    )
    new = body + added + "\n" + new[last:]
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar_one()
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    conn.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (new, table.name)
    )
    conn.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    conn.exec_driver_sql("PRAGMA writable_schema = OFF")
    # the new statement is read back, and must say what the metadata says
    conn.exec_driver_sql(f"SELECT * FROM {quote(table.name)} LIMIT 0").close()
    now = _sqlite_checks(_sqlite_table_sql(conn, table.name))
    if sorted(text for *_, text in now) != sorted(map(_text, wanted)):
        raise ValueError(f"表 {table.name} 的约束未能更新")
    return True


# --- PostgreSQL ---------------------------------------------------------------------------

_PROBE = "hehu_check_probe"


def _pg_checks(conn: sa.Connection, name: str) -> list[tuple[str, str]]:
    """(name, definition as PostgreSQL writes it back) of a table's CHECK constraints."""
    rows = conn.execute(
        sa.text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = to_regclass(:table) AND contype = 'c'"
        ),
        {"table": _quote(name)},
    )
    return [(n, d) for n, d in rows]


def _quote(name: str) -> str:
    """A quoted name for sa.text, which doubles each % itself (the dialect's quote does too)."""
    return '"' + name.replace('"', '""') + '"'


def _match_postgresql(conn: sa.Connection, table: sa.Table, wanted: list) -> bool:
    """PostgreSQL keeps a check as it parsed it (casts, ANY (ARRAY[...])): the metadata's checks
    are put on an empty temporary copy of the table to be written back the same way, then the
    table's checks that differ are dropped and the missing ones added."""
    quote = _quote
    conn.execute(sa.text(f"CREATE TEMPORARY TABLE {_PROBE} (LIKE {quote(table.name)})"))
    for i, check in enumerate(wanted):
        conn.execute(sa.text(f"ALTER TABLE {_PROBE} ADD CONSTRAINT c{i} CHECK ({check.sqltext})"))
    defined = {int(n[1:]): d for n, d in _pg_checks(conn, _PROBE)}
    conn.execute(sa.text(f"DROP TABLE {_PROBE}"))
    want = [(check, defined[i]) for i, check in enumerate(wanted)]
    have = _pg_checks(conn, table.name)
    if sorted(d for _, d in have) == sorted(d for _, d in want):
        return False
    keep = {d for _, d in want}
    for name, definition in have:
        if definition not in keep:
            conn.execute(sa.text(f"ALTER TABLE {quote(table.name)} DROP CONSTRAINT {quote(name)}"))
    kept = {d for n, d in _pg_checks(conn, table.name)}
    for check, definition in want:
        if definition not in kept:
            name = f" CONSTRAINT {quote(str(check.name))}" if check.name else ""
            conn.execute(
                sa.text(f"ALTER TABLE {quote(table.name)} ADD{name} CHECK ({check.sqltext})")
            )
    return True
