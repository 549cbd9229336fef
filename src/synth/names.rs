//! Word lists for the synthetic city: unit names, reporter names and
//! petition summaries. Every name is invented.

use rand::Rng;

use crate::model::KeyField;

pub(crate) const CITY: &str = "京华市";

pub(crate) const DISTRICTS: &[&str] = &[
    "东湖区",
    "西岭区",
    "南苑区",
    "北辰区",
    "青云区",
    "明水区",
    "金台区",
    "玉泉区",
    "长河区",
    "松山区",
    "柳营区",
    "凤鸣区",
    "清源区",
    "石门区",
    "龙潭区",
    "白塔区",
];

pub(crate) const BUREAUS: &[&str] = &[
    "市发展改革委",
    "市教委",
    "市科委",
    "市经济和信息化局",
    "市民族宗教委",
    "市公安局",
    "市民政局",
    "市司法局",
    "市财政局",
    "市人力资源社会保障局",
    "市规划自然资源委",
    "市生态环境局",
    "市住房城乡建设委",
    "市城市管理委",
    "市交通委",
    "市水务局",
    "市农业农村局",
    "市商务局",
    "市文化和旅游局",
    "市卫生健康委",
    "市退役军人事务局",
    "市应急管理局",
    "市审计局",
    "市政务服务局",
    "市国资委",
    "市市场监管局",
    "市广电局",
    "市体育局",
    "市统计局",
    "市园林绿化局",
    "市医保局",
    "市地方金融管理局",
    "市信访办",
    "市人防办",
    "市粮食和物资储备局",
    "市药监局",
    "市知识产权局",
    "市城市更新局",
    "市住房公积金管理中心",
    "市税务局",
    "市消防救援总队",
    "市中级人民法院",
    "市人民检察院",
    "市公共资源交易中心",
    "市不动产登记中心",
];

pub(crate) const SOES: &[&str] = &[
    "市城建投资集团",
    "市能源&热力集团",
    "市首创水务集团",
    "市交通投资集团",
    "市公交集团",
    "市地铁运营公司",
    "市农商银行",
    "市国有资本运营公司",
    "市文旅集团",
    "市医药集团",
    "市建工集团",
    "市燃气集团",
    "市电子控股公司",
    "市汽车集团",
    "市粮油集团",
    "市外贸集团",
    "市住总集团",
    "市城乡建设集团",
    "市排水集团",
    "市环卫集团",
    "市物资集团",
    "市旅游集团",
    "市信托公司",
    "市担保集团",
    "市保险公司",
    "市机场集团（股份）有限公司",
    "市港务集团",
    "市数据集团",
    "市科技创新投资集团",
    "市金融控股集团",
];

pub(crate) const UNIVERSITIES: &[&str] = &[
    "京华大学",
    "京华理工大学",
    "京华师范大学",
    "京华医科大学",
    "京华交通大学",
    "京华农林大学",
    "京华财经大学",
    "京华政法大学",
    "京华外国语大学",
    "京华工业大学",
    "京华建筑大学",
    "京华信息科技大学",
    "京华联合大学",
    "京华体育大学",
    "京华音乐学院",
    "京华美术学院",
    "京华石油化工学院",
    "京华城市学院",
    "京华电力学院",
    "京华警官学院",
];

const PLACE_A: &[&str] = &[
    "和平", "建设", "光明", "新华", "朝阳", "永安", "长春", "安定", "兴隆", "太平", "民主", "团结",
    "胜利", "前进", "解放", "丰收", "幸福", "康乐", "青年", "东风", "红星", "文化", "花园", "育才",
];
const PLACE_B: &[&str] = &[
    "里", "桥", "门", "庄", "坊", "苑", "湖", "岭", "河", "园", "寺", "坡", "营", "店", "口", "屯",
];

pub(crate) const PORTFOLIOS: &[&str] = &[
    "市委副书记",
    "市委常委、常务副市长",
    "市委常委、秘书长",
    "市委常委、政法委书记",
    "市委常委、宣传部部长",
    "市委常委、统战部部长",
];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "华", "平", "建国", "桂英", "志强", "海燕",
];

pub(crate) fn pick<'a, R: Rng>(rng: &mut R, list: &[&'a str]) -> &'a str {
    list[rng.random_range(0..list.len())]
}

