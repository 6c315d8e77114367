"""Every refusal of the cycle of 交办, 答复, 满意度 and 办结 (`hehu.oversight.cycle`), in Chinese
and English."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "not_allowed": ("{role}不能{action}", "a {role_en} cannot {action_en}"),
    "no_actor": (
        "未登录，不能保存：请重新登录后再试",
        "not signed in, nothing saved: sign in again",
    ),
    "bad_role": ("未知的角色：{role}", "unknown role: {role}"),
    "unit_needed": ("承办单位用户没有所属单位", "a unit user without a unit"),
    "unit_refused": ("只有承办单位用户属于单位", "only a unit user belongs to a unit"),
    "unknown_unit": ("不是承办单位：{unit}", "not a unit responsible: {unit}"),
    "no_rec": ("未找到意见建议：{rec}", "no such recommendation: {rec}"),
    "not_yours": (
        "没有交办给本单位的意见建议：{rec}",
        "no recommendation {rec} assigned to your unit",
    ),
    "not_assigned": (
        "意见建议 {rec} 未交办给 {unit}",
        "recommendation {rec} is not assigned to {unit}",
    ),
    "already_assigned": (
        "意见建议 {rec} 已交办给 {unit}；要改期限请重新交办",
        "recommendation {rec} is already assigned to {unit}; reopen it for a new deadline",
    ),
    "no_units": ("请至少选择一个承办单位", "choose at least one unit"),
    "closed": ("意见建议 {rec} 已办结，不能再更改", "recommendation {rec} is closed"),
    "not_closed": ("意见建议 {rec} 尚未办结", "recommendation {rec} is not closed"),
    "due_needed": ("请为 {unit} 填写办理期限", "give {unit} a deadline"),
    "bad_due": ("办理期限格式不正确：{value}", "bad deadline: {value}"),
    "due_before": (
        "办理期限 {due} 早于 {day}",
        "the deadline {due} is before {day}",
    ),
    "bad_status": ("未知的办理状态：{status}", "unknown status: {status}"),
    "answer_needed": ("请填写办理情况", "say what was done"),
    "reason_needed": ("不能办结须说明理由", "say why it cannot be done"),
    "bad_rating": ("未知的测评结果：{rating}", "unknown rating: {rating}"),
    "nothing_to_rate": (
        "{unit} 尚未就意见建议 {rec} 答复，没有可测评的答复",
        "{unit} has not answered recommendation {rec} since it was last assigned",
    ),
    "rated_twice": ("您已测评过该答复", "you have rated this answer already"),
    "new_due_needed": (
        "不满意须重新交办：请填写新的办理期限",
        "unsatisfied reopens it: give a new deadline",
    ),
    "no_finding": ("未找到视察发现的问题：{finding}", "no such finding: {finding}"),
    "unanswered": (
        "{units} 尚未答复，暂不能办结",
        "{units} has not answered yet: it cannot be closed",
    ),
    # 已办结 says the units did it: with none assigned, nobody answered for it (不能办结 and
    # its reason stay open to deputies and staff).
    "done_unassigned": (
        "意见建议 {rec} 尚未交办给任何承办单位，不能标为已办结：请先交办，或选择“不能办结”并说明理由",
        "recommendation {rec} is assigned to no unit: assign it first, "
        'or close it as "cannot be done" with a reason',
    ),
}
