//! The closed enumerations of the data contract, each value with its code,
//! Chinese label, English label and the other spellings exports use.
//!
//! An unknown value is a quarantine reason, never a new category.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One value of an enumeration: what is stored, and how people write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnumValue {
    /// The code stored in the tables (English snake_case).
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    /// Other spellings found in exports (short forms, older labels).
    pub aliases: &'static [&'static str],
}

/// Folds a raw cell for label comparison: trims, drops inner spaces and
/// underscores/hyphens, and lower-cases ASCII.
pub(crate) fn fold(s: &str) -> String {
    folded(s).collect()
}

/// The characters of [`fold`], without collecting them.
fn folded(s: &str) -> impl Iterator<Item = char> + Clone + '_ {
    s.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '　'))
        .flat_map(char::to_lowercase)
}

impl EnumValue {
    /// The code, the labels and the aliases.
    fn labels(&self) -> impl Iterator<Item = &'static str> {
        [self.code, self.zh, self.en]
            .into_iter()
            .chain(self.aliases.iter().copied())
    }
}

/// Finds the value whose code, Chinese label, English label or alias is `raw`.
/// Written exactly (as the tables store codes), it is found without
/// folding; nothing is allocated either way, as reports look up every cell.
pub fn parse_value(values: &'static [EnumValue], raw: &str) -> Option<&'static EnumValue> {
    if let Some(v) = values.iter().find(|v| v.labels().any(|l| l == raw)) {
        return Some(v);
    }
    let key = folded(raw);
    // Nothing but spaces and separators names no value.
    key.clone().next()?;
    values
        .iter()
        .find(|v| v.labels().any(|l| folded(l).eq(key.clone())))
}

/// Defines a contract enumeration with its labels.
macro_rules! contract_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $variant:ident => $code:literal, $zh:literal, $en:literal $(, [$($alias:literal),* $(,)?])? ; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $( $variant, )+ }

        impl $name {
            /// Every value, in contract order.
            pub const ALL: &'static [Self] = &[ $( Self::$variant, )+ ];
            /// The values with their labels, in contract order.
            pub const VALUES: &'static [EnumValue] = &[
                $( EnumValue { code: $code, zh: $zh, en: $en, aliases: &[$($($alias),*)?] }, )+
            ];

            pub fn info(self) -> &'static EnumValue {
                &Self::VALUES[self as usize]
            }
            /// The stored code.
            pub fn code(self) -> &'static str { self.info().code }
            pub fn label_zh(self) -> &'static str { self.info().zh }
            pub fn label_en(self) -> &'static str { self.info().en }
            /// Parses a code, a Chinese or English label or a known alias.
            pub fn parse(raw: &str) -> Option<Self> {
                let v = parse_value(Self::VALUES, raw)?;
                Self::ALL.iter().copied().find(|x| x.code() == v.code)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s).ok_or_else(|| {
                    let known: Vec<String> = Self::VALUES
                        .iter()
                        .map(|v| format!("{} ({})", v.code, v.zh))
                        .collect();
                    format!("`{s}` is not one of: {}", known.join(", "))
                })
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

contract_enum! {
    /// 层级: where a unit sits in the tree.
    UnitLevel {
        City => "city", "市级", "city", ["市", "市本级"];
        District => "district", "区", "district", ["区县", "区级"];
        Bureau => "bureau", "委办局", "bureau", ["市直部门", "局"];
        Street => "street", "街道乡镇", "street or town", ["街道", "乡镇", "street"];
        Community => "community", "社区村", "community or village", ["社区", "村"];
        Soe => "soe", "国有企业", "state-owned enterprise", ["国企", "SOE"];
        University => "university", "高等院校", "university", ["高校"];
        Other => "other", "其他", "other";
    }
}

contract_enum! {
    /// 职务类别 of a leadership-team member.
    LeaderRole {
        TopLeader => "top_leader", "一把手", "top leader", ["主要负责人"];
        Member => "member", "班子成员", "team member", ["领导班子成员", "班子其他成员"];
    }
}

contract_enum! {
    /// 干部层级: which body manages the cadre.
    Rank {
        CityManaged => "city_managed", "市管", "city-managed", ["市管干部"];
        DistrictManaged => "district_managed", "区管", "district-managed", ["区管干部"];
        Other => "other", "其他", "other";
    }
}

contract_enum! {
    /// 来源渠道 of a petition.
    Channel {
        Letter => "letter", "来信", "letter";
        Visit => "visit", "来访", "visit";
        Phone => "phone", "来电", "phone call", ["电话"];
        Online => "online", "网络", "online", ["网络举报", "网上"];
        Referral => "referral", "上级转办", "referral", ["转办", "上级交办"];
    }
}

contract_enum! {
    /// 信访类别.
    PetitionClass {
        Accusation => "accusation", "检举控告", "accusation", ["检举", "控告"];
        Suggestion => "suggestion", "批评建议", "suggestion";
        Appeal => "appeal", "申诉", "appeal";
        OutOfScope => "out_of_scope", "业务范围外", "out of scope", ["业务范围外信访"];
    }
}

