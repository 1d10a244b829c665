//! The OData query options a licensing runbook sends ($select, $filter, $search, $top, $count, $orderby,
//! $skiptoken), parsed and applied to JSON objects so users, groups and SKUs share one implementation.
//!
//! `$filter` covers what such scripts write: `eq`/`ne` on strings, booleans and GUIDs, `in (...)`,
//! `startswith(...)`, `and`/`or`/`not` with parentheses, `assignedLicenses/$count`, and
//! `assignedLicenses/any(x:x/skuId eq <guid>)`. Anything else is refused the way Graph refuses it,
//! so a script that works here does not silently depend on a filter the emulator ignores.
//! `$search` takes directory objects' syntax: `"property:words"` clauses joined with `AND` or `OR`.

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use crate::respond::GraphError;

/// Graph's page size when `$top` is absent, and its maximum for directory objects.
pub const DEFAULT_PAGE_SIZE: usize = 100;
pub const MAX_PAGE_SIZE: usize = 999;

/// The query options of one request, decoded.
#[derive(Debug, Default, Clone)]
pub struct Query {
    pub select: Option<Vec<String>>,
    pub filter: Option<Filter>,
    pub search: Option<Search>,
    pub top: Option<usize>,
    pub count: bool,
    pub skip_token: Option<usize>,
    /// The `@odata.count` of the first page, carried by the page tokens after it so a large collection is counted once.
    pub counted: Option<usize>,
    pub order_by: Option<(String, bool)>,
    /// `$expand`: the navigation properties to return with each object.
    pub expand: Option<Vec<String>>,
    /// Other options, kept to rebuild `@odata.nextLink`.
    pub raw: Vec<(String, String)>,
}

