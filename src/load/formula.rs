//! A computed column's formula, written in its table description (`计算: 5 * 采用`): numbers, the
//! keys of the row's other figures, `+ - * /` and brackets (full-width forms too: `＋ － × ÷ （）`).
//! Parsed once when the description is read; evaluated for every row and for the 合计, exactly, in
//! decimal (a division keeps [`DIVISION_PLACES`] decimals until the result is rounded to the
//! column's).
//!
//! ```text
//! sum     := product { ("+" | "-") product }
//! product := factor { ("*" | "/") factor }
//! factor  := number | key | "(" sum ")" | "-" factor
//! ```

use super::number::{Num, Rounding};

/// Decimals a division keeps before the result is rounded.
pub(crate) const DIVISION_PLACES: u8 = 8;

/// Most keys and numbers a formula may hold (a description is written by people).
const MAX_TERMS: usize = 64;

/// The largest magnitude a step of a formula may reach: beyond it the formula has no value (the
/// exact decimal arithmetic stays far inside its 128 bits).
const LARGEST: f64 = 1e12;

/// A parsed formula, with its text as written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Formula {
    pub text: String,
    expr: Expr,
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Number(Num),
    Key(String),
    Neg(Box<Expr>),
    Op(Box<Expr>, char, Box<Expr>),
}

/// Why a formula cannot be read: what is wrong, as a Chinese message.
pub(crate) type Refused = String;

impl Formula {
    /// Parses `text`.
    pub(crate) fn parse(text: &str) -> Result<Formula, Refused> {
        let tokens = tokens(text)?;
        if tokens.len() > MAX_TERMS * 2 {
            return Err(format!("算式太长（最多 {MAX_TERMS} 项）"));
        }
        let mut p = Parser { tokens, at: 0 };
        let expr = p.sum()?;
        if let Some(t) = p.tokens.get(p.at) {
            return Err(format!("算式中“{}”的位置不对", t.shown()));
        }
        Ok(Formula {
            text: text.trim().to_string(),
            expr,
        })
    }

    /// The keys it reads, in order of first use.
    pub(crate) fn keys(&self) -> Vec<&str> {
        let mut out = Vec::new();
        collect(&self.expr, &mut out);
        out
    }

    /// Its value with `value` giving each key's figure, rounded to `places` decimals; `None` when a
    /// key has no figure (a blank cell) or a division is by zero.
    pub(crate) fn eval(&self, value: &dyn Fn(&str) -> Option<Num>, places: u8, rounding: Rounding) -> Option<Num> {
        Some(eval(&self.expr, value)?.round(places, rounding))
    }
}

fn collect<'a>(e: &'a Expr, out: &mut Vec<&'a str>) {
    match e {
        Expr::Number(_) => {}
        Expr::Key(k) => {
            if !out.contains(&k.as_str()) {
                out.push(k);
            }
        }
        Expr::Neg(x) => collect(x, out),
        Expr::Op(a, _, b) => {
            collect(a, out);
            collect(b, out);
        }
    }
}

fn eval(e: &Expr, value: &dyn Fn(&str) -> Option<Num>) -> Option<Num> {
    let n = match e {
        Expr::Number(n) => *n,
        Expr::Key(k) => {
            let v = value(k)?;
            if v.to_f64().abs() > LARGEST {
                return None;
            }
            v.round(DIVISION_PLACES, Rounding::HalfUp)
        }
        Expr::Neg(x) => Num::int(0).sub(eval(x, value)?),
        Expr::Op(a, op, b) => {
            let (a, b) = (eval(a, value)?, eval(b, value)?);
            match op {
                '+' => a.add(b),
                '-' => a.sub(b),
                '*' => a.mul(b).round(DIVISION_PLACES, Rounding::HalfUp),
                _ => a.div(b, DIVISION_PLACES, Rounding::HalfUp)?,
            }
        }
    };
    (n.to_f64().abs() <= LARGEST).then_some(n)
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(Num),
    Key(String),
    Sym(char),
}

impl Token {
    fn shown(&self) -> String {
        match self {
            Token::Number(n) => n.text(),
            Token::Key(k) => k.clone(),
            Token::Sym(c) => c.to_string(),
        }
    }
}

/// The symbol a character stands for, full-width forms included.
fn symbol(c: char) -> Option<char> {
    match c {
        '+' | '＋' => Some('+'),
        '-' | '－' | '−' => Some('-'),
        '*' | '×' | '＊' => Some('*'),
        '/' | '÷' | '／' => Some('/'),
        '(' | '（' => Some('('),
        ')' | '）' => Some(')'),
        _ => None,
    }
}

