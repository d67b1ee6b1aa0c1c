//! Every diagnostic code: its stable name (what JSON and scripts see), its Chinese name (what
//! `build --all` groups warnings by) and what it is about, for the staff guide's table of codes
//! (`docs/诊断代码.md`, generated from this table; a test keeps it current). A code is a variant of
//! [`Code`]: a code without a Chinese name or an explanation does not compile.

macro_rules! codes {
    ($($variant:ident = $code:literal, $name:literal, $about:literal;)*) => {
        /// A diagnostic's code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in the table's order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// Its stable name (`unit-unknown`), as JSON and the docs write it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            /// Its name in Chinese.
            pub fn name(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                }
            }

            /// What it is about and what usually helps, in Chinese.
            pub fn about(self) -> &'static str {
                match self {
                    $(Code::$variant => $about,)*
                }
            }
        }
    };
}

codes! {
    AttachmentCount = "attachment-count", "附件个数", "附件说明列出的附件与 document.yaml 的“附件”个数不同：两处应一一对应。";
    AttachmentName = "attachment-name", "附件名称与标题不一致", "附件说明写的名称与附件标题不同（GB/T 9704 要求一致）：可直接写 {{ 简称.标题 }}。";
    AttachmentNumber = "attachment-number", "附件编号", "附件说明的序号不连续或写法不对：应写“1.”“2.”……，只有一个附件时不编号。";
    Blank = "blank", "空白的格子", "这一格是空的，而这一列不允许空白：填上数字（没有就写 0）；确实应当空着的列，在表格定义中写“可空: true”。";
    AttachmentTable = "attachment-table", "附件对应的表", "“附件”中的表名找不到，或本月没有这张表的数据。";
    ConflictMarker = "conflict-marker", "合并冲突标记", "文件里还留着 git 合并冲突的标记（<<<<<<<、=======、>>>>>>>）：两边的文字都在，留下正确的一段，删去另一段和标记。";
    ComputedDiffers = "computed-differs", "写明的数与算出的不符", "计算列或累计列中写明的数与由其他列算出的不同：核对数字；发布的数字以写明的为准。";
    ColumnTime = "column-time", "列的设立与撤销", "表格定义中列的“起”“止”月份不合理，或本月用了尚未设立、已经撤销的列。";
    CumulativeMonth = "cumulative-month", "累计缺少月份", "累计列要读本年此前每个月的数据，有一个月没有：补上那个月的表格（只放表格文件即可）。";
    Date = "date", "日期", "日期写法不对或不存在（如 2月30日）：写成 2023年5月5日 或 2023-05-05。";
    DateNumerals = "date-numerals", "日期用汉字数字", "成文日期用了汉字数字（如 二○一一年一月十八日）：GB/T 9704-2012 7.3.5.3 要求用阿拉伯数字；照写印出。";
    DateEarly = "date-early", "成文日期过早", "成文日期早于本期结束：通报通常在期间结束后印发，请核对。";
    DocNumber = "doc-number", "发文字号", "发文字号的写法不符合 GB/T 9704（如 城政办〔2023〕12号）。";
    Docx = "docx", "Word 文件", "生成 Word 文件失败：看消息中的原因；PDF 不受影响。";
    EmptyFile = "empty-file", "空文件", "文件是空的：请填写内容，或删除这个文件。";
    Encoding = "encoding", "文件编码", "文件不是 UTF-8 文本：在编辑器中“另存为”，编码选 UTF-8。";
    Expression = "expression", "表达式", "{{ … }} 中的写法不对：看消息所指的位置。";
    ExpressionArgument = "expression-argument", "表达式参数", "过滤器的参数不对（如 四舍五入(1) 的位数、最多(2) 的个数）。";
    ExpressionBraces = "expression-braces", "表达式括号", "大括号没有成对，或用了全角的“｛｛”：表达式写在英文半角的 {{ 和 }} 之间。";
    ExpressionFilter = "expression-filter", "表达式写法", "过滤器不存在，或用在了不适用的值上（如对单位名单用“较上月”）。";
    ExpressionMonth = "expression-month", "表达式月份", "“较上月”“较去年同期”要读的那个月没有数据：先录入那个月的表格，或删去比较。";
    ExpressionName = "expression-name", "表达式名称", "表达式中的名称（列、概况、比率）在这张表的定义里找不到。";
    ExpressionTable = "expression-table", "表达式中的表", "表达式开头的表的简称不存在，或本月没有这张表。";
    ExpressionUnit = "expression-unit", "表达式中的单位", "表达式中的单位不在名录里，或不在这张表中。";
    ExpressionZero = "expression-zero", "比率分母为零", "比率的分母为零，算不出：请核对数字，或改写这句话。";
    FileTooBig = "file-too-big", "文件过大", "文件超过了输入文件的上限：检查是否放错了文件。";
    FontMissing = "font-missing", "缺少字体", "某个字体角色没有可用的字体：fonts/ 中应有随项目提供的代用字体，运行 tongbao fonts 查看。";
    Form = "form", "行文形式", "版式（版头、印章、联合行文等）的设置不完整或互相矛盾。";
    GlyphMissing = "glyph-missing", "字体缺字", "有字符没有任何字体能显示，PDF 中会是空白方框：换用常用字，或把含有该字的字体放入 fonts/。";
    HeadingLevel = "heading-level", "标题层级", "标题层级跳级（如“一、”之后直接“1.”）：按 一、（一）1.（1）的顺序使用。";
    HeadingNumber = "heading-number", "标题编号", "同级标题的编号不连续或重复。";
    Headline = "headline", "概况与合计不符", "概况中的数字与附件表格的合计不同：核对两处的数字和统计口径。";
    Html = "html", "网页", "生成网页失败：看消息中的原因；PDF 不受影响。";
    ImportCell = "import-cell", "导入的单元格", "导入的表格中这个格子读不出数字或单位：看消息所指的单元格（如 B7）。";
    ImportDate = "import-date", "导入的日期单元格", "应是数字的格子被设成了日期格式：在表格软件中把它改为常规或数值格式。";
    ImportFormula = "import-formula", "导入的公式单元格", "格子里只有公式没有计算结果：在表格软件中打开并保存一次，或复制后“选择性粘贴为数值”。";
    ImportHeader = "import-header", "导入的表头", "在导入的表格中找不到这一列的表头：表头应与附件的列名（或定义中的别名）一致。";
    InvisibleChar = "invisible-char", "看不见的字符", "文字里有看不见的字符（零宽空格、文字方向控制符等）：它不显示，却让名称与名录对不上：删去它。";
    Io = "io", "读写文件", "文件读不出或写不进（不存在、没有权限、磁盘已满）：看消息中的文件和原因。";
    Issued = "issued", "已发布", "这个月的通报已经发布：更正请用 tongbao issue 月份 --revise \"原因\"。";
    IssuedChanged = "issued-changed", "已发布的通报被改变", "改动会改变一份已发布的通报：撤销这些改动，或用 --revise 发布更正版。";
    IssuedOfd = "issued-ofd", "已发布的 OFD", "已发布的 OFD（issued.ofd）不见了或被改动过：从 git 历史中恢复。";
    IssuedPdf = "issued-pdf", "已发布的 PDF", "已发布的 PDF（issued.pdf）不见了、被改动或被替换过：从 git 历史中恢复。";
    LineEnds = "line-ends", "换行符", "文件用单独的回车符（CR）换行：在编辑器中把换行符改为 LF 或 CRLF 后保存。";
    MeasureMismatch = "measure-mismatch", "量词不一致", "正文与附件的同一个数字用了不同的量词（项、件、条）：核对列名和统计口径。";
    MissingField = "missing-field", "缺少字段", "缺少必需的键：按消息补上。";
    MonthMissing = "month-missing", "缺少月份", "没有这个月份的文件夹：用 tongbao new 建立，文件夹名为 YYYY-MM。";
    MonthName = "month-name", "月份文件夹名称", "data/ 中的文件夹名不是 YYYY-MM 形式的月份。";
    MovedToText = "moved-to-text", "已移到通报正文的设置", "这项设置现在写在 通报.txt 里：按提示移过去。";
    NoCommit = "no-commit", "没有记录源提交", "git 不可用或拒绝读取仓库，PDF 的构建清单中没有源提交：通报照常生成，但不能由提交核验；按消息中的办法处理。";
    Ofd = "ofd", "OFD 版式文件", "生成 OFD 失败：看消息中的原因；PDF 不受影响。";
    OutsideRoot = "outside-root", "项目之外的文件", "文件或文件夹指向项目之外（符号链接或 ..），为安全起见不予读写：把文件复制进项目。";
    Pdf = "pdf", "PDF 生成", "写 PDF 时出错（如 PDF/A 不允许的内容）：看消息中的原因。";
    Period = "period", "期间", "期间的写法不对：写成 2023年3月、2023年1-3月（或 1~3月）、2023年第一季度、2023年上半年 或 2023年，止于本文件夹的月份。";
    Placeholder = "placeholder", "占位符", "标题或表头中的 {…} 不是 tongbao 认识的占位符，会照原样印出：可用 {期间} {年} {月}。";
    PeriodMismatch = "period-mismatch", "年月不是本期", "正文中提到的年月不是本期：多半是从上个月照搬来的，请核对。";
    PeriodOverlap = "period-overlap", "期间重叠", "两个月份的期间有重叠（如 10-11月 与 10月）：核对期间设置。";
    RegistryTooLong = "registry-too-long", "单位名录超出上限", "单位名录的单位数超过了上限：检查是否放错了文件。";
    Rule = "rule", "表格规则", "表格中的数字违反了定义中的规则（如 办结 ≤ 本月）：核对这一行的数字。";
    RuleSyntax = "rule-syntax", "规则写法", "表格定义中规则的写法不对：规则形如 办结 <= 本月。";
    Seal = "seal", "印章", "印章图片读不出或设置不对：图片放在项目中，格式为 PNG 或 SVG。";
    SheetDamaged = "sheet-damaged", "表格文件已损坏", "导入的表格文件读不出（损坏，或扩展名与内容不符）：在表格软件中另存一次。";
    SheetEmpty = "sheet-empty", "表格文件中没有工作表", "导入的表格文件中没有工作表或没有数据。";
    SheetEncoding = "sheet-encoding", "表格文件编码", "CSV 文件的编码认不出：另存为 UTF-8 或 GBK。";
    SheetEncrypted = "sheet-encrypted", "表格文件有密码", "表格文件设了密码：在表格软件中去掉密码后另存。";
    SheetFormat = "sheet-format", "表格文件格式", "不支持这种表格文件：请用 .xlsx、.xls、.ods 或 .csv。";
    SheetTooBig = "sheet-too-big", "表格文件超出上限", "表格文件的大小、行数或格子数超过了上限：检查是否选错了文件。";
    SpecDerived = "spec-derived", "派生比率定义", "表格定义中比率（分子、分母）的写法不对。";
    SpecFormula = "spec-formula", "算式", "表格定义中的算式（计算、分子、分母）写法不对，或引用了不存在的列：算式由列的键、数和 + - * / 及括号组成。";
    SpecKey = "spec-key", "表格定义的键", "表格定义中的键不对或重复。";
    SpecRule = "spec-rule", "表格定义的规则", "表格定义中的规则引用了不存在的列。";
    SpecShort = "spec-short", "简称重复", "两张表用了同一个简称：每张表的简称应各不相同。";
    Subtable = "subtable", "分表", "单位不属于任何分表，或同时属于两个分表：核对分表的“类别”“单位”和单位名录。";
    StatedRate = "stated-rate", "写明的比率与计算值不符", "表格中写明的比率与由数字算出的不同：核对数字或比率。";
    TableMissing = "table-missing", "缺少表格", "正文或附件用到的表，本月没有它的文件：导入或录入这张表。";
    TableTooLong = "table-too-long", "表格行数超出上限", "表格的行数超过了上限：检查是否放错了文件。";
    Template = "template", "模板", "templates/ 中的模板出错：看消息中的原因，或恢复随 tongbao 提供的模板。";
    TextForm = "text-form", "正文格式", "通报.txt 的结构不对（标题、主送、正文、附件说明、发文机关和成文日期的顺序）。";
    TextTooLong = "text-too-long", "正文超出上限", "通报.txt 太长，超过了上限：检查是否粘贴了多余的内容。";
    TitleBreak = "title-break", "标题分行拆开了词语", "手工分行的标题在词语、名称或日期中间断开了：换个位置分行，或写成一行让 tongbao 分行。";
    TitleLine = "title-line", "标题的一行不合适", "标题某一行太长或只有一个字：换个位置分行，或写成一行。";
    TooManyPages = "too-many-pages", "页数超出上限", "排版后的页数超过了上限：检查表格是否多出了成千行。";
    Total = "total", "合计", "写明的合计与各单位之和不同：核对数字，或删去合计（tongbao 会自动计算）。";
    Type = "type", "类型", "值的类型不对（如应是数字却写了文字）：按消息改正。";
    TypedFigure = "typed-figure", "手写的数字", "正文里手写了一个表格中有的数字：改写成表达式，两处就不会不一致。";
    TypedFigureDiffers = "typed-figure-differs", "手写的数字与数据不符", "正文里手写的数字与表格中的不同：改写成表达式。";
    Typst = "typst", "排版", "排版时出错（多半是 templates/ 中的模板）：看消息中的原因。";
    Uncommitted = "uncommitted", "未提交的改动", "发布要由一次提交重现：先提交这个月的数据（git add、git commit）再发布，或用 --allow-dirty 发布并记录在案。";
    Unfilled = "unfilled", "待填", "还有“待填”的数字或日期：填好后才能生成正式的通报。";
    SampleFigures = "sample-figures", "示例数字", "本月的数字是示例（document.yaml 写着“示例数字: true”，tongbao init 这样生成）：可以检查和生成，不能发布；导入或改写真实数字后删去这一行。";
    UnitDuplicateName = "unit-duplicate-name", "单位名称重复", "单位名录中有重复的名称或别名。";
    UnitGone = "unit-gone", "单位已撤销", "这个单位在本月之前已撤销：从本月的表格中删去，或核对名录中的“止”。";
    UnitHistory = "unit-history", "单位沿革", "单位名录中的改名、设立、撤销记录不合理。";
    UnitKind = "unit-kind", "单位类别", "单位的类别不在规定的类别之中。";
    UnitMissing = "unit-missing", "缺少单位", "名录中本月应有的单位，表格里没有：补上这一行（没有数字时写 0）。";
    UnitNotYet = "unit-not-yet", "单位尚未设立", "这个单位在本月之后才设立：核对名录中的“起”。";
    UnitRenamed = "unit-renamed", "单位已改名", "用了单位的旧名称：改为现在的名称。";
    UnitTwice = "unit-twice", "单位重复", "同一个单位在表格中出现了两次。";
    UnitUnknown = "unit-unknown", "名录中没有的单位", "单位不在名录中：改正名称，或把它加入 data/units.yaml。";
    UnknownField = "unknown-field", "未知字段", "不认识的键：多半是写错了，看“是否应为”的提示。";
    UnknownFile = "unknown-file", "未知文件", "月份文件夹中有 tongbao 不认识的文件。";
    UnknownValue = "unknown-value", "未知的值", "不认识的取值（如输出、字体角色的名称）：看可用的取值。";
    Xlsx = "xlsx", "附件表格", "生成附件表格（xlsx）失败：看消息中的原因；PDF 不受影响。";
    YamlDuplicateKey = "yaml-duplicate-key", "重复的键", "同一个键写了两次：删去一个。";
    YamlSyntax = "yaml-syntax", "YAML 语法", "YAML 语法错误（缩进、冒号、引号）：看消息所指的位置。";
    YamlTooBig = "yaml-too-big", "YAML 过大", "YAML 中的节点太多（如别名展开过多）：检查文件。";
    YamlTooDeep = "yaml-too-deep", "YAML 嵌套过深", "YAML 嵌套层数太多：检查文件。";
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
