//! The engine's, the C ABI's and the emulator's modules depend one way: no module reaches, through
//! the `crate::` paths it names, back to a module that reaches it. A circle between modules is how
//! "the client is both the API and the machinery the API's parts call back into" starts, so it is
//! refused here rather than found by a reader later.
//!
//! A module is a file (`src/a.rs` or `src/a/mod.rs` is `a`, `src/a/b.rs` is `a::b`); a `crate::`
//! path names the deepest module it goes through. `lib.rs`/`main.rs` (which declare everything)
//! and each file's `#[cfg(test)] mod tests` are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/auth/login.rs` → `auth::login`, `src/auth/mod.rs` → `auth`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts.join("::")
}

/// The code of a file without comments and without its test module.
fn code_of(text: &str) -> String {
    let mut code = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|l| l.trim_start().starts_with("mod tests"))
        {
            break;
        }
        let line = match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        };
        code.push_str(line);
        code.push('\n');
    }
    code
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Reads a use tree (`a::b::{c, d::e}`) at `s`, pushing each full path; returns the rest.
fn use_tree<'a>(mut s: &'a str, prefix: &[String], paths: &mut Vec<Vec<String>>) -> &'a str {
    let mut path = prefix.to_vec();
    loop {
        s = s.trim_start();
        if let Some(rest) = s.strip_prefix('{') {
            s = rest;
            loop {
                s = use_tree(s, &path, paths).trim_start();
                if let Some(rest) = s.strip_prefix(',') {
                    s = rest;
                    if let Some(rest) = s.trim_start().strip_prefix('}') {
                        return rest;
                    }
                } else {
                    return s.strip_prefix('}').unwrap_or(s);
                }
            }
        }
        let end = s.find(|c: char| !is_ident(c)).unwrap_or(s.len());
        if end == 0 {
            paths.push(path);
            return s;
        }
        path.push(s[..end].to_string());
        s = &s[end..];
        match s.strip_prefix("::") {
            Some(rest) => s = rest,
            None => {
                paths.push(path);
                return s;
            }
        }
    }
}

fn dependency_graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(src, f)).collect();
    let mut graph = Graph::new();
    for file in &files {
        let module = module_of(src, file);
        if module == "lib" || module == "main" {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(file).unwrap());
        let mut paths = Vec::new();
        let mut rest = code.as_str();
        while let Some(at) = rest.find("crate::") {
            let before = rest[..at].chars().next_back();
            rest = &rest[at + "crate::".len()..];
            if before.is_some_and(is_ident) {
                continue;
            }
            rest = use_tree(rest, &[], &mut paths);
        }
        let deps = graph.entry(module.clone()).or_default();
        for path in paths {
            let target = (1..=path.len())
                .rev()
                .map(|n| path[..n].join("::"))
                .find(|m| modules.contains(m));
            if let Some(target) = target.filter(|t| *t != module) {
                deps.insert(target);
            }
        }
    }
    graph
}

/// The circles of the graph (strongly connected components of more than one module).
fn circles(graph: &Graph) -> Vec<Vec<String>> {
    struct Walk<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        circles: Vec<Vec<String>>,
    }
    impl<'g> Walk<'g> {
        fn visit(&mut self, v: &'g str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            for w in self.graph.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.stack.contains(&w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let at = self.stack.iter().rposition(|m| *m == v).unwrap();
                let component: Vec<String> = self.stack.drain(at..).map(String::from).collect();
                if component.len() > 1 {
                    self.circles.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        circles: Vec::new(),
    };
    for v in graph.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.circles
}

fn crate_src(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name)
        .join("src")
}

#[test]
fn the_reader_sees_a_circle_when_there_is_one() {
    let graph: Graph = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]
        .iter()
        .fold(Graph::new(), |mut g, (from, to)| {
            g.entry(from.to_string())
                .or_default()
                .insert(to.to_string());
            g
        });
    assert_eq!(circles(&graph).len(), 1);
    let mut paths = Vec::new();
    use_tree(
        "{auth::{secret::Secret, x}, error::Error};",
        &[],
        &mut paths,
    );
    assert_eq!(
        paths,
        vec![
            vec!["auth", "secret", "Secret"],
            vec!["auth", "x"],
            vec!["error", "Error"]
        ]
    );
}

#[test]
fn the_engine_modules_depend_one_way() {
    let graph = dependency_graph(&crate_src("mglicense"));
    assert!(
        graph["client"].contains("send"),
        "the reader found no edges: {graph:?}"
    );
    assert_eq!(circles(&graph), Vec::<Vec<String>>::new(), "{graph:#?}");
}

#[test]
fn the_c_abi_modules_depend_one_way() {
    let graph = dependency_graph(&crate_src("mglicense-ffi"));
    assert_eq!(circles(&graph), Vec::<Vec<String>>::new(), "{graph:#?}");
}

#[test]
fn the_emulator_modules_depend_one_way() {
    let graph = dependency_graph(&crate_src("graph-emulator"));
    assert!(!graph.is_empty());
    assert_eq!(circles(&graph), Vec::<Vec<String>>::new(), "{graph:#?}");
}
