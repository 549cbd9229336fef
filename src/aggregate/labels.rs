//! Chinese headers for the metric tables (Excel workbooks, reports):
//! `petitions_field_land` → `信访举报重点领域：土地规划`.

use crate::model::{
    CaseSource, Channel, Discipline, EnumValue, KeyField, LeaderRole, PetitionClass, Sanction,
};

const BASE: &[(&str, &str)] = &[
    ("unit_id", "单位编码"),
    ("name", "单位名称"),
    ("level", "层级"),
    ("parent_id", "上级单位编码"),
    ("headcount", "干部职工人数"),
    ("quarter", "季度"),
    ("person_id", "人员编码"),
    ("role", "职务类别"),
    ("petitions", "信访举报件数"),
    ("petitions_top_leader", "反映一把手件数"),
    ("petitions_member", "反映班子其他成员件数"),
    ("petitions_signed", "署名件数"),
    ("petitions_repeat", "重复件数"),
    ("clues", "问题线索数"),
    ("clues_top_leader", "涉及一把手问题线索数"),
    ("clues_disposed", "已处置问题线索数"),
    ("clues_open_at_end", "季末未处置问题线索数"),
    ("clues_top_leader_overdue", "涉及一把手问题线索超期未处置数"),
    (
        "clue_days_top_leader_median",
        "一把手问题线索处置天数（中位数）",
    ),
    (
        "clue_days_top_leader_p90",
        "一把手问题线索处置天数（90%分位）",
    ),
    ("findings", "巡视巡察发现问题数"),
    ("findings_top_leader", "涉及一把手发现问题数"),
    ("cases", "立案数"),
    ("cases_top_leader", "涉及一把手立案数"),
    ("cases_closed", "结案数"),
    ("rectifications_due", "本季度到期整改数"),
    ("rectifications_due_done_on_time", "到期整改按时完成数"),
    ("rectifications_due_done_late", "到期整改逾期完成数"),
    ("rectifications_overdue_open", "季末超期未完成整改数"),
    ("findings_repeated_at_follow_up", "回头看再次发现同类问题数"),
    ("rectification_completion_rate", "到期整改完成率"),
    ("amount_yuan", "涉案金额(元)"),
    ("flag_id", "预警编号"),
    ("detector", "预警类型"),
    ("dataset", "数据集"),
    ("record_id", "记录编号"),
    ("date", "日期"),
    ("field", "重点领域"),
    ("class", "类别"),
    ("reporter_key", "举报人（化名）"),
    ("summary", "内容摘要"),
];

const GROUPS: &[(&str, &str, &[EnumValue])] = &[
    ("petitions_class_", "信访类别：", PetitionClass::VALUES),
    ("petitions_channel_", "来源渠道：", Channel::VALUES),
    ("petitions_discipline_", "问题类别：", Discipline::VALUES),
    ("petitions_field_", "信访举报重点领域：", KeyField::VALUES),
    ("findings_field_", "发现问题重点领域：", KeyField::VALUES),
    ("cases_sanction_", "处理结果：", Sanction::VALUES),
    ("cases_field_", "案件重点领域：", KeyField::VALUES),
    ("cases_source_", "线索来源：", CaseSource::VALUES),
];

const SUFFIXES: &[(&str, &str)] = &[
    ("_per_100", "（每百人）"),
    ("_prev_quarter", "（上季度）"),
    ("_year_before", "（去年同期）"),
];

/// The Chinese header of a metric-table column; unknown names are kept as they are.
pub fn label_zh(column: &str) -> String {
    for (suffix, zh) in SUFFIXES {
        if let Some(base) = column.strip_suffix(suffix) {
            return format!("{}{zh}", label_zh(base));
        }
    }
    if let Some((_, zh)) = BASE.iter().find(|(c, _)| *c == column) {
        return zh.to_string();
    }
    if let Some(n) = column.strip_prefix("cases_form_") {
        return format!(
            "第{}种形态",
            ["一", "二", "三", "四"]
                .get(n.parse::<usize>().unwrap_or(0).wrapping_sub(1))
                .unwrap_or(&n)
        );
    }
    for (prefix, zh, values) in GROUPS {
        if let Some(v) = column
            .strip_prefix(prefix)
            .and_then(|code| values.iter().find(|v| v.code == code))
        {
            return format!("{zh}{}", v.zh);
        }
    }
    column.to_string()
}

/// A cell value shown in Chinese where it is a contract code (levels, roles).
pub fn value_zh(column: &str, value: &str) -> Option<&'static str> {
    match column {
        "level" => crate::model::UnitLevel::parse(value).map(|l| l.label_zh()),
        "role" => LeaderRole::parse(value).map(|r| r.label_zh()),
        "field" => KeyField::parse(value).map(|f| f.label_zh()),
        "detector" => crate::model::FlagKind::parse(value).map(|k| k.label_zh()),
        "dataset" => crate::model::Dataset::parse(value).map(|d| d.label_zh()),
        "class" => PetitionClass::parse(value)
            .map(|c| c.label_zh())
            .or_else(|| crate::model::InspectionKind::parse(value).map(|k| k.label_zh()))
            .or_else(|| Discipline::parse(value).map(|d| d.label_zh()))
            .or_else(|| crate::model::FlagAction::parse(value).map(|a| a.label_zh())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_column_gets_a_chinese_header() {
        assert_eq!(label_zh("petitions"), "信访举报件数");
        assert_eq!(
            label_zh("petitions_field_land"),
            "信访举报重点领域：土地规划"
        );
        assert_eq!(label_zh("cases_form_3"), "第三种形态");
        assert_eq!(
            label_zh("cases_sanction_party_heavy"),
            "处理结果：党纪重处分"
        );
        assert_eq!(label_zh("petitions_per_100"), "信访举报件数（每百人）");
        assert_eq!(label_zh("clues_year_before"), "问题线索数（去年同期）");
        assert_eq!(label_zh("something_new"), "something_new");
        assert_eq!(value_zh("level", "district"), Some("区"));
    }
}
