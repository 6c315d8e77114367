"""Demo details of who ran each programme and how (schema 7): the host bodies of the studios,
the laws each legal event publicised, the federation's WeChat columns, the deputies' outreach
in villages, screening agencies and the disputes the deliberation meetings resolved.

Drawn from a generator of their own (`hehu.records.demo` passes it), so that every record and
figure the demo drew before stays as it was.
"""

from __future__ import annotations

import datetime as dt
import random

from hehu.records import vocab

# The body each studio is run by (the source: 县妇联, 司法局, 县检察院); stations are run by
# their town's federation.
STUDIO_HOSTS = {
    "studio_shuiyanping": "fed_county",
    "studio_luyunhui": "fed_county",
    "studio_zhangshujin": "agency_justice",
    "studio_huajie": "agency_justice",
    "studio_xiaoyudi": "agency_procuratorate",
}
# The federation's WeChat account 涟水妇联 and its two legal columns (the source's 普法专栏).
WECHAT_COLUMNS = ["法驻幸福家", "帼彤公益说法"]
DEPUTIES_OUTREACH_EVENTS = 16

_LAWS = {
    "womens_rights_week": [("constitution", "womens_rights"), ("womens_rights", "anti_dv")],
    "family_day": [("civil_code", "anti_dv"), ("civil_code", "womens_rights")],
    "anti_drug_day": [("other",), ("minors", "other")],
    "shouhu_huakai": [("civil_code", "anti_dv"), ("minors", "anti_dv"), ("civil_code",)],
}


def programme_details(
    rng: random.Random,
    events: list[dict],
    screenings: list[dict],
    deliberations: list[dict],
    key_villages: list[str],
    start: dt.date,
    end: dt.date,
) -> None:
    """Set the laws, channel and column of every event, add the deputies' outreach (between
    `start` and `end`), and set screening agencies and disputes resolved, in place."""
    posts = 0
    for event in events:
        if event["format"] == "online":  # the federation's posts: its two WeChat columns
            event["channel"] = "wechat"
            event["column_name"] = WECHAT_COLUMNS[posts % len(WECHAT_COLUMNS)]
            event["laws"] = vocab.join_keys(rng.choice([("civil_code",), ("anti_dv",)]))
            posts += 1
        else:
            event["channel"] = "on_site"
            event["column_name"] = None
            event["laws"] = vocab.join_keys(rng.choice(_LAWS.get(event["campaign"], [("other",)])))
    # 专业人大代表工作小组深入田间地头: advice in the fields of key villages, not lectures (the
    # report's 70 lectures are the 守护花开 ones).
    for _ in range(DEPUTIES_OUTREACH_EVENTS):
        events.append(
            {
                "event_id": f"D-E-{len(events) + 1:04d}",
                "date": start + dt.timedelta(days=rng.randint(0, (end - start).days)),
                "place_code": rng.choice(key_villages),
                "org_id": "deputies_group",
                "campaign": "other",
                "format": rng.choice(["consultation", "materials"]),
                "audience": rng.randint(20, 80),
                "laws": vocab.join_keys(
                    rng.choice([("constitution", "womens_rights"), ("civil_code", "anti_dv")])
                ),
                "channel": "on_site",
                "column_name": None,
            }
        )
    for screening in screenings:  # 妇联、公安、司法等多部门联动
        screening["org_id"] = rng.choices(
            ["fed_county", "agency_police", "agency_justice"], weights=[70, 18, 12]
        )[0]
    for meeting in deliberations:
        meeting["disputes_resolved"] = rng.randint(0, 3)