/// A street or town name, unique within its district by its index.
pub(crate) fn street_name<R: Rng>(rng: &mut R, index: usize) -> String {
    let suffix = if rng.random_bool(0.7) {
        "街道"
    } else {
        "镇"
    };
    format!(
        "{}{}{}",
        pick(rng, PLACE_A),
        pick(rng, PLACE_B),
        index_suffix(index, suffix)
    )
}

pub(crate) fn community_name<R: Rng>(rng: &mut R, index: usize) -> String {
    let suffix = if rng.random_bool(0.8) {
        "社区"
    } else {
        "村"
    };
    format!("{}{}", pick(rng, PLACE_A), index_suffix(index, suffix))
}

fn index_suffix(index: usize, suffix: &str) -> String {
    const NUM: &[&str] = &["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    if index < NUM.len() {
        format!("{}{suffix}", NUM[index])
    } else {
        format!("{index}{suffix}")
    }
}

/// An invented reporter identity: a name and a mobile number, as exports
/// carry them. Ingest replaces it with a keyed hash.
pub(crate) fn reporter<R: Rng>(rng: &mut R) -> String {
    format!(
        "{}{} 1{}{:09}",
        pick(rng, SURNAMES),
        pick(rng, GIVEN),
        rng.random_range(3..=9),
        rng.random_range(0..1_000_000_000u32)
    )
}

const PROJECTS: &[&str] = &[
    "道路改造",
    "老旧小区改造",
    "学校扩建",
    "排水管网",
    "公园提升",
    "保障房",
    "医院综合楼",
];

/// A short 反映内容摘要 for a petition about `unit` in `field`.
pub(crate) fn summary<R: Rng>(rng: &mut R, unit: &str, field: Option<KeyField>) -> String {
    let who = if rng.random_bool(0.5) {
        "有关负责人"
    } else {
        "工作人员"
    };
    let text = match field {
        Some(KeyField::Approval) => pick(
            rng,
            &[
                "在行政审批中吃拿卡要",
                "违规为企业办理许可手续",
                "审批事项久拖不办",
                "监管检查走过场、收受礼品",
            ],
        )
        .to_string(),
        Some(KeyField::Construction) => format!(
            "在{}工程{}",
            pick(rng, PROJECTS),
            pick(
                rng,
                &[
                    "招投标中围标串标",
                    "违规分包转包",
                    "虚报工程量套取资金",
                    "指定施工单位"
                ]
            )
        ),
        Some(KeyField::Resources) => pick(
            rng,
            &[
                "违规审批采矿项目",
                "在矿产资源开发中入股分红",
                "纵容非法采砂",
            ],
        )
        .to_string(),
        Some(KeyField::Finance) => pick(
            rng,
            &["违规发放贷款", "利用职权为亲属企业融资", "收受借款人好处费"],
        )
        .to_string(),
        Some(KeyField::Land) => pick(
            rng,
            &[
                "违规调整规划用途",
                "在土地出让中暗箱操作",
                "违规审批宅基地",
                "放任违法占地",
            ],
        )
        .to_string(),
        Some(KeyField::Enforcement) => pick(
            rng,
            &[
                "选择性执法",
                "以罚代管、随意罚款",
                "干预案件办理",
                "充当黑恶势力保护伞",
            ],
        )
        .to_string(),
        Some(KeyField::Other) | None => pick(
            rng,
            &[
                "违规收送礼品礼金",
                "公车私用",
                "违规发放津补贴",
                "工作作风粗暴",
                "大操大办婚丧喜庆事宜",
                "违规兼职取酬",
            ],
        )
        .to_string(),
    };
    format!("反映{unit}{who}{text}。")
}

/// A 问题描述 for an inspection finding.
pub(crate) fn finding_text<R: Rng>(rng: &mut R, field: Option<KeyField>) -> String {
    let area = field.map_or("日常管理", |f| f.label_zh());
    format!(
        "{area}方面{}",
        pick(
            rng,
            &[
                "制度执行不严格",
                "监督管理存在漏洞",
                "廉政风险防控不到位",
                "“一把手”末位表态制度落实不到位",
                "“三重一大”决策程序不规范",
                "整改责任未压实"
            ]
        )
    )
}
