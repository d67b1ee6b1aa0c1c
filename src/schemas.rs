//! JSON Schemas for the project's YAML files, so that an editor with a YAML language server
//! completes keys and unit names and underlines mistakes while staff type. The month files'
//! schemas are derived from the table descriptions (a new column is known at once) and the
//! registry (unit names complete). Written to `schemas/` by `tongbao schemas` and by `tongbao new`,
//! which also puts a `# yaml-language-server: $schema=…` line at the top of each new file.

use serde_json::{Value, json};

use crate::load::yaml::UNFILLED as UNFILLED_FIGURE;
use crate::load::{Data, TableSpec};

/// The schemas folder, at the project root.
pub(crate) const DIR: &str = "schemas";

/// A figure: a whole number, or 待填 while not yet filled.
fn figure() -> Value {
    json!({"oneOf": [{"type": "integer", "minimum": 0}, {"const": UNFILLED_FIGURE}], "description": "整数；尚未填写时为“待填”"})
}

/// A figure of a column: a whole number for a count, a number (a percent may carry `%`) for a
/// column with decimals, or 待填.
fn column_figure(c: &crate::load::schema::Column) -> Value {
    use crate::load::schema::Kind;
    match c.kind {
        Kind::Count => figure(),
        Kind::Text => json!({"type": "string", "description": "文字，照写照印"}),
        Kind::Decimal { places } => json!({"oneOf": [{"type": "number", "minimum": 0}, {"const": UNFILLED_FIGURE}],
            "description": format!("最多 {places} 位小数；尚未填写时为“待填”")}),
        Kind::Percent { places } => {
            json!({"oneOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": r"^\d+(\.\d+)?%?$"}, {"const": UNFILLED_FIGURE}],
            "description": format!("百分数，最多 {places} 位小数；尚未填写时为“待填”")})
        }
    }
}

const MONTH: &str = r"^\d{4}-\d{2}$";

/// The file name of a month table's schema.
pub(crate) fn month_table(id: &str) -> String {
    format!("month-{id}.schema.json")
}

/// `{"type": "string", "description": …}`.
fn described(what: &str) -> Value {
    json!({"type": "string", "description": what})
}