fn tokens(text: &str) -> Result<Vec<Token>, Refused> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut k = 0;
    while k < chars.len() {
        let c = chars[k];
        if c.is_whitespace() {
            k += 1;
        } else if let Some(s) = symbol(c) {
            out.push(Token::Sym(s));
            k += 1;
        } else if c.is_ascii_digit() || c == '.' {
            let start = k;
            while k < chars.len() && (chars[k].is_ascii_digit() || chars[k] == '.') {
                k += 1;
            }
            let digits: String = chars[start..k].iter().collect();
            let n = Num::parse(&digits)
                .filter(|n| n.to_f64() <= LARGEST)
                .ok_or_else(|| format!("“{digits}”不是算式能用的数"))?;
            out.push(Token::Number(n));
        } else {
            let start = k;
            while k < chars.len() && !chars[k].is_whitespace() && symbol(chars[k]).is_none() {
                k += 1;
            }
            out.push(Token::Key(chars[start..k].iter().collect()));
        }
    }
    if out.is_empty() {
        return Err("算式是空的".into());
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn sum(&mut self) -> Result<Expr, Refused> {
        let mut left = self.product()?;
        while let Some(Token::Sym(op @ ('+' | '-'))) = self.peek().cloned() {
            self.at += 1;
            left = Expr::Op(Box::new(left), op, Box::new(self.product()?));
        }
        Ok(left)
    }

    fn product(&mut self) -> Result<Expr, Refused> {
        let mut left = self.factor(0)?;
        while let Some(Token::Sym(op @ ('*' | '/'))) = self.peek().cloned() {
            self.at += 1;
            left = Expr::Op(Box::new(left), op, Box::new(self.factor(0)?));
        }
        Ok(left)
    }

    fn factor(&mut self, depth: usize) -> Result<Expr, Refused> {
        if depth > MAX_TERMS {
            return Err("算式的括号或负号太多".into());
        }
        match self.peek().cloned() {
            Some(Token::Number(n)) => {
                self.at += 1;
                Ok(Expr::Number(n))
            }
            Some(Token::Key(k)) => {
                self.at += 1;
                Ok(Expr::Key(k))
            }
            Some(Token::Sym('-')) => {
                self.at += 1;
                Ok(Expr::Neg(Box::new(self.factor(depth + 1)?)))
            }
            Some(Token::Sym('(')) => {
                self.at += 1;
                if depth > MAX_TERMS {
                    return Err("算式的括号太深".into());
                }
                let inner = self.sum()?;
                match self.peek() {
                    Some(Token::Sym(')')) => {
                        self.at += 1;
                        Ok(inner)
                    }
                    _ => Err("算式的括号没有成对".into()),
                }
            }
            Some(t) => Err(format!("算式中“{}”的位置不对", t.shown())),
            None => Err("算式没有写完".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(k: &str) -> Option<Num> {
        match k {
            "采用" => Num::parse("7"),
            "报送" => Num::parse("20"),
            "占比" => Num::parse("37.5"),
            _ => None,
        }
    }

    fn eval(text: &str, places: u8) -> Option<String> {
        Formula::parse(text)
            .unwrap()
            .eval(&value, places, Rounding::HalfUp)
            .map(Num::text)
    }

    #[test]
    fn formulas_compute_exactly() {
        assert_eq!(eval("5 * 采用", 0).as_deref(), Some("35"));
        assert_eq!(eval("5×采用＋报送", 0).as_deref(), Some("55"));
        assert_eq!(eval("100 - 占比", 1).as_deref(), Some("62.5"));
        assert_eq!(eval("采用 / 报送 * 100", 2).as_deref(), Some("35.00"));
        assert_eq!(eval("（采用 + 报送） / 3", 2).as_deref(), Some("9.00"));
        assert_eq!(eval("-采用 + 10", 0).as_deref(), Some("3"));
        assert_eq!(eval("采用 / (报送 - 20)", 0), None, "a division by zero has no value");
        assert_eq!(eval("未知 + 1", 0), None, "a blank has no value");
        assert_eq!(eval("999999 * 999999 * 999999", 0), None, "too large has no value");
        assert_eq!(Formula::parse("5 * 采用 + 采用").unwrap().keys(), ["采用"]);
    }

    #[test]
    fn what_is_not_a_formula_is_refused() {
        for bad in ["", "5 *", "(采用", "采用)", "5 5", "* 采用", "1..2", &"(".repeat(200)] {
            assert!(Formula::parse(bad).is_err(), "{bad:?}");
        }
    }
}
