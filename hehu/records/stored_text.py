"""Stored text read again under today's rules: personal numbers and invisible control characters.

The rules that keep an ID-card or mobile number out of the store (`pseudonym.personal_numbers`)
and invisible control characters out of its text (`importing.cells.CONTROL_CHARS`) have grown
over time: a summary saved before the rule knew 138——1234——5678, or a name imported before
control characters were dropped, is still stored as it was. `check_stored_text` counts, column
by column, the values today's rules would have refused or cleaned, never showing one;
`clean_stored_text` rewrites them in one transaction of the store's write (the data version
bumped, so pages and caches are made again; one audit entry), each number written "…".

A record's own code holding a number (对象编号 typed as an ID number before the import turned
such codes into pseudonyms) or a control character is given the code today's import reads from
it (`_code_as_imported`: a number made a pseudonym with the key the imports used, never a new
one), with every record, unit account and list pointing at it, in the same write: a register
naming the old code in its code column still finds the record. What it cannot rewrite it reports: a code whose
pseudonym another record already holds (likely the same person imported again since; a person
decides), other references (a list of place codes), and the append-only audit log. Accounts (a
login name may be a phone number) and who did what are not records about people and are not
read.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from hehu.importing.cells import CONTROL_CHARS, cell_text, strip_controls
from hehu.importing.kinds import CODE_PREFIXES
from hehu.records import pseudonym, schema, vocab
from hehu.records.pseudonym import (
    is_own_identifier,
    personal_numbers,
    without_personal_numbers,
)

# Not text about the people protected: the store's own settings, the figure cache, the
# gazetteer, the accounts, and who did what (a user's login name).
_NOT_PEOPLES_TEXT = frozenset({"meta", "figure_cache", "place", "app_user"})
_NOT_TEXT_COLUMNS = frozenset(
    {("audit_log", "actor"), ("recommendation_update", "actor"),
     ("recommendation_unit", "assigned_by")}
)  # fmt: skip
# References that no foreign key declares: lists of place codes and organisations' ids.
_REFERENCES = frozenset({("inspection", "places"), ("inspection", "orgs")})
_LISTS_OF = {("inspection", "orgs"): schema.org.c.org_id}  # lists of a re-keyed record's codes
_POINTING_AT = {("app_user", "unit"): schema.org.c.org_id}  # a unit's clerk names the unit
_READ_ONLY_TABLES = frozenset({schema.audit_log.name})  # append-only: its triggers refuse UPDATE
CLEAN, REKEY, REIMPORT, REPORTED = "clean", "rekey", "reimport", "reported"


@dataclass(frozen=True)
class StoredTextFinding:
    """How many values of one column today's rules would refuse (numbers) or clean (controls)."""

    table: str
    column: str
    numbers: int
    controls: int
    action: str  # CLEAN; REKEY (a record's code, or what points at it); REIMPORT (another
    # reference); REPORTED (the audit log)

    @property
    def cleanable(self) -> bool:
        """Whether `clean_stored_text` rewrites it."""
        return self.action in (CLEAN, REKEY)


def text_columns() -> list[tuple[sa.Table, sa.Column]]:
    """Every column of people's text in the store (`_NOT_PEOPLES_TEXT` aside), in schema order."""
    return [
        (table, column)
        for table in schema.metadata.sorted_tables
        if table.name not in _NOT_PEOPLES_TEXT
        for column in table.columns
        if isinstance(column.type, sa.String) and (table.name, column.name) not in _NOT_TEXT_COLUMNS
    ]


def _code_prefix(column: sa.Column) -> str | None:
    """The pseudonym prefix of a record's own code (a table's one key column), else None."""
    keys = list(column.table.primary_key.columns)
    return CODE_PREFIXES.get(column.name) if keys == [column] else None


def _action(table: sa.Table, column: sa.Column) -> str:
    if table.name in _READ_ONLY_TABLES:
        return REPORTED
    target = _LISTS_OF.get((table.name, column.name))
    if target is None:
        target = next((fk.column for fk in column.foreign_keys), column)
    if _code_prefix(target):
        return REKEY
    if column.primary_key or column.foreign_keys or (table.name, column.name) in _REFERENCES:
        return REIMPORT
    return CLEAN


def cleaned_text(text: str) -> str:
    """A stored text as today's rules keep it: each personal number "…", no control character."""
    return strip_controls(without_personal_numbers(text))


def _holds_number(value: str, references: bool) -> bool:
    """Whether a stored value holds a personal number; in a column of identifiers, Hehu's own
    (`pseudonym.is_own_identifier`, one in 1,600 holding a phone-shaped run) are not numbers."""
    if not references:
        return bool(personal_numbers(value))
    return any(personal_numbers(part) and not is_own_identifier(part) for part in value.split(";"))


def _scan(conn: sa.Connection, table: sa.Table, column: sa.Column):
    """(primary key, value, holds a number, holds a control character) of each value of the
    column that today's rules would refuse or clean."""
    keys = list(table.primary_key.columns)
    references = _action(table, column) in (REKEY, REIMPORT)
    rows = conn.execute(sa.select(*keys, column).where(column.is_not(None)))
    for *key, value in rows:
        numbered = _holds_number(value, references)
        controlled = CONTROL_CHARS.search(value) is not None
        if numbered or controlled:
            yield tuple(key), value, numbered, controlled


