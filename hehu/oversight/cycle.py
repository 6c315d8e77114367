"""The oversight cycle (监督闭环) of a recommendation: 交办 → 承办单位答复 → 满意度测评 → 办结.

The rules, in one place:

- Deputies, committee staff and administrators (`MAY["assign"]`) assign a recommendation to one or
  more units responsible (承办单位: organisations of a kind in vocab.UNIT_ORG_KINDS), each with
  a deadline.
- A unit (a user of role `unit`, whose `app_user.unit` names its organisation by id, or by name
  for users added before units were data) sees and answers only the recommendations assigned
  to it: 办理情况 text and a status of vocab.REC_ANSWER_STATUSES (办理中 / 已办结 / 不能办结, the
  last with a reason). Nobody else answers.
- Deputies rate each answer (满意 / 基本满意 / 不满意) with a comment, one rating a deputy an
  answer; 不满意 reopens the unit's assignment with a new deadline.
- Deputies or staff close a recommendation (已办结 or 不能办结) once every unit has answered since
  it was last assigned or reopened; 已办结 only once assigned to a unit.

Every change is one transaction (`Store.changing`) of append-only history rows
(`recommendation_update`, with kind, unit, actor, rating, comment and deadline), the state the
existing readers know (`recommendation.status`, `response`, `responsible_org`, `due_date`,
`recommendation_unit.due_date`) and an audit-log entry naming the person. A unit's state is
derived from its history (`assignment_state`), so two units answering at once both keep their
answer. Who acts is an `Actor` the server decides (the signed-in user), never a page.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from hehu import clock
from hehu.errors import HehuError
from hehu.figures.metrics import Records, parse_date
from hehu.i18n import audit_what
from hehu.oversight import free_text
from hehu.oversight.cycle_text import TEXT  # every refusal, in Chinese and English
from hehu.records import vocab
from hehu.records.schema import org, recommendation, recommendation_unit, recommendation_update
from hehu.records.store import Store

# Who may do what: the one table of the cycle's permissions (roles of vocab.ROLES).
MAY: dict[str, tuple[str, ...]] = {
    "assign": ("deputy", "staff", "admin"),  # 交办, with deadlines
    "reopen": ("deputy", "staff", "admin"),  # 重新交办 with a new deadline
    "close": ("deputy", "staff", "admin"),  # 办结 (已办结 / 不能办结)
    "rate": ("deputy",),  # 满意度测评
    "answer": (vocab.UNIT_ROLE,),  # 办理情况, only for the unit's own recommendations
    "see_all": ("deputy", "presenter", "staff", "admin"),  # a unit sees only its own
    "finding": ("deputy", "staff", "admin"),  # link a finding to a recommendation, address it
    "record": ("deputy", "staff", "admin"),  # 视察: record an inspection (the inspections page)
}

# The rating that reopens an answer, and the ratings 满意率 counts as satisfied.
REOPENING_RATING = "unsatisfied"
SATISFIED_RATINGS = ("satisfied", "basically")

AUDIT_ACTION = "edit"

_ACTION_WORDS = {
    "assign": ("交办意见建议", "assign a recommendation"),
    "reopen": ("重新交办意见建议", "reopen a recommendation"),
    "close": ("办结意见建议", "close a recommendation"),
    "rate": ("测评答复", "rate an answer"),
    "answer": ("答复意见建议", "answer a recommendation"),
    "finding": ("更改视察发现的问题", "change an inspection finding"),
    "record": ("记录视察", "record an inspection"),
}


def _error(key: str, **values) -> HehuError:
    zh, en = TEXT[key]
    return HehuError(zh.format(**values), en.format(**values))


# --------------------------------------------------------------------------- who acts


@dataclass(frozen=True)
class Actor:
    """Who acts: a user's name (for the history and the audit log), role, and unit (an org id,
    or an organisation's name, of a `unit` user; None for every other role). The server decides
    it from the signed-in user; no page, URL or cookie does."""

    name: str
    role: str
    unit: str | None = None

    @classmethod
    def of_user(cls, user) -> Actor:
        """The actor a signed-in `hehu.accounts.User` is."""
        return cls(name=user.name, role=user.role, unit=user.unit)

    @classmethod
    def current(cls) -> Actor:
        """The actor of this kernel or process: the user the server put in its environment
        (hehu.disclosure.current_actor, current_role, current_unit)."""
        from hehu import disclosure

        return cls(disclosure.current_actor(), disclosure.current_role(), disclosure.current_unit())


def may(actor: Actor, action: str) -> bool:
    """Whether an actor's role may do an action of `MAY`."""
    return actor.role in MAY[action]