/// One text or a list of texts.
fn texts(what: &str) -> Value {
    json!({"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}], "description": what})
}

/// A mapping with exactly `properties` (keys of the reader's list `keys`), `required` among them.
fn object(keys: &[&str], properties: Value, required: &[&str]) -> Value {
    debug_assert!(
        properties
            .as_object()
            .is_some_and(|p| p.len() == keys.len() && keys.iter().all(|k| p.contains_key(*k))),
        "the schema describes other keys than the reader accepts: {keys:?}"
    );
    json!({"type": "object", "additionalProperties": false, "required": required, "properties": properties})
}

/// The schema of a column (`列`).
fn column_schema(history: &dyn Fn(&str) -> Value) -> Value {
    use crate::load::schema::COLUMN_KEYS;
    object(
        COLUMN_KEYS,
        json!({
            "键": described("月份文件中这一列的键"),
            "名称": described("表头中印的名称"),
            "量词": described("印在表头名称后的括号里，如 条"),
            "类型": {"enum": ["整数", "小数", "百分数", "文字"], "description": "整数（统计数，默认）、小数、百分数、文字（照写照印）"},
            "小数位": {"type": "integer", "minimum": 0, "maximum": 3},
            "合计": {"type": "string", "pattern": r"^(求和|平均|无|计算|加权[(（].+[)）])$", "description": "合计行印什么：求和、平均、加权(列)、计算（由合计行的数字按算式算出）、无"},
            "设立": {"type": "string", "pattern": MONTH, "description": "这一列开始有的月份"},
            "撤销": {"type": "string", "pattern": MONTH, "description": "这一列不再有的第一个月"},
            "曾用名": history("名称"),
            "组": texts("表头中这一列上方的分组，由外到内，如 [派遣案件总数, 总计]；相邻的同组列共用一格"),
            "计算": described("由其他列算出，如 5 × 采用 或 受理 - 办结；月份文件可以不写这一列"),
            "累计": described("本年各月这一列之和（写被累计的列的键），如 得分"),
            "取整": {"enum": ["四舍五入", "去尾", "进一"]},
            "可空": {"type": "boolean", "description": "单元格可以空着（没有，不是 0）"},
            "空白印作": described("空白单元格印什么，如 —；默认印空白"),
            "空白计作": {"enum": ["零", "无"], "description": "零：合计和计算中当 0；无（默认）：不计入"},
            "不符时": {"enum": ["错误", "警告"], "description": "月份文件写明的数与算式不同时"}
        }),
        &["键"],
    )
}

/// The schema of a table description (`data/tables/*.yaml`).
fn table_schema(kinds: &[&str]) -> Value {
    use crate::load::schema::{DERIVED_KEYS, HEADLINE_KEYS, RANK_KEYS, SUBTABLE_KEYS, TABLE_KEYS};
    let text = json!({"type": "string"});
    let history = |name: &str| {
        json!({"type": "array", "items": {
            "type": "object", "additionalProperties": false, "required": [name, "至"],
            "properties": {name: text, "至": {"type": "string", "pattern": MONTH}}
        }})
    };
    let headline = object(
        HEADLINE_KEYS,
        json!({"键": text, "名称": text, "量词": text, "等于合计": text, "不符时": {"enum": ["错误", "警告"]}, "说明": text}),
        &["键"],
    );
    let derived = object(
        DERIVED_KEYS,
        json!({"键": text, "名称": text,
            "分子": described("算式，如 按时 或 信息 + 专报"), "分母": described("算式，如 受理"),
            "取整": {"enum": ["四舍五入", "去尾", "进一"]}, "小数位": {"type": "integer", "minimum": 0, "maximum": 3},
            "入表": {"type": "boolean"},
            "末尾零": {"enum": ["保留", "去掉"]},
            "无法计算时": described("分母为 0 时表格中印什么，如 — 或 0"),
            "百分号": {"enum": ["单元格", "表头"]},
            "写明不符时": {"enum": ["警告", "错误"], "description": "月份文件写明的比率与计算值不同时"}}),
        &["键", "分子", "分母"],
    );
    let rank = object(
        RANK_KEYS,
        json!({"依据": described("按哪一列排名"), "顺序": {"enum": ["从高到低", "从低到高"]}}),
        &["依据"],
    );
    let subtable = object(
        SUBTABLE_KEYS,
        json!({"标题": described("分表的标题，如 一、县市区"), "类别": texts("名录中的类别"), "单位": texts("单位名称")}),
        &["标题"],
    );
    let mut top = object(
        TABLE_KEYS,
        json!({
            "名称": text,
            "简称": described("通报.txt 中引用这张表时用的名字"),
            "标题": described("附件标题，{期间} {年} {月} 换成期间"),
            "曾用标题": history("标题"),
            "列": {"type": "array", "items": column_schema(&history)},
            "派生": {"type": "array", "items": derived},
            "概况": {"type": "array", "items": headline},
            "规则": {"type": "array", "items": text},
            "合计行": {"type": "boolean"},
            "按名录排序": {"type": "boolean", "description": "旧写法，同 排序: 名录"},
            "必列类别": {"type": "array", "items": {"enum": kinds}},
            "序号列": {"enum": ["序号", "排名", "无"]},
            "排名": rank,
            "排序": {"oneOf": [{"enum": ["名录", "照写", "排名"]}, rank.clone()], "description": "名录、照写、排名，或按一列：{依据: 得分, 顺序: 从高到低}"},
            "分表": {"type": "array", "items": subtable},
            "分表合计": {"oneOf": [{"type": "boolean"}, {"type": "string"}], "description": "true（每个分表印“合计”），或印的名称，如 小计"},
            "形式": {"enum": ["单位", "列表", "文字"], "description": "单位（每个单位一行，默认）、列表（不按单位的条目）、文字（附件是一段文字）"}
        }),
        &["名称", "标题"],
    );
    top["$schema"] = json!("http://json-schema.org/draft-07/schema#");
    top["title"] = json!("表格定义（data/tables/*.yaml）");
    top
}

/// Every schema of the project: (file name, schema).
pub(crate) fn all(data: &Data) -> Vec<(String, Value)> {
    let kinds: Vec<&str> = data.registry.kinds.iter().map(|(k, _)| k.as_str()).collect();
    let names: Vec<&str> = data.registry.all_names().collect();
    let text = json!({"type": "string"});
    let units = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "单位名录（data/units.yaml）",
        "type": "object",
        "additionalProperties": false,
        "required": ["类别", "单位"],
        "properties": {
            "类别": {"type": "array", "items": text},
            "单位": {"type": "array", "items": {
                "type": "object",
                "additionalProperties": false,
                "required": ["名称", "类别"],
                "properties": {
                    "名称": {"type": "string", "description": "规范名称，表格中打印的名称"},
                    "别名": {"oneOf": [text, {"type": "array", "items": text}]},
                    "类别": {"enum": kinds},
                    "设立": {"type": "string", "pattern": MONTH, "description": "开始存在的月份"},
                    "撤销": {"type": "string", "pattern": MONTH, "description": "不再存在的第一个月"},
                    "并入": {"type": "string", "description": "并入的单位"},
                    "曾用名": {"type": "array", "items": {
                        "type": "object", "additionalProperties": false, "required": ["名称", "至"],
                        "properties": {"名称": text, "至": {"type": "string", "pattern": MONTH}}
                    }}
                }
            }}
        }
    });
    let table = table_schema(&kinds);
    let table_names: Vec<&str> = data
        .specs
        .iter()
        .flat_map(|s| [s.id.as_str(), s.expression_name()])
        .collect();
    let document = document_schema(&table_names);
    let mut out = vec![
        ("units.schema.json".to_string(), units),
        ("table.schema.json".to_string(), table),
        ("document.schema.json".to_string(), document),
    ];
    for spec in data.specs.iter() {
        out.push((month_table(&spec.id), month_schema(spec, &names)));
    }
    out
}

