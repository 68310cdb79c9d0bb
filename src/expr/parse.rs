//! From text to the typed tree: a scanner and a recursive-descent parser with one function per
//! precedence level, each error naming the column where it happened.
//!
//! The grammar, loosest binding first:
//!
//! ```text
//! expression := sum (('<' | '<=' | '>' | '>=') sum)?
//! sum        := product (('+' | '-') product)*
//! product    := unary (('*' | '/') unary)*
//! unary      := ('-' | '+') unary | power
//! power      := atom (('^' | '**') unary)?
//! atom       := number | name | name '(' expression (',' expression)* ')' | '(' expression ')'
//! ```
//!
//! So `-x^2` is `-(x^2)`, `2^-x` is `2^(-x)`, `2^3^2` is `2^9`, and comparisons do not chain. The grammar
//! is this small, and the messages are this specific, so the parser is written out here rather than
//! generated: a parser crate would add build time and still need every message below.

use super::functions::MathFunction;
use super::tree::{Binary, Node};
use crate::{Error, Result};

/// The most tokens an expression may have (so that the tree, which is walked recursively, stays shallow
/// enough for any thread's stack).
const MAX_TOKENS: usize = 4096;

/// The deepest nesting of parentheses, signs and comparisons.
const MAX_DEPTH: usize = 256;

/// One token, and the column (counted in characters from 1) where it starts.
#[derive(Clone, Debug, PartialEq)]
enum Token {
    Number(f64),
    Name(String),
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
    Open,
    Close,
    Comma,
    End,
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Number(_) => "a number".to_owned(),
            Token::Name(name) => format!("'{name}'"),
            Token::End => "the end".to_owned(),
            Token::Plus => "'+'".to_owned(),
            Token::Minus => "'-'".to_owned(),
            Token::Star => "'*'".to_owned(),
            Token::Slash => "'/'".to_owned(),
            Token::Caret => "'^'".to_owned(),
            Token::Less => "'<'".to_owned(),
            Token::LessEqual => "'<='".to_owned(),
            Token::Greater => "'>'".to_owned(),
            Token::GreaterEqual => "'>='".to_owned(),
            Token::Open => "'('".to_owned(),
            Token::Close => "')'".to_owned(),
            Token::Comma => "','".to_owned(),
        }
    }
}

/// An error at a column.
fn error(message: impl Into<String>, column: usize) -> Error {
    hinted(message, column, String::new())
}

/// An error at a column, and what would be right.
fn hinted(message: impl Into<String>, column: usize, hint: String) -> Error {
    Error::Expression {
        message: message.into(),
        column: Some(column),
        hint,
    }
}

/// The tokens of `source`, each with its column; the last is [`Token::End`].
fn scan(source: &str) -> Result<Vec<(Token, usize)>> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            // An exponent only where digits follow it, so that `2e` stays a number and a name.
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let mut j = i + 1;
                if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    i = j;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let text: String = chars[start..i].iter().collect();
            let value: f64 = text
                .parse()
                .map_err(|_| error(format!("'{text}' is not a number"), column))?;
            if !value.is_finite() {
                return Err(error(format!("the number {text} is beyond the f64 range"), column));
            }
            tokens.push((Token::Number(value), column));
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push((Token::Name(chars[start..i].iter().collect()), column));
            continue;
        }
        let next = chars.get(i + 1).copied();
        let (token, width) = match (c, next) {
            ('*', Some('*')) => (Token::Caret, 2),
            ('<', Some('=')) => (Token::LessEqual, 2),
            ('>', Some('=')) => (Token::GreaterEqual, 2),
            ('+', _) => (Token::Plus, 1),
            ('-' | '−', _) => (Token::Minus, 1),
            ('*' | '·' | '×', _) => (Token::Star, 1),
            ('/', _) => (Token::Slash, 1),
            ('^', _) => (Token::Caret, 1),
            ('<', _) => (Token::Less, 1),
            ('>', _) => (Token::Greater, 1),
            ('(', _) => (Token::Open, 1),
            (')', _) => (Token::Close, 1),
            (',', _) => (Token::Comma, 1),
            _ => return Err(error(format!("unexpected character '{c}'"), column)),
        };
        tokens.push((token, column));
        i += width;
    }
    tokens.push((Token::End, chars.len() + 1));
    if tokens.len() > MAX_TOKENS {
        return Err(Error::Expression {
            message: format!("the expression has more than {MAX_TOKENS} numbers, names and operators"),
            column: None,
            hint: String::new(),
        });
    }
    Ok(tokens)
}

