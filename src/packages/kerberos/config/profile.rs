//! MIT's profile format (krb5.conf(5)): `[section]` headers, `tag = value`
//! relations, `tag = { ... }` subsections, comments (`#` or `;` first on a
//! line), `include FILE` and `includedir DIR` directives at the start of a
//! line, and `*` final markers (after a section's `]`, a tag or a closing
//! `}`): a final node takes no values from later files of `KRB5_CONFIG`.
//!
//! A line that cannot be parsed is skipped with a warning naming file and
//! line; nothing in a file makes the parser fail or panic.

use std::path::{Path, PathBuf};

/// A relation or subsection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub is_final: bool,
    pub value: Value,
    /// `file:line` where the node starts (for warnings).
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Str(String),
    Tree(Vec<Node>),
}

/// How deep `include` may nest (a file including itself stops here).
const MAX_INCLUDE_DEPTH: usize = 8;

/// The parsed files, in `KRB5_CONFIG` order; each file's top level holds
/// its sections (with the content of the files it includes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub files: Vec<Vec<Node>>,
    pub warnings: Vec<String>,
}

/// `name(*)?` → (name, final).
fn split_final(tag: &str) -> (&str, bool) {
    match tag.strip_suffix('*') {
        Some(t) => (t.trim_end(), true),
        None => (tag, false),
    }
}

/// A double-quoted value with MIT's escapes (`\n`, `\t`, `\b`, `\\`, `\"`).
fn unquote(v: &str) -> String {
    let mut out = String::new();
    let mut chars = v[1..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('b') => out.push('\u{8}'),
                Some(o) => out.push(o),
                None => break,
            },
            _ => out.push(c),
        }
    }
    out
}

/// Parsing state of one file.
struct Parser<'a> {
    origin: &'a str,
    warnings: &'a mut Vec<String>,
    files: &'a mut Vec<PathBuf>,
    depth: usize,
    /// Open nodes: the section (if any) and its open subsections.
    stack: Vec<Node>,
    /// `tag =` with the `{` expected on the next line.
    pending_brace: Option<(String, bool)>,
}

impl Parser<'_> {
    fn warn(&mut self, line: usize, what: &str) {
        self.warnings
            .push(format!("{}:{}: {}", self.origin, line, what));
    }

    /// Close the innermost open node into its parent (or the file's top level).
    fn close(&mut self, top: &mut Vec<Node>) {
        if let Some(node) = self.stack.pop() {
            match self.stack.last_mut() {
                Some(Node {
                    value: Value::Tree(children),
                    ..
                }) => children.push(node),
                _ => top.push(node),
            }
        }
    }

    fn push_relation(&mut self, node: Node) {
        if let Some(Node {
            value: Value::Tree(children),
            ..
        }) = self.stack.last_mut()
        {
            children.push(node);
        }
    }

    fn parse(&mut self, text: &str, top: &mut Vec<Node>) {
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            if let Some(rest) = raw
                .strip_prefix("includedir")
                .filter(|r| r.starts_with(char::is_whitespace))
            {
                self.include_dir(Path::new(rest.trim()), n, top);
                continue;
            }
            if let Some(rest) = raw
                .strip_prefix("include")
                .filter(|r| r.starts_with(char::is_whitespace))
            {
                self.include_file(Path::new(rest.trim()), n, top);
                continue;
            }
            if raw.starts_with("module") && raw[6..].starts_with(char::is_whitespace) {
                continue;
            }
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some((tag, is_final)) = self.pending_brace.take() {
                if line == "{" {
                    let at = format!("{}:{n}", self.origin);
                    self.stack.push(Node {
                        name: tag,
                        is_final,
                        value: Value::Tree(Vec::new()),
                        at,
                    });
                    continue;
                }
                self.warn(n, "missing '{' after an empty relation");
            }
            if let Some(rest) = line.strip_prefix('[') {
                let Some((name, after)) = rest.split_once(']') else {
                    self.warn(n, "section header without ']'");
                    continue;
                };
                while !self.stack.is_empty() {
                    if self.stack.len() > 1 {
                        self.warn(n, "subsection not closed before the next section");
                    }
                    self.close(top);
                }
                self.stack.push(Node {
                    name: name.trim().to_string(),
                    is_final: after.trim_start().starts_with('*'),
                    value: Value::Tree(Vec::new()),
                    at: format!("{}:{n}", self.origin),
                });
                continue;
            }
            if self.stack.is_empty() {
                // Lines before the first section are ignored (MIT).
                continue;
            }
            if let Some(after) = line.strip_prefix('}') {
                if self.stack.len() < 2 {
                    self.warn(n, "'}' without an open subsection");
                    continue;
                }
                if after.trim_start().starts_with('*') {
                    if let Some(node) = self.stack.last_mut() {
                        node.is_final = true;
                    }
                }
                self.close(top);
                continue;
            }
            let Some((tag, value)) = line.split_once('=') else {
                self.warn(n, "relation without '='");
                continue;
            };
            let (tag, is_final) = split_final(tag.trim());
            if tag.is_empty() {
                self.warn(n, "relation without a tag");
                continue;
            }
            let value = value.trim();
            if value.is_empty() {
                self.pending_brace = Some((tag.to_string(), is_final));
            } else if value == "{" {
                self.stack.push(Node {
                    name: tag.to_string(),
                    is_final,
                    value: Value::Tree(Vec::new()),
                    at: format!("{}:{n}", self.origin),
                });
            } else {
                let v = if value.starts_with('"') {
                    unquote(value)
                } else {
                    value.to_string()
                };
                self.push_relation(Node {
                    name: tag.to_string(),
                    is_final,
                    value: Value::Str(v),
                    at: format!("{}:{n}", self.origin),
                });
            }
        }
        if self.stack.len() > 1 {
            let n = text.lines().count();
            self.warn(n, "subsection not closed at the end of the file");
        }
        while !self.stack.is_empty() {
            self.close(top);
        }
    }

    /// Parse another file into the same top level, with its own sections.
    fn include_file(&mut self, path: &Path, line: usize, top: &mut Vec<Node>) {
        if !path.is_absolute() {
            return self.warn(line, "include needs an absolute path");
        }
        if self.depth >= MAX_INCLUDE_DEPTH {
            return self.warn(line, "includes nested too deeply");
        }
        self.files.push(path.to_path_buf());
        let text = match std::fs::read(path) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => return self.warn(line, &format!("cannot read {}: {e}", path.display())),
        };
        let origin = path.display().to_string();
        let mut sub = Parser {
            origin: &origin,
            warnings: self.warnings,
            files: self.files,
            depth: self.depth + 1,
            stack: Vec::new(),
            pending_brace: None,
        };
        sub.parse(&text, top);
    }

    /// Every file of `dir` whose name is made of letters, digits, `-` and
    /// `_`, or ends in `.conf`, and does not start with `.`, in name order.
    fn include_dir(&mut self, dir: &Path, line: usize, top: &mut Vec<Node>) {
        if !dir.is_absolute() {
            return self.warn(line, "includedir needs an absolute path");
        }
        self.files.push(dir.to_path_buf());
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => return self.warn(line, &format!("cannot read {}: {e}", dir.display())),
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| {
                !n.starts_with('.')
                    && (n.ends_with(".conf")
                        || n.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            })
            .collect();
        names.sort();
        for n in names {
            self.include_file(&dir.join(n), line, top);
        }
    }
}