impl Query {
    /// Parses the raw query string (without `?`). Unknown `$` options are a 400, as in Graph.
    pub fn parse(raw: Option<&str>) -> Result<Query, GraphError> {
        let mut query = Query::default();
        let Some(raw) = raw else {
            return Ok(query);
        };
        for pair in raw.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = decode(name);
            let value = decode(value);
            let lower = name.to_ascii_lowercase();
            match lower.as_str() {
                "$select" => query.select = Some(names(&value)),
                "$filter" => query.filter = Some(Filter::parse(&value)?),
                "$search" => query.search = Some(Search::parse(&value)?),
                "$top" => {
                    let top: usize = value.trim().parse().map_err(|_| {
                        GraphError::bad_request(format!("Invalid value '{value}' for $top."))
                    })?;
                    if top == 0 || top > MAX_PAGE_SIZE {
                        return Err(GraphError::new(
                            hyper::StatusCode::BAD_REQUEST,
                            "Request_BadRequest",
                            format!("Invalid page size specified: '{top}'. Must be between 1 and {MAX_PAGE_SIZE} inclusive."),
                        ));
                    }
                    query.top = Some(top);
                }
                "$count" => {
                    query.count = match value.trim().to_ascii_lowercase().as_str() {
                        "true" => true,
                        "false" => false,
                        _ => {
                            return Err(GraphError::bad_request(format!(
                                "Invalid value '{value}' for $count."
                            )))
                        }
                    }
                }
                "$skiptoken" => {
                    let (offset, counted) = decode_skip_token(&value).ok_or_else(|| {
                        GraphError::new(
                            hyper::StatusCode::BAD_REQUEST,
                            "Directory_ExpiredPageToken",
                            "The specified page token value has expired and can no longer be included in your request.",
                        )
                    })?;
                    query.skip_token = Some(offset);
                    query.counted = counted;
                }
                "$orderby" => {
                    let mut parts = value.split_whitespace();
                    let property = parts.next().unwrap_or_default().to_owned();
                    let descending = match parts.next().map(str::to_ascii_lowercase).as_deref() {
                        None | Some("asc") => false,
                        Some("desc") => true,
                        Some(other) => {
                            return Err(GraphError::bad_request(format!(
                                "Invalid $orderby direction '{other}'."
                            )))
                        }
                    };
                    query.order_by = Some((property, descending));
                }
                "$expand" => query.expand = Some(names(&value)),
                // As Graph answers it on directory objects (users, groups, their members).
                "$skip" => {
                    return Err(GraphError::new(
                        hyper::StatusCode::BAD_REQUEST,
                        "Request_BadRequest",
                        "'$skip' is not supported by the service.",
                    ))
                }
                "$format" | "$apply" => {
                    return Err(GraphError::new(
                        hyper::StatusCode::BAD_REQUEST,
                        "Request_UnsupportedQuery",
                        format!("The Graph emulator does not support the query option '{name}'."),
                    ))
                }
                _ if lower.starts_with('$') => {
                    return Err(GraphError::bad_request(format!(
                        "Query option '{name}' is not allowed. Make sure that it is supported and that the $ prefix is used if needed."
                    )))
                }
                _ => {}
            }
            if lower != "$skiptoken" {
                query.raw.push((name, value));
            }
        }
        Ok(query)
    }

    /// Advanced queries (`$search`, `$count`, `ne`, `not`, `/$count` in a filter) need `ConsistencyLevel: eventual`
    /// and, in a filter, `$count=true` too; Graph refuses them otherwise, and so does the emulator.
    pub fn check_advanced(&self, eventual: bool) -> Result<(), GraphError> {
        if self.search.is_some() && !eventual {
            return Err(GraphError::new(
                hyper::StatusCode::BAD_REQUEST,
                "Request_UnsupportedQuery",
                "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
            ));
        }
        if self.count && !eventual {
            return Err(GraphError::new(
                hyper::StatusCode::BAD_REQUEST,
                "Request_BadRequest",
                "$count is not currently supported.",
            ));
        }
        if let Some(filter) = &self.filter {
            if filter.is_advanced() && !(eventual && self.count) {
                return Err(GraphError::new(
                    hyper::StatusCode::BAD_REQUEST,
                    "Request_UnsupportedQuery",
                    "Unsupported or invalid query filter clause specified for the resource. This query needs the ConsistencyLevel header set to 'eventual' and $count=true.",
                ));
            }
        }
        Ok(())
    }

    /// Whether an object passes both `$filter` and `$search`.
    pub fn matches(&self, object: &Map<String, Value>) -> bool {
        self.filter.as_ref().map_or(true, |f| f.matches(object))
            && self.search.as_ref().map_or(true, |s| s.matches(object))
    }

    /// The query string of the next page: the same options with a new `$skiptoken`.
    pub fn next_link_query(&self, offset: usize) -> String {
        self.next_link_query_counted(offset, None)
    }

    /// As [`Query::next_link_query`], the token also carrying the collection's count.
    pub fn next_link_query_counted(&self, offset: usize, counted: Option<usize>) -> String {
        let mut parts: Vec<String> = self
            .raw
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        parts.push(format!("$skiptoken={}", encode_skip_token(offset, counted)));
        parts.join("&")
    }
}

fn decode(text: &str) -> String {
    // Form-style `+` for a space; clients that mean a plus sign send %2B.
    percent_decode_str(&text.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

fn encode(text: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'$')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b',')
        .remove(b'/')
        .remove(b'(')
        .remove(b')')
        .remove(b':');
    percent_encoding::utf8_percent_encode(text, SET).to_string()
}