/// Parses `source` into a tree over the variables `names` (variable `k` is `names[k]`, and each entry
/// lists the spellings of one variable).
pub(super) fn parse(source: &str, names: &[Vec<String>]) -> Result<Node> {
    let tokens = scan(source)?;
    if tokens.len() == 1 {
        return Err(Error::Expression {
            message: "the expression is empty".to_owned(),
            column: None,
            hint: String::new(),
        });
    }
    let mut parser = Parser {
        tokens,
        at: 0,
        names,
        open: Vec::new(),
        depth: 0,
    };
    let node = parser.expression()?;
    match parser.peek() {
        Token::End => Ok(node),
        Token::Close => Err(error("')' has no matching '('", parser.column())),
        other => Err(error(
            format!("expected an operator or the end, found {}", other.describe()),
            parser.column(),
        )),
    }
}

struct Parser<'a> {
    tokens: Vec<(Token, usize)>,
    at: usize,
    names: &'a [Vec<String>],
    /// The columns of the '(' not yet closed.
    open: Vec<usize>,
    /// How deep the recursion is.
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.tokens[self.at].0
    }

    fn column(&self) -> usize {
        self.tokens[self.at].1
    }

    fn next(&mut self) -> (Token, usize) {
        let token = self.tokens[self.at].clone();
        if token.0 != Token::End {
            self.at += 1;
        }
        token
    }

    /// Counts one level of nesting for the duration of `parse`.
    fn nested(&mut self, parse: impl FnOnce(&mut Self) -> Result<Node>) -> Result<Node> {
        if self.depth >= MAX_DEPTH {
            return Err(error(
                format!("the expression nests deeper than {MAX_DEPTH} levels"),
                self.column(),
            ));
        }
        self.depth += 1;
        let node = parse(self);
        self.depth -= 1;
        node
    }

    fn expression(&mut self) -> Result<Node> {
        self.nested(Self::comparison)
    }

    fn comparison(&mut self) -> Result<Node> {
        let left = self.sum()?;
        let op = match self.peek() {
            Token::Less => Binary::Less,
            Token::LessEqual => Binary::LessEqual,
            Token::Greater => Binary::Greater,
            Token::GreaterEqual => Binary::GreaterEqual,
            _ => return Ok(left),
        };
        self.next();
        let right = self.sum()?;
        if matches!(
            self.peek(),
            Token::Less | Token::LessEqual | Token::Greater | Token::GreaterEqual
        ) {
            return Err(hinted(
                "comparisons do not chain",
                self.column(),
                ": write a < x < b as (a < x) * (x < b)".to_owned(),
            ));
        }
        Ok(Node::Binary(op, Box::new(left), Box::new(right)))
    }

    fn sum(&mut self) -> Result<Node> {
        let mut left = self.product()?;
        loop {
            let op = match self.peek() {
                Token::Plus => Binary::Add,
                Token::Minus => Binary::Sub,
                _ => return Ok(left),
            };
            self.next();
            left = Node::Binary(op, Box::new(left), Box::new(self.product()?));
        }
    }

    fn product(&mut self) -> Result<Node> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Token::Star => Binary::Mul,
                Token::Slash => Binary::Div,
                _ => return Ok(left),
            };
            self.next();
            left = Node::Binary(op, Box::new(left), Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> Result<Node> {
        match self.peek() {
            Token::Minus => {
                self.next();
                Ok(Node::Negate(Box::new(self.nested(Self::unary)?)))
            }
            Token::Plus => {
                self.next();
                self.nested(Self::unary)
            }
            _ => self.power(),
        }
    }

    fn power(&mut self) -> Result<Node> {
        let base = self.atom()?;
        if *self.peek() != Token::Caret {
            return Ok(base);
        }
        self.next();
        let exponent = self.nested(Self::unary)?;
        Ok(Node::power(base, exponent))
    }

    fn atom(&mut self) -> Result<Node> {
        let (token, column) = self.next();
        match token {
            Token::Number(value) => Ok(Node::Number(value)),
            Token::Open => {
                self.open.push(column);
                let inner = self.expression()?;
                self.close()?;
                Ok(inner)
            }
            Token::Name(name) if *self.peek() == Token::Open => self.call(&name, column),
            Token::Name(name) => self.name(&name, column),
            Token::End if !self.open.is_empty() => Err(self.unclosed()),
            other => Err(error(
                format!(
                    "expected a number, a variable, a function or '(', found {}",
                    other.describe()
                ),
                column,
            )),
        }
    }

    /// The error for an expression that ends with a '(' open.
    fn unclosed(&self) -> Error {
        let column = self.open.last().copied().unwrap_or(1);
        error("'(' is never closed", column)
    }

    fn close(&mut self) -> Result<()> {
        match self.peek() {
            Token::Close => {
                self.next();
                self.open.pop();
                Ok(())
            }
            Token::End => Err(self.unclosed()),
            other => Err(error(
                format!("expected ')' or an operator, found {}", other.describe()),
                self.column(),
            )),
        }
    }

    /// A function call: `name` and its arguments in parentheses.
    fn call(&mut self, name: &str, column: usize) -> Result<Node> {
        let function = MathFunction::from_name(name).ok_or_else(|| {
            if self.variable(name).is_some() {
                hinted(
                    format!("'{name}' is a variable, not a function"),
                    column,
                    format!(": write {name}*(...) to multiply"),
                )
            } else {
                hinted(
                    format!("unknown function '{name}'"),
                    column,
                    format!("; the functions are {}", MathFunction::names()),
                )
            }
        })?;
        let (_, open) = self.next();
        self.open.push(open);
        let mut arguments = vec![self.expression()?];
        while *self.peek() == Token::Comma {
            self.next();
            arguments.push(self.expression()?);
        }
        self.close()?;
        if arguments.len() != function.arity() {
            let plural = if function.arity() == 1 { "" } else { "s" };
            return Err(error(
                format!(
                    "{}() takes {} argument{plural}, given {}",
                    function.name(),
                    function.arity(),
                    arguments.len()
                ),
                column,
            ));
        }
        Ok(Node::call(function, arguments))
    }

    /// A variable or a constant.
    fn name(&self, name: &str, column: usize) -> Result<Node> {
        if let Some(k) = self.variable(name) {
            return Ok(Node::Variable(k));
        }
        match name {
            "pi" | "π" => return Ok(Node::Number(std::f64::consts::PI)),
            "e" => return Ok(Node::Number(std::f64::consts::E)),
            _ => {}
        }
        if MathFunction::from_name(name).is_some() {
            return Err(hinted(
                format!("'{name}' is a function"),
                column,
                format!(": write {name}(...)"),
            ));
        }
        let spellings: Vec<String> = self.names.iter().map(|spellings| spellings.join(" or ")).collect();
        Err(hinted(
            format!("unknown variable '{name}'"),
            column,
            format!("; the variables are {}, the constants pi and e", spellings.join(", ")),
        ))
    }

    fn variable(&self, name: &str) -> Option<usize> {
        self.names
            .iter()
            .position(|spellings| spellings.iter().any(|s| s == name))
    }
}
