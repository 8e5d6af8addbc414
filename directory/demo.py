"""Demo directory: every unit named in the seed telegram plus plausible autonomous-region units, and one
user per role. Passwords are fixed demo values (printed by seed_demo); never use them in production."""
from __future__ import annotations

# (name, short_name, aliases, parent)
UNITS: list[tuple[str, str, list[str], str]] = [
    # Named in the seed (../shared/seed/): sender, 批办 target, 抄送, 主送 groups.
    ("中华全国总工会", "全总", ["全国总工会"], ""),
    ("中华全国总工会办公厅", "全总办公厅", [], "中华全国总工会"),
    ("自治区总工会", "区总工会", ["宁夏回族自治区总工会", "总工会"], ""),  # locally, "总工会" is ours
    ("新疆生产建设兵团总工会", "兵团总工会", [], ""),
    ("中央和国家机关工会联合会", "中央和国家机关工会联合会", [], ""),
    ("银川市总工会", "银川市总工会", [], ""),
    # Autonomous-region units.
    ("自治区人民政府办公厅", "政府办公厅", ["区政府办公厅"], ""),
    ("自治区党委办公厅", "党委办公厅", ["区党委办公厅"], ""),
    ("自治区党委组织部", "组织部", ["区党委组织部"], ""),
    ("自治区党委宣传部", "宣传部", ["区党委宣传部"], ""),
    ("自治区财政厅", "财政厅", ["区财政厅"], ""),
    ("自治区人力资源和社会保障厅", "人社厅", ["人力资源社会保障厅"], ""),
    ("自治区民政厅", "民政厅", [], ""),
    ("自治区教育厅", "教育厅", [], ""),
    ("自治区卫生健康委员会", "卫健委", ["卫生健康委"], ""),
    ("自治区发展和改革委员会", "发改委", ["发展改革委"], ""),
    ("自治区公安厅", "公安厅", [], ""),
    ("自治区应急管理厅", "应急管理厅", ["应急厅"], ""),
    ("自治区交通运输厅", "交通运输厅", ["交通厅"], ""),
    ("自治区农业农村厅", "农业农村厅", ["农业厅"], ""),
    ("国务院办公厅", "国办", [], ""),
]

PASSWORD = "Demo-2026-mingdian"

# (username, full name, role, unit or "")
USERS: list[tuple[str, str, str, str]] = [
    ("clerk", "王机要", "机要员", "自治区党委办公厅"),
    ("leader", "李领导", "领导", ""),
    ("leader2", "陈领导", "领导", ""),  # a second leader: 传阅 goes from one leader to the next
    ("zonggonghui", "张承办", "承办人", "自治区总工会"),
    ("caizheng", "赵承办", "承办人", "自治区财政厅"),
    ("admin", "刘管理", "管理员", ""),
]