contract_enum! {
    /// 被反映人职务类别 / 职务类别 in petitions and cases.
    PersonRole {
        TopLeader => "top_leader", "一把手", "top leader", ["主要负责人"];
        Member => "member", "班子成员", "team member", ["领导班子成员", "班子其他成员"];
        Other => "other", "其他", "other", ["一般干部"];
        Unknown => "unknown", "不详", "unknown", ["未知"];
    }
}

contract_enum! {
    /// 重点领域.
    KeyField {
        Approval => "approval", "审批监管", "approval and regulation";
        Construction => "construction", "工程建设", "construction";
        Resources => "resources", "资源开发", "resource development";
        Finance => "finance", "金融信贷", "finance and credit";
        Land => "land", "土地规划", "land planning";
        Enforcement => "enforcement", "执法司法", "law enforcement and judiciary";
        Other => "other", "其他", "other";
    }
}

impl KeyField {
    /// The six key fields the policy names (clause 十七), without `other`.
    pub const KEY: &'static [Self] = &[
        Self::Approval,
        Self::Construction,
        Self::Resources,
        Self::Finance,
        Self::Land,
        Self::Enforcement,
    ];
}

contract_enum! {
    /// 问题类别 / 违纪类别: the six disciplines and more.
    Discipline {
        Political => "political", "政治纪律", "political", ["政治"];
        Organisational => "organisational", "组织纪律", "organisational", ["组织", "organizational"];
        Integrity => "integrity", "廉洁纪律", "integrity", ["廉洁"];
        Mass => "mass", "群众纪律", "mass", ["群众"];
        Work => "work", "工作纪律", "work", ["工作"];
        Personal => "personal", "生活纪律", "personal", ["生活"];
        Legal => "legal", "涉法", "legal", ["涉法问题", "违法"];
        Other => "other", "其他", "other";
    }
}

contract_enum! {
    /// 处置方式 of a clue.
    Disposition {
        Talk => "talk", "谈话函询", "talk or letter inquiry", ["谈话", "函询"];
        Verify => "verify", "初步核实", "preliminary verification", ["核实"];
        Hold => "hold", "暂存待查", "hold", ["暂存"];
        Close => "close", "予以了结", "close", ["了结"];
        Refer => "refer", "转办", "refer";
    }
}

contract_enum! {
    /// 监督类型 of a finding.
    InspectionKind {
        Inspection => "inspection", "巡视", "inspection";
        Circuit => "circuit", "巡察", "circuit inspection";
        FollowUp => "follow_up", "回头看", "follow-up";
        Audit => "audit", "审计", "audit", ["经济责任审计"];
    }
}

contract_enum! {
    /// 整改状态.
    RectificationStatus {
        Done => "done", "已完成", "done", ["完成", "已整改"];
        Ongoing => "ongoing", "推进中", "ongoing", ["整改中", "正在整改"];
        NotStarted => "not_started", "未启动", "not started", ["未整改"];
        LongTerm => "long_term", "长期坚持", "long term";
    }
}

contract_enum! {
    /// 线索来源 of a case.
    CaseSource {
        Petition => "petition", "信访举报", "petition";
        Inspection => "inspection", "巡视巡察", "inspection";
        Audit => "audit", "审计", "audit";
        SelfCheck => "self", "自查", "self-check", ["自查自纠"];
        Referral => "referral", "移送", "referral", ["有关部门移送"];
        Other => "other", "其他", "other";
    }
}

contract_enum! {
    /// 处理结果 of a case.
    Sanction {
        NoSanction => "none", "未处分", "none", ["无", "免予处分"];
        PartyLight => "party_light", "党纪轻处分", "light party sanction";
        PartyHeavy => "party_heavy", "党纪重处分", "heavy party sanction";
        Government => "government", "政务处分", "government sanction";
        Prosecution => "prosecution", "移送司法", "prosecution", ["移送检察机关"];
    }
}

contract_enum! {
    /// 活动类型 of a supervision activity (clauses 八, 十, 二十二).
    ActivityKind {
        Talk => "talk", "谈心谈话", "talk", ["谈话"];
        Attendance => "attendance", "列席常委会会议", "attendance at a committee meeting", ["列席", "列席党委常委会", "列席党组会议"];
        DemocraticLife => "democratic_life", "参加民主生活会", "democratic life meeting", ["民主生活会", "指导民主生活会"];
        AppointmentTalk => "appointment_talk", "任职廉政谈话", "appointment integrity talk", ["廉政谈话", "任前廉政谈话"];
    }
}

contract_enum! {
    /// 监督主体: who carried out a supervision activity.
    SupervisingBody {
        Discipline => "discipline", "纪检机关", "discipline inspection body", ["纪委监委", "纪委"];
        Organisation => "organisation", "组织部门", "organisation department", ["组织部"];
        Committee => "committee", "党委", "party committee", ["党委（党组）", "党组"];
    }
}

