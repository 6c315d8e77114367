"""The demo's oversight: the source's 2022-05-18 inspection, its two recommendations (the
source's own words), what it found (synthetic, marked 示例), and the cycle so far.

The inspection, its places and its recommendations come from the 2022 report; the findings
restate, as problems, what the recommendations ask to fix, and are made up like every person and
date of the demo.
"""

from __future__ import annotations

import datetime as dt

from hehu.records import vocab
from hehu.records.schema import first_unit

STUDIOS_INSPECTED = [
    "studio_xiaoyudi",
    "studio_shuiyanping",
    "studio_luyunhui",
    "studio_huajie",
]


def oversight_records(county: str, seat: str, orgs: list[dict]) -> dict[str, list[dict]]:
    """The inspection, its findings and recommendations, their units and history, as records
    (`orgs`: the demo's organisations, which say which are units)."""
    inspection = {
        "inspection_id": "INS-2022-05-18",
        "date": dt.date(2022, 5, 18),
        "committee": "县人大常委会教科文卫委",
        "deputies": "教科文卫工委委员、人大代表",
        "places": seat,
        "orgs": ";".join(STUDIOS_INSPECTED),
        "summary": "调研县检察院“小雨滴工作室”、“水燕平维权快递工作室”、“陆云惠婚姻家庭纠纷调解室”、"
        "“华姐家事调解工作室”等调解工作室，肯定县妇联打造婚调工作示范点、发挥律师和全国优秀调解员专业优势的做法。",
    }
    recommendations = [
        {
            "rec_id": "REC-2022-05-18-1",
            "inspection_id": inspection["inspection_id"],
            "place_code": county,
            "text": "充分发动镇、村妇联干部、司法工作者、网格员等力量，吸纳更多专业人员、基层工作者到志愿者队伍，"
            "把法律服务延伸到农村、拓展至家庭。",
            "responsible_org": "fed_county",
            "due_date": dt.date(2022, 12, 31),
            "status": "in_progress",
            "response": "示例：已在 38 个重点帮促村建立妇女儿童之家，志愿者队伍扩充中。",
        },
        {
            "rec_id": "REC-2022-05-18-2",
            "inspection_id": inspection["inspection_id"],
            "place_code": county,
            "text": "县妇联开展常态化走访：有不满情绪必访、困难家庭必访、空巢老人及留守妇女儿童家庭必访、"
            "有婚姻家庭矛盾纠纷必访、有暴力问题家庭必访、生产经营遇到困难的创业女性必访。",
            "responsible_org": "fed_county",
            "due_date": dt.date(2022, 11, 30),
            "status": "open",
            "response": "",
        },
    ]

    units = vocab.unit_org_ids((o["org_id"], o["kind"]) for o in orgs)
    findings = [
        {
            "finding_id": "INS-2022-05-18-F1",
            "inspection_id": inspection["inspection_id"],
            "place_code": county,
            "text": "示例：法律服务尚未充分延伸到农村和家庭，基层志愿者队伍中专业人员偏少。",
            "rec_id": recommendations[0]["rec_id"],
        },
        {
            "finding_id": "INS-2022-05-18-F2",
            "inspection_id": inspection["inspection_id"],
            "place_code": county,
            "text": "示例：困难家庭走访尚未形成常态，六类必访家庭没有统一台账。",
            "rec_id": recommendations[1]["rec_id"],
        },
    ]
    return {
        "inspection": [inspection],
        "recommendation": recommendations,
        # Schema 10: each recommendation assigned to its unit on the day of the inspection.
        "recommendation_unit": [
            unit
            for r in recommendations
            if (unit := first_unit(r, (), units=units, at=dt.datetime(2022, 5, 18, 2), by=""))
        ],
        # The cycle so far (hehu.oversight.cycle): both assigned by the committee on the day of
        # the inspection, and the federation's answer that the first is in progress.
        "recommendation_update": [
            *(
                {
                    "update_id": f"UPD-DEMO-{r['rec_id']}-assign",
                    "rec_id": r["rec_id"],
                    "at": dt.datetime(2022, 5, 18, 2),
                    "actor": inspection["committee"],
                    "kind": "assign",
                    "status": "open",
                    "response": "",
                    "org_id": r["responsible_org"],
                    "due_date": r["due_date"],
                }
                for r in recommendations
            ),
            {
                "update_id": "UPD-DEMO-REC-2022-05-18-1-answer",
                "rec_id": "REC-2022-05-18-1",
                "at": dt.datetime(2022, 9, 15, 2),
                "actor": "涟水县妇联",
                "kind": "answer",
                "status": "in_progress",
                "response": recommendations[0]["response"],
                "org_id": "fed_county",
            },
        ],
        "finding": findings,
    }