/// The schema of a month's settings (`document.yaml`).
fn document_schema(table_names: &[&str]) -> Value {
    use crate::load::month::{COLOPHON_KEYS, DOCUMENT_KEYS, LAYOUT_KEYS, SEAL_KEYS};
    let text = json!({"type": "string"});
    let seal = json!({"oneOf": [
        described("印章图片的路径（项目中的文件）"),
        object(SEAL_KEYS, json!({"图片": text, "直径": {"type": "integer", "minimum": 30, "maximum": 60, "description": "毫米"}}), &["图片"])
    ]});
    let colophon = object(
        COLOPHON_KEYS,
        json!({"抄送": text, "印发机关": text, "印发日期": text}),
        &[],
    );
    let layout = object(
        LAYOUT_KEYS,
        json!({
            "版头": {"type": "boolean", "description": "印红色版头（发文机关标志和红色分隔线）"},
            "字号单列": {"type": "boolean", "description": "不印版头时，发文字号印在标题上方右侧"},
            "发文机关标志": text, "份号": text, "密级": text, "紧急程度": text,
            "印章": {"oneOf": [seal.clone(), {"type": "array", "items": seal}]},
            "附注": text,
            "版记": colophon,
            "行文": {"enum": ["上行", "上行文", "下行", "下行文", "平行", "平行文"]},
            "签发人": texts("上行文的签发人"),
            "联合行文": {"type": "boolean"}
        }),
        &[],
    );
    let mut schema = object(
        DOCUMENT_KEYS,
        json!({
            "发文字号": text,
            "附件": {"oneOf": [{"type": "array", "items": {"enum": table_names}}, {"enum": table_names}]},
            "期间": described("不止一个月时：2023年3-4月、2023年1~3月、2023年第一季度、2023年上半年、2010年度"),
            "版式": layout,
            "示例数字": {"type": "boolean", "description": "true：本月的数字是示例（tongbao init 生成），可以检查和生成，不能发布；导入或改写真实数字后删去"}
        }),
        &[],
    );
    schema["type"] = json!(["object", "null"]);
    schema["$schema"] = json!("http://json-schema.org/draft-07/schema#");
    schema["title"] = json!("月份设置（data/YYYY-MM/document.yaml）");
    schema
}