/// The comma-separated names of `$select` or `$expand`, trimmed, empty ones left out.
fn names(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Page tokens look opaque, as Graph's do, so clients pass them on instead of building them.
fn encode_skip_token(offset: usize, counted: Option<usize>) -> String {
    let text = match counted {
        Some(count) => format!("emulator:{offset}:{count}"),
        None => format!("emulator:{offset}"),
    };
    format!(
        "RFNwdAIAAQAAA{}",
        base64::encode_config(text, base64::URL_SAFE_NO_PAD)
    )
}

fn decode_skip_token(token: &str) -> Option<(usize, Option<usize>)> {
    let bytes = base64::decode_config(
        token.strip_prefix("RFNwdAIAAQAAA")?,
        base64::URL_SAFE_NO_PAD,
    )
    .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let rest = text.strip_prefix("emulator:")?;
    match rest.split_once(':') {
        Some((offset, count)) => Some((offset.parse().ok()?, Some(count.parse().ok()?))),
        None => Some((rest.parse().ok()?, None)),
    }
}

/// Looks a property up without regard to case, as OData property names bind.
pub fn property<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// Keeps only the selected properties (missing ones as null), canonical names taken from `known` or the object.
pub fn select(object: &Map<String, Value>, names: &[String], known: &[&str]) -> Map<String, Value> {
    let mut out = Map::new();
    for name in names {
        let canonical = object
            .keys()
            .find(|k| k.eq_ignore_ascii_case(name))
            .cloned()
            .or_else(|| {
                known
                    .iter()
                    .find(|k| k.eq_ignore_ascii_case(name))
                    .map(|k| (*k).to_owned())
            })
            .unwrap_or_else(|| name.clone());
        let value = object.get(&canonical).cloned().unwrap_or(Value::Null);
        out.insert(canonical, value);
    }
    out
}

/// A parsed `$filter` expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Or(Box<Filter>, Box<Filter>),
    And(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Compare {
        path: String,
        op: Op,
        value: Literal,
    },
    In {
        path: String,
        values: Vec<Literal>,
    },
    StartsWith {
        path: String,
        prefix: String,
    },
    /// `collection/any(x:x/prop eq value)`.
    Any {
        collection: String,
        property: String,
        value: Literal,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    String(String),
    Bool(bool),
    Null,
    Number(f64),
    /// Unquoted GUIDs, as in `skuId eq 05e9a617-...`.
    Guid(String),
}

impl Literal {
    fn matches(&self, value: &Value) -> Option<std::cmp::Ordering> {
        use std::cmp::Ordering;
        match (self, value) {
            (Literal::Null, Value::Null) => Some(Ordering::Equal),
            (Literal::Null, _) | (_, Value::Null) => None,
            (Literal::String(s) | Literal::Guid(s), Value::String(v)) => {
                Some(v.to_lowercase().cmp(&s.to_lowercase()))
            }
            (Literal::Bool(b), Value::Bool(v)) => Some(v.cmp(b)),
            (Literal::Number(n), Value::Number(v)) => v.as_f64()?.partial_cmp(n),
            _ => None,
        }
    }
}

impl Filter {
    pub fn parse(text: &str) -> Result<Filter, GraphError> {
        let tokens = tokenize(text)?;
        let mut parser = Parser { tokens, at: 0 };
        let filter = parser.or()?;
        if parser.at != parser.tokens.len() {
            return Err(invalid_filter(text));
        }
        Ok(filter)
    }

    fn is_advanced(&self) -> bool {
        match self {
            Filter::Or(a, b) | Filter::And(a, b) => a.is_advanced() || b.is_advanced(),
            Filter::Not(_) => true,
            Filter::Compare { path, op, .. } => *op == Op::Ne || path.contains("$count"),
            Filter::In { .. } | Filter::StartsWith { .. } | Filter::Any { .. } => false,
        }
    }

    pub fn matches(&self, object: &Map<String, Value>) -> bool {
        match self {
            Filter::Or(a, b) => a.matches(object) || b.matches(object),
            Filter::And(a, b) => a.matches(object) && b.matches(object),
            Filter::Not(inner) => !inner.matches(object),
            Filter::Compare { path, op, value } => {
                let actual = resolve(object, path);
                let ordering = value.matches(&actual);
                match op {
                    Op::Eq => ordering == Some(std::cmp::Ordering::Equal),
                    Op::Ne => ordering != Some(std::cmp::Ordering::Equal),
                    Op::Gt => ordering == Some(std::cmp::Ordering::Greater),
                    Op::Ge => matches!(
                        ordering,
                        Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)
                    ),
                    Op::Lt => ordering == Some(std::cmp::Ordering::Less),
                    Op::Le => matches!(
                        ordering,
                        Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
                    ),
                }
            }
            Filter::In { path, values } => {
                let actual = resolve(object, path);
                values
                    .iter()
                    .any(|v| v.matches(&actual) == Some(std::cmp::Ordering::Equal))
            }
            Filter::StartsWith { path, prefix } => resolve(object, path)
                .as_str()
                .is_some_and(|s| s.to_lowercase().starts_with(&prefix.to_lowercase())),
            Filter::Any {
                collection,
                property: inner,
                value,
            } => property(object, collection)
                .and_then(Value::as_array)
                .is_some_and(|items| {
                    items.iter().any(|item| {
                        let actual = if inner.is_empty() {
                            item.clone()
                        } else {
                            item.as_object()
                                .and_then(|o| property(o, inner))
                                .cloned()
                                .unwrap_or(Value::Null)
                        };
                        value.matches(&actual) == Some(std::cmp::Ordering::Equal)
                    })
                }),
        }
    }
}

/// `a/b` walks into objects; `x/$count` is an array's length.
fn resolve(object: &Map<String, Value>, path: &str) -> Value {
    let mut current = Value::Object(object.clone());
    for part in path.split('/') {
        current = if part.eq_ignore_ascii_case("$count") {
            Value::from(current.as_array().map_or(0, Vec::len))
        } else {
            current
                .as_object()
                .and_then(|o| property(o, part))
                .cloned()
                .unwrap_or(Value::Null)
        };
    }
    current
}

fn invalid_filter(text: &str) -> GraphError {
    GraphError::new(
        hyper::StatusCode::BAD_REQUEST,
        "Request_UnsupportedQuery",
        format!("Invalid filter clause: the emulator cannot parse '{text}'."),
    )
}

/// `$search` on directory objects: `"property:words"` clauses joined with `AND` or `OR` (upper case,
/// `AND` binding tighter). A clause matches when each of its words begins a word of the property,
/// ignoring case: `"displayName:adm"` finds `Break-glass Administrator`, `"mail:contoso"` finds
/// `AdeleV@contoso.com`.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    /// Alternatives (`OR`), each a list of clauses that must all match (`AND`).
    any_of: Vec<Vec<SearchClause>>,
}

