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

/// The schema of a table description (`data/tables/*.yaml`).
fn table_schema(kinds: &[&str]) -> Value {
    let text = json!({"type": "string"});
    let history = |name: &str| {
        json!({"type": "array", "items": {
            "type": "object", "additionalProperties": false, "required": [name, "至"],
            "properties": {name: text, "至": {"type": "string", "pattern": MONTH}}
        }})
    };
    let keyed = |extra: Value| {
        let mut props = json!({"键": text, "名称": text, "量词": text});
        if let (Some(p), Some(e)) = (props.as_object_mut(), extra.as_object()) {
            p.extend(e.clone());
        }
        json!({"type": "object", "additionalProperties": false, "required": ["键"], "properties": props})
    };
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "表格定义（data/tables/*.yaml）",
        "type": "object",
        "additionalProperties": false,
        "required": ["名称", "标题", "列"],
        "properties": {
            "名称": text,
            "简称": {"type": "string", "description": "通报.txt 中引用这张表时用的名字"},
            "标题": {"type": "string", "description": "附件标题，{月} {年} 换成期间"},
            "曾用标题": history("标题"),
            "列": {"type": "array", "items": keyed(json!({
                "类型": {"enum": ["整数", "小数", "百分数"], "description": "整数（统计数，默认）、小数、百分数"},
                "小数位": {"type": "integer", "minimum": 0, "maximum": 3},
                "合计": {"type": "string", "pattern": r"^(求和|平均|无|加权[(（].+[)）])$", "description": "合计行印什么：求和、平均、加权(列)、无"},
                "设立": {"type": "string", "pattern": MONTH, "description": "这一列开始有的月份"},
                "撤销": {"type": "string", "pattern": MONTH, "description": "这一列不再有的第一个月"},
                "曾用名": history("名称")
            }))},
            "概况": {"type": "array", "items": keyed(json!({"等于合计": text, "不符时": {"enum": ["错误", "警告"]}, "说明": text}))},
            "派生": {"type": "array", "items": {
                "type": "object", "additionalProperties": false, "required": ["键", "分子", "分母"],
                "properties": {"键": text, "名称": text, "分子": text, "分母": text,
                    "取整": {"enum": ["四舍五入", "去尾", "进一"]}, "小数位": {"type": "integer", "minimum": 0, "maximum": 3},
                    "入表": {"type": "boolean"},
                    "末尾零": {"enum": ["保留", "去掉"]},
                    "无法计算时": {"type": "string", "description": "分母为 0 时表格中印什么，如 — 或 0"},
                    "百分号": {"enum": ["单元格", "表头"]},
                    "写明不符时": {"enum": ["警告", "错误"], "description": "月份文件写明的比率与计算值不同时"}}
            }},
            "规则": {"type": "array", "items": text},
            "合计行": {"type": "boolean"},
            "按名录排序": {"type": "boolean"},
            "必列类别": {"type": "array", "items": {"enum": kinds}}
        }
    })
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
    let document = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "月份设置（data/YYYY-MM/document.yaml）",
        "type": ["object", "null"],
        "additionalProperties": false,
        "properties": {
            "发文字号": text,
            "附件": {"oneOf": [{"type": "array", "items": {"enum": table_names}}, {"enum": table_names}]},
            "期间": {"type": "string", "description": "两个月合发时，如 2023年3-4月"},
            "版式": {"type": "object"}
        }
    });
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

fn month_schema(spec: &TableSpec, names: &[&str]) -> Value {
    let mut row = serde_json::Map::new();
    row.insert(
        "单位".into(),
        json!({"enum": names, "description": "单位名录中的名称或别名"}),
    );
    for c in &spec.columns {
        let mut f = column_figure(c);
        f["description"] = json!(c.header());
        row.insert(c.key.clone(), f);
    }
    for d in &spec.derived {
        row.insert(
            d.key.clone(),
            json!({"type": ["string", "integer"], "description": format!("{}（可省略，由 tongbao 计算）", d.label)}),
        );
    }
    // Columns that come or go over the years are not required of every month.
    let columns: Vec<&str> = spec
        .columns
        .iter()
        .filter(|c| c.since.is_none() && c.until.is_none())
        .map(|c| c.key.as_str())
        .collect();
    let total: serde_json::Map<String, Value> =
        spec.columns.iter().map(|c| (c.key.clone(), column_figure(c))).collect();
    let heads: serde_json::Map<String, Value> = spec.headlines.iter().map(|h| (h.key.clone(), figure())).collect();
    let head_keys: Vec<&str> = spec.headlines.iter().map(|h| h.key.as_str()).collect();
    let mut required = vec!["行"];
    if !spec.headlines.is_empty() {
        required.push("概况");
    }
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": format!("{}的月度数据（data/YYYY-MM/{}.yaml）", spec.name, spec.id),
        "type": "object",
        "additionalProperties": false,
        "required": required,
        "properties": {
            "概况": {"type": "object", "additionalProperties": false, "required": head_keys, "properties": heads},
            "行": {"type": "array", "items": {
                "type": "object", "additionalProperties": false,
                "required": std::iter::once("单位").chain(columns.iter().copied()).collect::<Vec<_>>(),
                "properties": row
            }},
            "合计": {"type": "object", "additionalProperties": false, "properties": total}
        }
    })
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