contract_enum! {
    /// 预警类型: the detector that raised a flag, as the disposition
    /// ledger names it (the codes are the detectors' names).
    FlagKind {
        Concentration => "concentration", "信访举报比较集中", "petitions concentrate", ["信访举报集中"];
        SubtreeRise => "subtree_rise", "辖区信访举报普遍上升", "petitions rise across an area";
        KeyField => "key_field", "重点领域风险", "key-field risk";
        CommonProblem => "common_problem", "普遍性问题", "common problem";
        Prominent => "prominent_complaints", "社会反映突出", "prominent complaints";
        TopLeaderClues => "top_leader_clues", "一把手问题线索超期", "top-leader clues overdue";
        Rectification => "rectification", "整改逾期", "rectification overdue";
        Conversion => "conversion", "信访举报转化率偏低", "low conversion";
        RiskScore => "risk_score", "政治生态风险", "political-ecology risk";
        ReplyOverdue => "reply_overdue", "督促回复逾期", "reply overdue";
        NoAction => "no_action", "预警未处置", "flag not acted on";
        FeedbackOverdue => "feedback_overdue", "建议反馈逾期", "recommendation feedback overdue";
        ReturnVisitMissing => "return_visit_missing", "建议未回访", "return visit missing";
        NotCopied => "not_copied", "建议未抄送分管市领导", "not copied to the leader in charge";
        NotAssessed => "not_assessed", "建议落实未纳入考核", "not counted in the assessment";
    }
}

contract_enum! {
    /// 处置措施: what was done about a flag (one ledger row per action).
    FlagAction {
        Notice => "notice", "督促查找原因", "notice to find causes", ["督促查找分析原因", "督促"];
        Talk => "talk", "谈心谈话", "talk";
        Admonish => "admonish", "约谈", "admonishing talk";
        Inquiry => "inquiry", "函询", "written inquiry";
        Verify => "verify", "初步核实", "preliminary verification", ["核实"];
        Case => "case", "立案审查", "case opened", ["立案"];
        Close => "close", "了结", "closed", ["予以了结"];
        Hold => "hold", "暂存待查", "held", ["暂存"];
        Clarify => "clarify", "予以澄清", "cleared", ["澄清", "澄清正名"];
    }
}

contract_enum! {
    /// 核实结论: what checking a flag found.
    Verdict {
        True => "true", "属实", "borne out";
        Partly => "partly", "部分属实", "partly borne out";
        Untrue => "untrue", "不属实", "not borne out";
        Normal => "normal", "正常波动", "normal fluctuation";
        Unknown => "unknown", "尚未查明", "not yet known", ["未查明"];
    }
}

impl Verdict {
    /// Borne out in full or in part.
    pub fn borne_out(self) -> bool {
        matches!(self, Verdict::True | Verdict::Partly)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_enum_parses_its_own_labels() {
        fn check(values: &'static [EnumValue]) {
            for v in values {
                for label in [v.code, v.zh, v.en].iter().chain(v.aliases) {
                    let found = parse_value(values, label).expect(label);
                    assert_eq!(found.code, v.code, "{label}");
                    // Written with noise, it is found by folding.
                    let noisy = format!(" {} ", label.to_uppercase());
                    let found = parse_value(values, &noisy).expect(label);
                    assert_eq!(found.code, v.code, "{noisy}");
                }
            }
        }
        for values in [
            UnitLevel::VALUES,
            LeaderRole::VALUES,
            Rank::VALUES,
            Channel::VALUES,
            PetitionClass::VALUES,
            PersonRole::VALUES,
            KeyField::VALUES,
            Discipline::VALUES,
            Disposition::VALUES,
            InspectionKind::VALUES,
            RectificationStatus::VALUES,
            CaseSource::VALUES,
            Sanction::VALUES,
            ActivityKind::VALUES,
            SupervisingBody::VALUES,
            FlagKind::VALUES,
            FlagAction::VALUES,
            Verdict::VALUES,
        ] {
            check(values);
        }
    }

    #[test]
    fn parses_chinese_and_english_with_noise() {
        assert_eq!(KeyField::parse("工程建设"), Some(KeyField::Construction));
        assert_eq!(
            KeyField::parse(" Construction "),
            Some(KeyField::Construction)
        );
        assert_eq!(
            KeyField::parse("construction"),
            Some(KeyField::Construction)
        );
        assert_eq!(Channel::parse("来 信"), Some(Channel::Letter));
        assert_eq!(PersonRole::parse("TOP_LEADER"), Some(PersonRole::TopLeader));
        assert_eq!(PersonRole::parse("top leader"), Some(PersonRole::TopLeader));
        assert_eq!(Disposition::parse("谈话函询"), Some(Disposition::Talk));
        assert_eq!(Sanction::parse("党纪重处分"), Some(Sanction::PartyHeavy));
        assert_eq!(KeyField::parse("教育医疗"), None);
        assert_eq!(KeyField::parse(""), None);
        assert_eq!(KeyField::parse(" _ "), None);
    }

    #[test]
    fn codes_are_stable_and_labelled() {
        assert_eq!(KeyField::Land.code(), "land");
        assert_eq!(KeyField::Land.label_zh(), "土地规划");
        assert_eq!(KeyField::KEY.len(), 6);
        assert_eq!(UnitLevel::ALL.len(), 8);
        let err = "x".parse::<Channel>().expect_err("unknown");
        assert!(err.contains("来信"), "{err}");
    }
}