def _findings(conn: sa.Connection, found: dict) -> list[StoredTextFinding]:
    """The findings of every text column; `found[(table, column)]` gets its (key, value) pairs."""
    findings = []
    for table, column in text_columns():
        hits = list(_scan(conn, table, column))
        if hits:
            found[table, column] = [(key, value) for key, value, _, _ in hits]
            findings.append(
                StoredTextFinding(
                    table.name,
                    column.name,
                    numbers=sum(numbered for _, _, numbered, _ in hits),
                    controls=sum(controlled for _, _, _, controlled in hits),
                    action=_action(table, column),
                )
            )
    return findings


def check_stored_text(store) -> list[StoredTextFinding]:
    """What of the stored text today's rules would refuse or clean, column by column."""
    with store.engine.connect() as conn:
        return _findings(conn, {})


def clean_stored_text(store, actor: str = "system", key: bytes | None = None):
    """Rewrite what `check_stored_text` finds where it can, in one write of the store; returns
    the findings as they were (nothing is written when nothing is found). A code holding a
    number is re-keyed only with the import's pseudonymisation `key` (`import_key`)."""
    found: dict = {}
    with store.engine.connect() as conn:
        findings = _findings(conn, found)
    cleanable = {where: hits for where, hits in found.items() if _action(*where) == CLEAN}
    moves = {
        (column, old): new
        for (_, column), hits in found.items()
        if _code_prefix(column)
        for _, old in hits
        if (new := _code_as_imported(column, old, key)) not in (None, old)
    }
    if not cleanable and not moves:
        return findings
    what = "；".join(
        f"{f.table}.{f.column}: {f.numbers} 个含号码, {f.controls} 个含控制字符"
        for f in findings
        if f.cleanable
    )
    with store.changing(audit={"actor": actor, "action": "clean_text", "what": what}) as conn:
        for (table, column), hits in cleanable.items():
            keys = list(table.primary_key.columns)
            for key_values, value in hits:
                where = sa.and_(*(k == v for k, v in zip(keys, key_values, strict=True)))
                # Compared with the value read: a text changed since is left for the next run.
                update = table.update().where(where, column == value)
                conn.execute(update.values({column.name: cleaned_text(value)}))
        keyed = False  # whether a pseudonym made with the key was stored
        for (column, old), new in moves.items():  # parents first: schema order
            moved = _rekey(conn, column, old, new)
            keyed |= moved and personal_numbers(old) != []
        if keyed and not store.get_meta(pseudonym.KEY_CHECK_META):
            check = pseudonym.key_check(key)  # as the import stamps the key it made them with
            conn.execute(schema.meta.insert().values(key=pseudonym.KEY_CHECK_META, value=check))
    return findings


def import_key(store) -> tuple[bytes | None, str]:
    """This machine's pseudonymisation key if the store's pseudonyms were made with it, else
    (None, why in Chinese): never a new key, which would make the clerk's next import refused."""
    key = pseudonym.load_key(create=False)
    if key is None:
        return None, "本机没有导入登记表时使用的假名化密钥（pseudonym.key）"
    try:
        return pseudonym.matching_key(key, store.get_meta(pseudonym.KEY_CHECK_META)), ""
    except pseudonym.KeyMismatch:
        return None, "本机的假名化密钥与数据库中已有数据所用的密钥不一致"


def _code_as_imported(column: sa.Column, value: str, key: bytes | None) -> str | None:
    """The code a register holding `value` in this code column gives its record today, as the
    import reads it (control characters dropped, the cell read, a number made a pseudonym);
    None if there is none, or it needs the key and there is none."""
    code = cell_text(strip_controls(value))
    if code is None or not personal_numbers(code):
        return code
    return None if key is None else pseudonym.code_pseudonym(_code_prefix(column), code, key)


def _rekey(conn: sa.Connection, column: sa.Column, old: str, new: str) -> bool:
    """Move the record whose code is `old` to `new`, with every record, account and list
    pointing at it; False (nothing changed) if another record already has `new`."""
    table = column.table
    if conn.execute(sa.select(column).where(column == new)).first() is not None:
        return False
    row = conn.execute(sa.select(table).where(column == old)).mappings().first()
    if row is None:  # changed since it was read
        return False
    conn.execute(table.insert().values({**row, column.name: new}))
    for child in schema.metadata.sorted_tables:
        for fk in child.foreign_keys:
            if fk.column is column:
                conn.execute(child.update().where(fk.parent == old).values({fk.parent.name: new}))
    for (ref_table, ref_column), target in _POINTING_AT.items():  # no foreign key declared
        if target is column:
            ref = schema.metadata.tables[ref_table].c[ref_column]
            conn.execute(ref.table.update().where(ref == old).values({ref.name: new}))
    for (list_table, list_column), listed in _LISTS_OF.items():
        if listed is not column:
            continue
        listing = schema.metadata.tables[list_table].c[list_column]
        lists = conn.execute(sa.select(listing).where(listing.contains(old, autoescape=True)))
        for text in set(lists.scalars()):
            moved = vocab.join_keys(new if k == old else k for k in vocab.split_keys(text))
            conn.execute(
                listing.table.update().where(listing == text).values({listing.name: moved})
            )
    conn.execute(table.delete().where(column == old))
    return True