#[derive(Debug, Clone, PartialEq)]
struct SearchClause {
    property: String,
    /// Lower case, without the symbols around them.
    words: Vec<String>,
}

impl Search {
    pub fn parse(text: &str) -> Result<Search, GraphError> {
        let invalid = || invalid_search(text);
        let mut any_of = vec![Vec::new()];
        let mut rest = text.trim();
        loop {
            let (clause, after) = rest
                .strip_prefix('"')
                .and_then(|inner| inner.split_once('"'))
                .ok_or_else(invalid)?;
            let (property, value) = clause.split_once(':').ok_or_else(invalid)?;
            let words: Vec<String> = value
                .split_whitespace()
                .map(|w| {
                    w.trim_matches(|c: char| !c.is_alphanumeric())
                        .to_lowercase()
                })
                .filter(|w| !w.is_empty())
                .collect();
            let property = property.trim();
            if property.is_empty() || words.is_empty() {
                return Err(invalid());
            }
            any_of.last_mut().expect("never empty").push(SearchClause {
                property: property.to_owned(),
                words,
            });
            rest = after.trim_start();
            if rest.is_empty() {
                return Ok(Search { any_of });
            }
            let (operator, after) = rest.split_once(char::is_whitespace).ok_or_else(invalid)?;
            match operator {
                "AND" => {}
                "OR" => any_of.push(Vec::new()),
                _ => return Err(invalid()),
            }
            rest = after.trim_start();
        }
    }

    /// Refuses a clause on a property the emulator does not search for this type.
    pub fn check(&self, searchable: &[&str], type_name: &str) -> Result<(), GraphError> {
        match self
            .any_of
            .iter()
            .flatten()
            .find(|c| !searchable.iter().any(|s| s.eq_ignore_ascii_case(&c.property)))
        {
            Some(clause) => Err(GraphError::new(
                hyper::StatusCode::BAD_REQUEST,
                "Request_UnsupportedQuery",
                format!(
                    "The Graph emulator cannot $search the property '{}' of microsoft.graph.{type_name}; it searches {}.",
                    clause.property,
                    searchable.join(", ")
                ),
            )),
            None => Ok(()),
        }
    }

    pub fn matches(&self, object: &Map<String, Value>) -> bool {
        self.any_of.iter().any(|all| {
            all.iter().all(|clause| {
                property(object, &clause.property)
                    .and_then(Value::as_str)
                    .is_some_and(|value| clause.words.iter().all(|w| begins_a_word(value, w)))
            })
        })
    }
}