fn month_schema(spec: &TableSpec, names: &[&str]) -> Value {
    use crate::load::month::MONTH_KEYS;
    use crate::load::schema::{Form, Source};
    let mut row = serde_json::Map::new();
    let mut required = Vec::new();
    if spec.form == Form::Units {
        row.insert(
            "单位".into(),
            json!({"enum": names, "description": "单位名录中的名称或别名"}),
        );
        required.push("单位");
    }
    for c in &spec.columns {
        let stated = matches!(c.source, Source::Stated);
        let mut f = column_figure(c);
        if let Some(blank) = &c.blank {
            let mut blanks = vec![json!({"type": "null"}), json!({"const": ""})];
            if !blank.mark.is_empty() {
                blanks.push(json!({"const": blank.mark}));
            }
            f = json!({"anyOf": std::iter::once(f).chain(blanks).collect::<Vec<_>>()});
        }
        f["description"] = json!(match (&c.source, &c.blank) {
            (Source::Stated, None) => c.header(),
            (Source::Stated, Some(_)) => format!("{}（可以空着）", c.header()),
            _ => format!("{}（可省略，由 tongbao 计算）", c.header()),
        });
        row.insert(c.key.clone(), f);
        // Columns that come or go over the years are not required of every month.
        if stated && c.blank.is_none() && c.since.is_none() && c.until.is_none() {
            required.push(c.key.as_str());
        }
    }
    for d in &spec.derived {
        row.insert(
            d.key.clone(),
            json!({"type": ["string", "number"], "description": format!("{}（可省略，由 tongbao 计算）", d.label)}),
        );
    }
    let total: serde_json::Map<String, Value> =
        spec.columns.iter().map(|c| (c.key.clone(), column_figure(c))).collect();
    let heads: serde_json::Map<String, Value> = spec.headlines.iter().map(|h| (h.key.clone(), figure())).collect();
    let head_keys: Vec<&str> = spec.headlines.iter().map(|h| h.key.as_str()).collect();
    let mut top_required = vec![if spec.form == Form::Text { "正文" } else { "行" }];
    if !spec.headlines.is_empty() {
        top_required.push("概况");
    }
    let mut schema = object(
        MONTH_KEYS,
        json!({
            "概况": {"type": "object", "additionalProperties": false, "required": head_keys, "properties": heads},
            "行": {"type": "array", "items": {
                "type": "object", "additionalProperties": false, "required": required, "properties": row
            }},
            "合计": {"type": "object", "additionalProperties": false, "properties": total},
            "正文": described("文字附件的正文，一行一段")
        }),
        &top_required,
    );
    schema["$schema"] = json!("http://json-schema.org/draft-07/schema#");
    schema["title"] = json!(format!("{}的月度数据（data/YYYY-MM/{}.yaml）", spec.name, spec.id));
    schema
}

/// The `# yaml-language-server: $schema=…` line for a file at `depth` folders below the root.
pub(crate) fn modeline(schema: &str, depth: usize) -> String {
    format!("# yaml-language-server: $schema={}{DIR}/{schema}", "../".repeat(depth))
}

/// Writes every schema into `schemas/`; returns the files written.
pub(crate) fn write(project: &crate::project::Project, data: &Data) -> Result<Vec<String>, crate::project::WriteError> {
    let mut written = Vec::new();
    for (name, schema) in all(data) {
        let text = serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n";
        project.write(&std::path::Path::new(DIR).join(&name), text.as_bytes())?;
        written.push(name);
    }
    Ok(written)
}

/// `text` with its first line the modeline (replacing an older one).
pub(crate) fn with_modeline(text: &str, line: &str) -> String {
    let body = match text.split_once('\n') {
        Some((first, rest)) if first.starts_with("# yaml-language-server:") => rest,
        _ => text,
    };
    format!("{line}\n{body}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::month::{COLOPHON_KEYS, DOCUMENT_KEYS, LAYOUT_KEYS, SEAL_KEYS};
    use crate::load::schema::{COLUMN_KEYS, DERIVED_KEYS, HEADLINE_KEYS, RANK_KEYS, SUBTABLE_KEYS, TABLE_KEYS};

    fn keys(schema: &Value) -> Vec<&str> {
        let mut keys: Vec<&str> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort();
        keys
    }

    fn sorted<'k>(list: &[&'k str]) -> Vec<&'k str> {
        let mut list = list.to_vec();
        list.sort();
        list
    }

    #[test]
    fn every_key_the_readers_accept_is_described_and_no_other() {
        let table = table_schema(&[]);
        let document = document_schema(&[]);
        let layout = &document["properties"]["版式"];
        for (schema, accepted) in [
            (&table, TABLE_KEYS),
            (&table["properties"]["列"]["items"], COLUMN_KEYS),
            (&table["properties"]["派生"]["items"], DERIVED_KEYS),
            (&table["properties"]["概况"]["items"], HEADLINE_KEYS),
            (&table["properties"]["排名"], RANK_KEYS),
            (&table["properties"]["分表"]["items"], SUBTABLE_KEYS),
            (&document, DOCUMENT_KEYS),
            (layout, LAYOUT_KEYS),
            (&layout["properties"]["版记"], COLOPHON_KEYS),
            (&layout["properties"]["印章"]["oneOf"][0]["oneOf"][1], SEAL_KEYS),
        ] {
            assert_eq!(keys(schema), sorted(accepted));
        }
    }
}