def check_actor(actor: Actor) -> Actor:
    """The actor if it is one (a name, a known role, a unit exactly for a unit user)."""
    if not actor.name or not str(actor.name).strip():
        raise _error("no_actor")
    if actor.role not in vocab.ROLES:
        raise _error("bad_role", role=actor.role)
    if actor.role == vocab.UNIT_ROLE and not (actor.unit or "").strip():
        raise _error("unit_needed")
    if actor.role != vocab.UNIT_ROLE and actor.unit:
        raise _error("unit_refused")
    return actor


def require(actor: Actor, action: str) -> None:
    """Refuse (HehuError, in the actor's words) an action of `MAY` the actor's role may not do."""
    check_actor(actor)
    if not may(actor, action):
        zh, en = _ACTION_WORDS[action]
        raise _error(
            "not_allowed",
            role=vocab.label(vocab.ROLES, actor.role),
            action=zh,
            role_en=vocab.label(vocab.ROLES, actor.role, "en"),
            action_en=en,
        )


# --------------------------------------------------------------------------- units


def units_frame(orgs: pd.DataFrame) -> pd.DataFrame:
    """The units responsible among organisations (vocab.unit_org_ids: of a kind in
    vocab.UNIT_ORG_KINDS), county ones first, by name."""
    units = orgs[
        orgs["org_id"].isin(vocab.unit_org_ids(zip(orgs["org_id"], orgs["kind"], strict=True)))
    ]
    order = units["level"].map({k: i for i, k in enumerate(vocab.ORG_LEVELS)})
    return (
        units.assign(_order=order)
        .sort_values(["_order", "name"])
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def unit_id(orgs: pd.DataFrame, unit: str) -> str:
    """The org id of a unit named by its id, else by its exact (unique) name, else by the end
    of the name of exactly one unit (公安局: 涟水县公安局); a HehuError if no unit responsible
    is (or several are)."""
    units = units_frame(orgs)
    text = str(unit or "").strip()
    if text in set(units["org_id"]):
        return text
    named = units.loc[units["name"] == text, "org_id"]
    if len(named) == 1:
        return named.iloc[0]
    # 公安局 for 涟水县公安局: the one unit whose name ends with it (妇联, of many, names none)
    ending = units.loc[units["name"].str.endswith(text), "org_id"] if len(text) > 1 else named
    if len(ending) == 1:
        return ending.iloc[0]
    raise _error("unknown_unit", unit=text)


def _orgs(conn: sa.Connection) -> pd.DataFrame:
    rows = conn.execute(sa.select(org.c.org_id, org.c.name, org.c.kind, org.c.level)).all()
    return pd.DataFrame(rows, columns=["org_id", "name", "kind", "level"])


# --------------------------------------------------------------------------- state


def assignment_state(entries: Iterable[Mapping], due_date=None) -> dict:
    """A unit's state on one recommendation from its history entries (oldest first):

    state "open" (assigned or reopened, not answered since) or "answered"; `due_date` the
    deadline in force; the latest answer (`answer_status`, `answer`, `reason`, `answered_at`);
    `first_on_time` whether the first answer came by the first deadline (None before one);
    `rating` of the latest answer (None if unrated) and `raters` (names) of it; `ratings` every
    rating given. `due_date` is the assignment's, for one migrated without history.
    """
    state = {
        "state": "open", "due_date": _day(due_date), "answer_status": None, "answer": None,
        "reason": None, "answered_at": None, "first_on_time": None, "rating": None,
        "raters": [], "ratings": [],
    }  # fmt: skip
    first_due, answered_once = state["due_date"], False
    for entry in entries:
        kind = entry["kind"]
        if kind in ("assign", "reopen"):
            state["state"] = "open"
            if _day(entry.get("due_date")) is not None:
                state["due_date"] = _day(entry["due_date"])
            if kind == "assign":
                first_due = state["due_date"]
        elif kind == "answer":
            state.update(
                state="answered", answer_status=entry["status"], answer=entry.get("response"),
                reason=entry.get("comment"), answered_at=entry["at"], rating=None, raters=[],
            )  # fmt: skip
            if not answered_once:
                answered_once = True
                day = clock.local_time(entry["at"]).date()
                state["first_on_time"] = first_due is None or day <= first_due
        elif kind == "rate":
            state["rating"] = entry.get("rating")
            state["raters"] = [*state["raters"], entry.get("actor")]
            state["ratings"] = [*state["ratings"], entry.get("rating")]
    return state


def _day(value) -> dt.date | None:
    if value is None or (not isinstance(value, str | dt.date) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return parse_date(str(value)).date()
    except HehuError:
        raise _error("bad_due", value=value) from None


def _entries(conn: sa.Connection, rec_id: str, org_id: str | None = None) -> list[dict]:
    query = sa.select(recommendation_update).where(recommendation_update.c.rec_id == rec_id)
    if org_id is not None:
        query = query.where(recommendation_update.c.org_id == org_id)
    rows = conn.execute(query.order_by(recommendation_update.c.at)).mappings().all()
    return [dict(r) for r in rows]


def _recommendation(conn: sa.Connection, rec_id: str) -> dict:
    row = conn.execute(
        sa.select(recommendation).where(recommendation.c.rec_id == rec_id)
    ).mappings().first()  # fmt: skip
    if row is None:
        raise _error("no_rec", rec=rec_id)
    return dict(row)


def _assignments(conn: sa.Connection, rec_id: str) -> dict[str, dict]:
    rows = conn.execute(
        sa.select(recommendation_unit).where(recommendation_unit.c.rec_id == rec_id)
    ).mappings()  # fmt: skip
    return {r["org_id"]: dict(r) for r in rows}


def _open(rec: dict) -> None:
    if rec["status"] in vocab.REC_CLOSED_STATUSES:
        raise _error("closed", rec=rec["rec_id"])


# --------------------------------------------------------------------------- writes


def _entry(rec_id: str, at: dt.datetime, actor: Actor, kind: str, status: str, **values) -> dict:
    return {
        "update_id": f"UPD-{clock.local_time(at):%Y-%m-%d}-{uuid.uuid4().hex[:12]}",
        "rec_id": rec_id, "at": at, "actor": actor.name, "kind": kind, "status": status,
        "response": values.pop("response", "") or "", "org_id": None, "rating": None,
        "comment": None, "due_date": None, **values,
    }  # fmt: skip


def _audit(actor: Actor, key: str, rec: dict, **values) -> dict:
    return {
        "action": AUDIT_ACTION,
        "what": audit_what(key, id=rec["rec_id"], **values),
        "places": rec.get("place_code") or "",
        "actor": actor.name,
    }


def _sync_due(conn: sa.Connection, rec_id: str) -> None:
    """The recommendation's own due date: the latest deadline of its units (for the readers
    that know one deadline: overdue figures, briefings)."""
    latest = (
        sa.select(sa.func.max(recommendation_unit.c.due_date))
        .where(recommendation_unit.c.rec_id == rec_id)
        .scalar_subquery()
    )
    conn.execute(
        recommendation.update()
        .where(recommendation.c.rec_id == rec_id)
        .values(due_date=sa.func.coalesce(latest, recommendation.c.due_date))
    )


def assign(
    store: Store,
    rec_id: str,
    units: Mapping[str, object] | Iterable[tuple[str, object]],
    *,
    actor: Actor,
    now: dt.datetime | None = None,
) -> list[str]:
    """Assign a recommendation to units, {org id or name: deadline}; the history entries' ids.

    A deadline is a date or YYYY-MM-DD, on or after the inspection's date. The recommendation's
    first unit becomes its responsible organisation if it had none.
    """
    require(actor, "assign")
    now = now or clock.utc_now()
    pairs = list(units.items() if isinstance(units, Mapping) else units)
    if not pairs:
        raise _error("no_units")
    ids = []
    with store.changing() as conn:
        rec = _recommendation(conn, rec_id)
        _open(rec)
        orgs, have = _orgs(conn), _assignments(conn, rec_id)
        names = orgs.set_index("org_id")["name"]
        day = conn.execute(
            sa.text("SELECT date FROM inspection WHERE inspection_id = :i"),
            {"i": rec["inspection_id"]},
        ).scalar()
        day = _day(day)
        rows, entries = [], []
        for unit, due in pairs:
            org_id = unit_id(orgs, unit)
            if org_id in have or org_id in {r["org_id"] for r in rows}:
                raise _error("already_assigned", rec=rec_id, unit=names[org_id])
            due = _day(due)
            if due is None:
                raise _error("due_needed", unit=names[org_id])
            if day is not None and due < day:
                raise _error("due_before", due=due, day=day)
            rows.append(
                {"rec_id": rec_id, "org_id": org_id, "due_date": due, "assigned_at": now,
                 "assigned_by": actor.name}
            )  # fmt: skip
            entries.append(
                _entry(rec_id, now, actor, "assign", "open", org_id=org_id, due_date=due)
            )
        conn.execute(recommendation_unit.insert(), rows)
        conn.execute(recommendation_update.insert(), entries)
        if not rec["responsible_org"]:
            conn.execute(
                recommendation.update()
                .where(recommendation.c.rec_id == rec_id)
                .values(responsible_org=rows[0]["org_id"])
            )
        _sync_due(conn, rec_id)
        units_text = "、".join(names[r["org_id"]] for r in rows)
        _write_audit(conn, _audit(actor, "rec_assign", rec, units=units_text))
        ids = [e["update_id"] for e in entries]
    return ids


def _write_audit(conn: sa.Connection, audit: dict) -> None:
    from hehu.records.schema import audit_log

    conn.execute(audit_log.insert().values(at=clock.utc_now(), **audit))


def answer(
    store: Store,
    rec_id: str,
    *,
    actor: Actor,
    status: str,
    response: str,
    reason: str = "",
    now: dt.datetime | None = None,
) -> str:
    """A unit answers a recommendation assigned to it (办理情况; status 办理中 / 已办结 / 不能办结,
    the last with a reason); the history entry's id. Only the actor's own unit answers."""
    require(actor, "answer")
    if status not in vocab.REC_ANSWER_STATUSES:
        raise _error("bad_status", status=status)
    response, reason = free_text.kept(response), free_text.kept(reason)
    if not response:
        raise _error("answer_needed")
    if status == "cannot" and not reason:
        raise _error("reason_needed")
    free_text.refuse(response=response, reason=reason)
    now = now or clock.utc_now()
    with store.changing() as conn:
        orgs = _orgs(conn)
        org_id = unit_id(orgs, actor.unit or "")
        try:
            rec = _recommendation(conn, rec_id)
        except HehuError:
            raise _error("not_yours", rec=rec_id) from None
        if org_id not in _assignments(conn, rec_id):
            raise _error("not_yours", rec=rec_id)  # the same words: nothing of it is shown
        _open(rec)
        entry = _entry(
            rec_id, now, actor, "answer", status, org_id=org_id, response=response,
            comment=reason or None,
        )  # fmt: skip
        conn.execute(recommendation_update.insert(), [entry])
        conn.execute(
            recommendation.update()
            .where(recommendation.c.rec_id == rec_id)
            .values(
                response=response,
                status=sa.case(
                    (recommendation.c.status == "open", "in_progress"),
                    else_=recommendation.c.status,
                ),
            )
        )
        name = orgs.set_index("org_id")["name"][org_id]
        _write_audit(conn, _audit(actor, "rec_answer", rec, unit=name, status=status))
    return entry["update_id"]


def rate(
    store: Store,
    rec_id: str,
    unit: str,
    *,
    actor: Actor,
    rating: str,
    comment: str = "",
    new_due_date=None,
    now: dt.datetime | None = None,
) -> list[str]:
    """A deputy rates a unit's latest answer (满意 / 基本满意 / 不满意, with a comment); 不满意
    reopens the unit's assignment with `new_due_date`. The history entries' ids."""
    require(actor, "rate")
    if rating not in vocab.RATINGS:
        raise _error("bad_rating", rating=rating)
    now = now or clock.utc_now()
    new_due = _day(new_due_date)
    if rating == REOPENING_RATING and new_due is None:
        raise _error("new_due_needed")
    free_text.refuse(comment=comment)
    with store.changing() as conn:
        rec = _recommendation(conn, rec_id)
        _open(rec)
        orgs = _orgs(conn)
        org_id = unit_id(orgs, unit)
        name = orgs.set_index("org_id")["name"][org_id]
        assignment = _assignments(conn, rec_id).get(org_id)
        if assignment is None:
            raise _error("not_assigned", rec=rec_id, unit=name)
        state = assignment_state(_entries(conn, rec_id, org_id), assignment["due_date"])
        if state["state"] != "answered":
            raise _error("nothing_to_rate", rec=rec_id, unit=name)
        if actor.name in state["raters"]:
            raise _error("rated_twice")
        comment = free_text.kept(comment) or None
        entries = [
            _entry(rec_id, now, actor, "rate", state["answer_status"], org_id=org_id,
                   rating=rating, comment=comment)
        ]  # fmt: skip
        if rating == REOPENING_RATING:
            entries += _reopen(conn, rec, org_id, new_due, actor, now, comment, state)
        conn.execute(recommendation_update.insert(), entries)
        if rating == REOPENING_RATING:
            _sync_due(conn, rec_id)
        _write_audit(conn, _audit(actor, "rec_rate", rec, unit=name, rating=rating))
    return [e["update_id"] for e in entries]


def _reopen(conn, rec, org_id, new_due, actor, now, comment, state) -> list[dict]:
    """The reopening entry (one microsecond after `now`, so it sorts after a rating) and the
    unit's new deadline."""
    # Not before the day of the reopening (a deadline already past was taken twice running),
    # nor before the answer it reopens.
    answered = state["answered_at"]
    earliest = max(clock.local_time(t).date() for t in (now, answered) if t is not None)
    if new_due < earliest:
        raise _error("due_before", due=new_due, day=earliest)
    conn.execute(
        recommendation_unit.update()
        .where(
            recommendation_unit.c.rec_id == rec["rec_id"], recommendation_unit.c.org_id == org_id
        )
        .values(due_date=new_due)
    )
    return [
        _entry(rec["rec_id"], now + dt.timedelta(microseconds=1), actor, "reopen", "open",
               org_id=org_id, due_date=new_due, comment=comment)
    ]  # fmt: skip


def reopen(
    store: Store,
    rec_id: str,
    unit: str,
    *,
    actor: Actor,
    new_due_date,
    comment: str = "",
    now: dt.datetime | None = None,
) -> str:
    """Deputies or staff reopen a unit's assignment with a new deadline (a closed
    recommendation is open again, 办理中); the history entry's id."""
    require(actor, "reopen")
    new_due = _day(new_due_date)
    if new_due is None:
        raise _error("new_due_needed")
    free_text.refuse(comment=comment)
    now = now or clock.utc_now()
    with store.changing() as conn:
        rec = _recommendation(conn, rec_id)
        orgs = _orgs(conn)
        org_id = unit_id(orgs, unit)
        name = orgs.set_index("org_id")["name"][org_id]
        assignment = _assignments(conn, rec_id).get(org_id)
        if assignment is None:
            raise _error("not_assigned", rec=rec_id, unit=name)
        state = assignment_state(_entries(conn, rec_id, org_id), assignment["due_date"])
        comment = free_text.kept(comment) or None
        entries = _reopen(conn, rec, org_id, new_due, actor, now, comment, state)
        conn.execute(recommendation_update.insert(), entries)
        if rec["status"] in vocab.REC_CLOSED_STATUSES:
            conn.execute(
                recommendation.update()
                .where(recommendation.c.rec_id == rec_id)
                .values(status="in_progress")
            )
        _sync_due(conn, rec_id)
        _write_audit(conn, _audit(actor, "rec_reopen", rec, unit=name, due=str(new_due)))
    return entries[0]["update_id"]


def close(
    store: Store,
    rec_id: str,
    *,
    actor: Actor,
    status: str = "done",
    comment: str = "",
    now: dt.datetime | None = None,
) -> str:
    """Deputies or staff close a recommendation as 已办结 (done) or 不能办结 (cannot, with a
    reason), once every unit has answered since it was last assigned or reopened; 已办结 only
    once assigned to a unit (it says the units did it)."""
    require(actor, "close")
    if status not in vocab.REC_CLOSED_STATUSES:
        raise _error("bad_status", status=status)
    comment = free_text.kept(comment)
    if status == "cannot" and not comment:
        raise _error("reason_needed")
    free_text.refuse(comment=comment)
    now = now or clock.utc_now()
    with store.changing() as conn:
        rec = _recommendation(conn, rec_id)
        _open(rec)
        names = _orgs(conn).set_index("org_id")["name"]
        assigned = sorted(_assignments(conn, rec_id).items())
        if status == "done" and not assigned:
            raise _error("done_unassigned", rec=rec_id)
        waiting = [
            names[org_id]
            for org_id, a in assigned
            if assignment_state(_entries(conn, rec_id, org_id), a["due_date"])["state"] == "open"
        ]
        if waiting:
            raise _error("unanswered", units="、".join(waiting))
        entry = _entry(rec_id, now, actor, "close", status, comment=comment or None)
        conn.execute(recommendation_update.insert(), [entry])
        conn.execute(
            recommendation.update().where(recommendation.c.rec_id == rec_id).values(status=status)
        )
        _write_audit(conn, _audit(actor, "rec_close", rec, status=status))
    return entry["update_id"]


def update_finding(
    store: Store,
    finding_id: str,
    *,
    actor: Actor,
    rec_id: str | None = None,
    addressed: bool | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Deputies or staff link a finding to a recommendation (`rec_id`; "" unlinks it) and mark
    it addressed (`addressed=True`: at `now`, UTC) or open again (False); None leaves a field
    as it is. One transaction with its audit entry, which says the finding's link and state
    after the change."""
    from hehu.records.schema import finding

    require(actor, "finding")
    now = now or clock.utc_now()
    with store.changing() as conn:
        row = conn.execute(
            sa.select(finding.c.finding_id, finding.c.place_code).where(
                finding.c.finding_id == finding_id
            )
        ).first()
        if row is None:
            raise _error("no_finding", finding=finding_id)
        values: dict = {}
        if rec_id is not None:
            if rec_id:
                _recommendation(conn, rec_id)  # a HehuError if there is none
            values["rec_id"] = rec_id or None
        if addressed is not None:
            values["addressed_at"] = now if addressed else None
        if not values:
            return
        conn.execute(finding.update().where(finding.c.finding_id == finding_id).values(**values))
        now_rec, now_addressed = conn.execute(
            sa.select(finding.c.rec_id, finding.c.addressed_at).where(
                finding.c.finding_id == finding_id
            )
        ).one()
        state = "addressed" if now_addressed is not None else "open"
        _write_audit(
            conn,
            {
                "action": AUDIT_ACTION,
                "what": audit_what("finding_update", id=finding_id, rec=now_rec or "", state=state),
                "places": row.place_code or "",
                "actor": actor.name,
            },
        )


# --------------------------------------------------------------------------- reads


def assignments(records: Records, *, as_of=None) -> pd.DataFrame:
    """Every assignment (a recommendation and one of its units) with its state from the
    history: `unit_name`, `due_date` (in force), `state`, `answer_status`, `answer`, `reason`,
    `answered_at`, `first_on_time`, `rating` (of the latest answer), `ratings` (every rating
    given), `overdue` (not answered after its deadline, on the county's clock or `as_of`)."""
    today = _day(as_of) or clock.local_today()
    units = records["recommendation_unit"]
    history = records["recommendation_update"]
    history = history[history["org_id"].notna()].sort_values("at", kind="stable")
    history = history[history["rec_id"].notna()]  # as groupby leaves them out
    by_key: dict[tuple, list[dict]] = {}  # each assignment's entries, oldest first
    for entry in history.to_dict("records"):
        by_key.setdefault((entry["rec_id"], entry["org_id"]), []).append(entry)
    rows = []
    for a in units.to_dict("records"):
        state = assignment_state(by_key.get((a["rec_id"], a["org_id"]), []), a["due_date"])
        rows.append({**a, **state})
    columns = list(dict.fromkeys([*units.columns, *assignment_state([]).keys()]))
    out = pd.DataFrame(rows, columns=columns).drop(columns=["raters"])
    out["unit_name"] = out["org_id"].map(records["org"].set_index("org_id")["name"])
    out["overdue"] = (out["state"] == "open") & out["due_date"].map(
        lambda d: d is not None and not pd.isna(d) and d < today
    )
    return out


def units_by_recommendation(records: Records, *, as_of=None) -> dict[str, list[dict]]:
    """Each recommendation's units (by name) with their `state`, `answer_status`, latest
    `rating` and `overdue`: what a briefing or the inspections page says of its cycle."""
    rows = assignments(records, as_of=as_of).sort_values(["rec_id", "unit_name"])
    keep = ["unit_name", "state", "answer_status", "rating", "overdue"]
    rows = rows[rows["rec_id"].notna()]  # as groupby leaves them out
    # one to_dict for all rows, not one per recommendation (a city has hundreds of them)
    out: dict[str, list[dict]] = {}
    for rec_id, row in zip(rows["rec_id"].tolist(), rows[keep].to_dict("records"), strict=True):
        out.setdefault(rec_id, []).append(row)
    return out


def visible_recommendations(records: Records, actor: Actor) -> pd.DataFrame:
    """The recommendations an actor may see: every one, or for a unit those assigned to it
    (with its assignment's `due_date` in force, `state` and latest `rating` beside)."""
    check_actor(actor)
    recs = records["recommendation"]
    if may(actor, "see_all"):
        return recs.reset_index(drop=True)
    mine = assignments(records)
    mine = mine[mine["org_id"] == unit_id(records["org"], actor.unit)]
    keep = ["rec_id", "org_id", "due_date", "state", "answer_status", "rating", "overdue"]
    return (
        recs.drop(columns=["due_date"])
        .merge(mine[keep], on="rec_id")
        .rename(columns={"org_id": "unit_id"})
        .reset_index(drop=True)
    )


def history(records: Records, rec_id: str, actor: Actor) -> pd.DataFrame:
    """A recommendation's history as an actor may see it, oldest first: every entry, or for a
    unit the entries of its own unit and those of no unit (closing), of its own
    recommendations only (a HehuError for any other)."""
    check_actor(actor)
    updates = records["recommendation_update"]
    mine = updates[updates["rec_id"] == rec_id]
    if not may(actor, "see_all"):
        own = unit_id(records["org"], actor.unit)
        assigned = records["recommendation_unit"]
        if assigned[(assigned["rec_id"] == rec_id) & (assigned["org_id"] == own)].empty:
            raise _error("not_yours", rec=rec_id)
        mine = mine[mine["org_id"].isna() | (mine["org_id"] == own)]
    return mine.sort_values("at", kind="stable").reset_index(drop=True)


# What each column of the per-unit summary counts (recommendations, answers and ratings: things
# done by offices, never people, as the metrics' recommendations_open and _overdue are).
SUMMARY_COLUMNS: dict[str, tuple[str, str]] = {
    "assigned": ("交办件数", "assigned"),
    "answered": ("已答复", "answered"),
    "answered_on_time": ("按期答复", "answered on time"),
    "overdue": ("逾期未答复", "overdue, unanswered"),
    "satisfied": ("满意", "satisfied"),
    "basically": ("基本满意", "basically satisfied"),
    "unsatisfied": ("不满意", "unsatisfied"),
    "satisfaction_rate": ("满意率", "satisfaction rate"),
}


def unit_summary(
    records: Records, *, role: str | None = None, as_of=None, lang: str = "zh"
) -> pd.DataFrame:
    """Per unit (index: org id; column `unit` its name): recommendations assigned, answered,
    answered on time (the first answer by the first deadline), overdue unanswered, the ratings
    given (满意 / 基本满意 / 不满意) and 满意率 = (满意 + 基本满意) / ratings (NaN without one).

    The counts leave through hehu.disclosure as every figure does; they count offices' work,
    not people (as the figures of recommendations do), so no role sees them hidden.
    """
    from hehu import disclosure

    a = assignments(records, as_of=as_of)
    ratings = a[["org_id", "ratings"]].explode("ratings").dropna()
    frame = pd.DataFrame(
        {
            "assigned": a.groupby("org_id").size(),
            "answered": a[a["answered_at"].notna()].groupby("org_id").size(),
            "answered_on_time": a[a["first_on_time"].eq(True)].groupby("org_id").size(),
            "overdue": a[a["overdue"]].groupby("org_id").size(),
            **{k: ratings[ratings["ratings"] == k].groupby("org_id").size() for k in vocab.RATINGS},
        },
        columns=[c for c in SUMMARY_COLUMNS if c != "satisfaction_rate"],
    )
    frame = frame.fillna(0).astype(int)
    given = frame[list(vocab.RATINGS)].sum(axis=1)
    frame["satisfaction_rate"] = frame[list(SATISFIED_RATINGS)].sum(axis=1) / given.where(given > 0)
    rules = disclosure.Rules(
        counts=(),  # no column counts people
        rates={"satisfaction_rate": (*vocab.RATINGS,)},
    )
    shown = disclosure.disclose({"all": frame}, "all", rules, role)
    names = records["org"].set_index("org_id")["name"]
    shown.insert(0, "unit", shown.index.map(lambda o: names.get(o, o)))
    shown.index.name = "org_id"
    return shown