/// Whether `word` (lower case) begins a word of `text`: at its start, after a space or symbol, at an
/// upper-case letter after a lower-case one, or where letters and digits meet.
fn begins_a_word(text: &str, word: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    (0..chars.len()).any(|i| {
        let c = chars[i];
        let starts = c.is_alphanumeric()
            && match i.checked_sub(1).map(|before| chars[before]) {
                None => true,
                Some(before) => {
                    !before.is_alphanumeric()
                        || (before.is_lowercase() && c.is_uppercase())
                        || before.is_alphabetic() != c.is_alphabetic()
                }
            };
        starts && {
            let mut rest = chars[i..].iter().flat_map(|c| c.to_lowercase());
            word.chars().all(|w| rest.next() == Some(w))
        }
    })
}

fn invalid_search(text: &str) -> GraphError {
    GraphError::new(
        hyper::StatusCode::BAD_REQUEST,
        "Request_UnsupportedQuery",
        format!("Invalid $search clause: the emulator cannot parse '{text}'; it takes \"property:words\" clauses joined with AND or OR."),
    )
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Open,
    Close,
    Comma,
    Colon,
}

fn tokenize(text: &str) -> Result<Vec<Token>, GraphError> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                tokens.push(Token::Open);
                i += 1
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1
            }
            ',' => {
                tokens.push(Token::Comma);
                i += 1
            }
            ':' => {
                tokens.push(Token::Colon);
                i += 1
            }
            '\'' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(invalid_filter(text)),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            s.push('\'');
                            i += 2
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(c) => {
                            s.push(*c);
                            i += 1
                        }
                    }
                }
                tokens.push(Token::Str(s));
            }
            _ => {
                let start = i;
                while i < chars.len() && !chars[i].is_whitespace() && !"(),:'".contains(chars[i]) {
                    i += 1;
                }
                tokens.push(Token::Word(chars[start..i].iter().collect()));
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.at), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn expect(&mut self, token: Token) -> Result<(), GraphError> {
        if self.next() == Some(token) {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    fn error(&self) -> GraphError {
        GraphError::new(
            hyper::StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            "Invalid filter clause.",
        )
    }

    fn or(&mut self) -> Result<Filter, GraphError> {
        let mut left = self.and()?;
        while self.peek_word("or") {
            self.at += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, GraphError> {
        let mut left = self.unary()?;
        while self.peek_word("and") {
            self.at += 1;
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, GraphError> {
        if self.peek_word("not") {
            self.at += 1;
            return Ok(Filter::Not(Box::new(self.unary()?)));
        }
        if self.tokens.get(self.at) == Some(&Token::Open) {
            self.at += 1;
            let inner = self.or()?;
            self.expect(Token::Close)?;
            return Ok(inner);
        }
        let Some(Token::Word(word)) = self.next() else {
            return Err(self.error());
        };
        if word.eq_ignore_ascii_case("startswith") {
            self.expect(Token::Open)?;
            let Some(Token::Word(path)) = self.next() else {
                return Err(self.error());
            };
            self.expect(Token::Comma)?;
            let Some(Token::Str(prefix)) = self.next() else {
                return Err(self.error());
            };
            self.expect(Token::Close)?;
            return Ok(Filter::StartsWith { path, prefix });
        }
        if let Some(collection) = word
            .strip_suffix("/any")
            .or_else(|| word.strip_suffix("/ANY"))
        {
            // collection/any(x:x/property eq value)
            self.expect(Token::Open)?;
            let Some(Token::Word(variable)) = self.next() else {
                return Err(self.error());
            };
            self.expect(Token::Colon)?;
            let Some(Token::Word(inner)) = self.next() else {
                return Err(self.error());
            };
            let property = match inner.split_once('/') {
                Some((v, p)) if v == variable => p.to_owned(),
                None if inner == variable => String::new(),
                _ => return Err(self.error()),
            };
            if !self.peek_word("eq") {
                return Err(self.error());
            }
            self.at += 1;
            let value = self.literal()?;
            self.expect(Token::Close)?;
            return Ok(Filter::Any {
                collection: collection.to_owned(),
                property,
                value,
            });
        }
        let path = word;
        let Some(Token::Word(op)) = self.next() else {
            return Err(self.error());
        };
        if op.eq_ignore_ascii_case("in") {
            self.expect(Token::Open)?;
            let mut values = vec![self.literal()?];
            while self.tokens.get(self.at) == Some(&Token::Comma) {
                self.at += 1;
                values.push(self.literal()?);
            }
            self.expect(Token::Close)?;
            return Ok(Filter::In { path, values });
        }
        let op = match op.to_ascii_lowercase().as_str() {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            _ => return Err(self.error()),
        };
        let value = self.literal()?;
        Ok(Filter::Compare { path, op, value })
    }

    fn literal(&mut self) -> Result<Literal, GraphError> {
        match self.next() {
            Some(Token::Str(s)) => Ok(Literal::String(s)),
            Some(Token::Word(w)) => {
                let lower = w.to_ascii_lowercase();
                Ok(match lower.as_str() {
                    "true" => Literal::Bool(true),
                    "false" => Literal::Bool(false),
                    "null" => Literal::Null,
                    _ => match w.parse::<f64>() {
                        Ok(n) if !w.contains('-') || w.starts_with('-') => Literal::Number(n),
                        _ if uuid::Uuid::parse_str(&w).is_ok() => Literal::Guid(w),
                        _ => return Err(self.error()),
                    },
                })
            }
            _ => Err(self.error()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user() -> Map<String, Value> {
        json!({"id":"A1","userPrincipalName":"Adele@x","accountEnabled":true,"usageLocation":null,
               "assignedLicenses":[{"skuId":"05e9a617-0261-4cee-bb44-138d3ef5d965","disabledPlans":[]}]})
        .as_object()
        .unwrap()
        .clone()
    }

    fn matches(filter: &str) -> bool {
        Filter::parse(filter).unwrap().matches(&user())
    }

    #[test]
    fn filters_runbooks_write() {
        assert!(matches("userPrincipalName eq 'adele@X'"));
        assert!(matches("id in ('zz', 'a1')"));
        assert!(!matches("id in ('zz')"));
        assert!(matches("accountEnabled eq true and usageLocation eq null"));
        assert!(matches("startswith(userPrincipalName,'ad') or id eq 'q'"));
        assert!(matches("assignedLicenses/$count ne 0"));
        assert!(matches("not (assignedLicenses/$count eq 0)"));
        assert!(matches(
            "assignedLicenses/any(x:x/skuId eq 05e9a617-0261-4cee-bb44-138d3ef5d965)"
        ));
        assert!(!matches(
            "assignedLicenses/any(x:x/skuId eq f8a1db68-be16-40ed-86d5-cb42ce701560)"
        ));
        assert!(matches("userPrincipalName eq 'o''brien@x' or id eq 'A1'"));
        assert!(Filter::parse("id eq").is_err());
        assert!(Filter::parse("id foo 'x'").is_err());
        assert!(Filter::parse("id eq 'x").is_err());
    }

    #[test]
    fn advanced_queries_need_eventual_consistency_and_count() {
        let q = Query::parse(Some("$filter=assignedLicenses/$count%20ne%200&$count=true")).unwrap();
        assert!(q.check_advanced(true).is_ok());
        assert_eq!(
            q.check_advanced(false).unwrap_err().code,
            "Request_BadRequest"
        );
        let q = Query::parse(Some("$filter=assignedLicenses/$count+ne+0")).unwrap();
        assert_eq!(
            q.check_advanced(true).unwrap_err().code,
            "Request_UnsupportedQuery"
        );
        let q = Query::parse(Some("$filter=id%20eq%20'x'")).unwrap();
        assert!(q.check_advanced(false).is_ok());
    }

    fn searched(search: &str) -> bool {
        let object = json!({"displayName":"Break-glass Administrator","mail":"AdeleV@contoso.com",
                            "surname":"O'Brien","givenName":null,"description":"Office365 E3"})
        .as_object()
        .unwrap()
        .clone();
        Search::parse(search).unwrap().matches(&object)
    }

    #[test]
    fn skip_is_refused_as_graph_refuses_it_and_expand_is_read() {
        let refused = Query::parse(Some("$top=2&$skip=1")).unwrap_err();
        assert_eq!(refused.code, "Request_BadRequest");
        assert_eq!(refused.message, "'$skip' is not supported by the service.");
        let query = Query::parse(Some("$expand=memberOf,%20manager")).unwrap();
        assert_eq!(
            query.expand,
            Some(vec!["memberOf".to_string(), "manager".to_string()])
        );
    }

    #[test]
    fn search_matches_words_at_their_start() {
        assert!(searched(r#""displayName:adm""#));
        assert!(searched(r#""displayName:GLASS""#));
        assert!(!searched(r#""displayName:dmin""#));
        assert!(searched(r#""displayName:break adm""#), "every word");
        assert!(!searched(r#""displayName:break zed""#));
        assert!(searched(r#""mail:adelev@contoso.com""#));
        assert!(searched(r#""mail:contoso""#));
        assert!(searched(r#""mail:v""#), "camel case starts a word");
        assert!(searched(r#""surname:o'brien""#));
        assert!(
            searched(r#""surname:(brien)""#),
            "symbols around a word drop"
        );
        assert!(searched(r#""description:365""#));
        assert!(!searched(r#""givenName:a""#), "null never matches");
        assert!(!searched(r#""jobTitle:a""#));
        assert!(searched(r#""displayName:zed" OR "mail:adele""#));
        assert!(!searched(r#""displayName:zed" AND "mail:adele""#));
        assert!(searched(r#""displayName:zed" AND "mail:x" OR "surname:o""#));
        assert!(searched(r#" "DISPLAYNAME:adm"  AND  "mail:contoso" "#));
    }

    #[test]
    fn search_syntax_is_refused_unless_quoted_clauses_with_and_or_or() {
        for bad in [
            "displayName:adm",
            r#""adm""#,
            r#""displayName:""#,
            r#"":adm""#,
            r#""displayName:adm"#,
            r#""displayName:a" or "mail:b""#,
            r#""displayName:a" "mail:b""#,
            r#""displayName:a" AND"#,
            r#"("displayName:a")"#,
        ] {
            assert_eq!(
                Search::parse(bad).unwrap_err().code,
                "Request_UnsupportedQuery",
                "{bad}"
            );
        }
        let search = Search::parse(r#""displayName:a" OR "jobTitle:b""#).unwrap();
        assert!(search
            .check(&["displayName", "mail"], "user")
            .unwrap_err()
            .message
            .contains("'jobTitle'"));
        assert!(search.check(&["DisplayName", "jobtitle"], "user").is_ok());
    }

    #[test]
    fn search_needs_eventual_consistency_but_not_count() {
        let q = Query::parse(Some("$search=%22displayName:a%22&$top=2")).unwrap();
        assert!(q.check_advanced(true).is_ok());
        let refused = q.check_advanced(false).unwrap_err();
        assert_eq!(refused.code, "Request_UnsupportedQuery");
        assert!(refused.message.contains("'ConsistencyLevel: eventual'"));
        let next = Query::parse(Some(&q.next_link_query(2))).unwrap();
        assert_eq!(next.search, q.search);
    }

    #[test]
    fn page_tokens_round_trip_and_keep_other_options() {
        let q = Query::parse(Some("$top=2&$select=id,displayName&$skiptoken=x")).err();
        assert!(q.is_some(), "a forged token is refused");
        let q = Query::parse(Some("$top=2&$select=id,displayName")).unwrap();
        let next = q.next_link_query(4);
        let again = Query::parse(Some(&next)).unwrap();
        assert_eq!(again.skip_token, Some(4));
        assert_eq!(again.counted, None);
        let counted = Query::parse(Some(&q.next_link_query_counted(7, Some(1234)))).unwrap();
        assert_eq!((counted.skip_token, counted.counted), (Some(7), Some(1234)));
        assert_eq!(again.top, Some(2));
        assert_eq!(again.select.unwrap(), ["id", "displayName"]);
        assert!(Query::parse(Some("$top=0")).is_err());
        assert!(Query::parse(Some("$bogus=1")).is_err());
    }
}