/// Parse one file's text (`origin` names it in warnings); `include`d files
/// are read from disk. Returns its top level; files read are added to `files`.
pub fn parse_text(
    text: &str,
    origin: &str,
    warnings: &mut Vec<String>,
    files: &mut Vec<PathBuf>,
) -> Vec<Node> {
    let mut top = Vec::new();
    Parser {
        origin,
        warnings,
        files,
        depth: 0,
        stack: Vec::new(),
        pending_brace: None,
    }
    .parse(text, &mut top);
    top
}

fn matching<'a>(nodes: &'a [Node], name: &str) -> impl Iterator<Item = &'a Node> {
    let name = name.to_string();
    nodes.iter().filter(move |n| n.name == name)
}

/// The nodes at `path` in one file, and whether one on the way was final.
fn find<'a>(top: &'a [Node], path: &[&str]) -> (Vec<&'a Node>, bool) {
    let mut level: Vec<&Node> = Vec::new();
    let mut is_final = false;
    for (i, name) in path.iter().enumerate() {
        let next: Vec<&Node> = if i == 0 {
            matching(top, name).collect()
        } else {
            level
                .iter()
                .flat_map(|n| match &n.value {
                    Value::Tree(children) => matching(children, name).collect::<Vec<_>>(),
                    Value::Str(_) => Vec::new(),
                })
                .collect()
        };
        is_final |= next.iter().any(|n| n.is_final);
        level = next;
    }
    (level, is_final)
}

impl Profile {
    /// Read the files in order (a missing file is skipped, as MIT does).
    /// Also returns every file and directory looked at.
    pub fn load(paths: &[PathBuf]) -> (Profile, Vec<PathBuf>) {
        let mut p = Profile::default();
        let mut files = Vec::new();
        for path in paths {
            files.push(path.clone());
            let Ok(bytes) = std::fs::read(path) else {
                continue;
            };
            let text = String::from_utf8_lossy(&bytes);
            let top = parse_text(
                &text,
                &path.display().to_string(),
                &mut p.warnings,
                &mut files,
            );
            p.files.push(top);
        }
        (p, files)
    }

    /// One text as a profile of one file.
    pub fn parse(text: &str, origin: &str) -> Profile {
        let mut p = Profile::default();
        let top = parse_text(text, origin, &mut p.warnings, &mut Vec::new());
        p.files.push(top);
        p
    }

    /// The nodes at `path` (`["realms", "R", "kdc"]`) of every file, in
    /// order, stopping after a file in which a node on the path is final.
    pub fn nodes(&self, path: &[&str]) -> Vec<&Node> {
        let mut out = Vec::new();
        for top in &self.files {
            let (found, is_final) = find(top, path);
            out.extend(found);
            if is_final {
                break;
            }
        }
        out
    }

    /// Every string value at `path`, in order.
    pub fn values(&self, path: &[&str]) -> Vec<&str> {
        self.nodes(path)
            .into_iter()
            .filter_map(|n| match &n.value {
                Value::Str(s) => Some(s.as_str()),
                Value::Tree(_) => None,
            })
            .collect()
    }

    /// The first string value at `path` (what MIT's `profile_get_string` returns).
    pub fn value(&self, path: &[&str]) -> Option<&str> {
        self.values(path).into_iter().next()
    }

    /// [`Profile::value`] and the `file:line` it was read from.
    pub fn value_at(&self, path: &[&str]) -> Option<(&str, &str)> {
        self.nodes(path).into_iter().find_map(|n| match &n.value {
            Value::Str(s) => Some((s.as_str(), n.at.as_str())),
            Value::Tree(_) => None,
        })
    }

    /// The names of the relations and subsections under `path`.
    pub fn names(&self, path: &[&str]) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for n in self.nodes(path) {
            if let Value::Tree(children) = &n.value {
                for c in children {
                    if !out.contains(&c.name.as_str()) {
                        out.push(&c.name);
                    }
                }
            }
        }
        out
    }
}
