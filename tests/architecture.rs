//! The layering of ARCHITECTURE.md, checked: each top-level module of `src/` may import
//! only the modules its row below names, and the rows form no cycle. A new import that
//! breaks the layering fails here with the file and line that made it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Each top-level module and the crate modules it may import, lowest layer first.
/// ARCHITECTURE.md explains the layers; keep the two in step.
const LAYERS: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("geo", &["domain"]),
    ("private_files", &[]),
    ("error", &["domain"]),
    ("db", &["domain", "geo", "error"]),
    ("config", &["domain", "db", "private_files"]),
    ("telemetry", &["config"]),
    ("http", &["domain", "config", "error", "db"]),
    ("privacy", &["domain", "error", "db", "private_files"]),
    ("audit_anchor", &["domain", "error", "db", "private_files"]),
    (
        "auth",
        &["domain", "config", "error", "db", "http", "private_files"],
    ),
    ("policy", &["domain", "error", "db", "auth"]),
    ("placement", &["domain", "geo", "error", "auth"]),
    ("webhooks", &["domain", "config", "error", "db"]),
    (
        "visits",
        &[
            "domain",
            "geo",
            "error",
            "db",
            "auth",
            "policy",
            "placement",
            "private_files",
        ],
    ),
    (
        "households",
        &[
            "domain",
            "geo",
            "error",
            "db",
            "auth",
            "policy",
            "placement",
            "privacy",
            "visits",
        ],
    ),
    (
        "grievances",
        &[
            "domain",
            "geo",
            "config",
            "error",
            "db",
            "auth",
            "policy",
            "placement",
            "privacy",
            "visits",
            "webhooks",
            "households",
        ],
    ),
    (
        "photos",
        &[
            "domain",
            "geo",
            "config",
            "error",
            "db",
            "auth",
            "policy",
            "placement",
            "private_files",
        ],
    ),
    (
        "accounts",
        &["domain", "geo", "error", "db", "auth", "policy"],
    ),
    (
        "reports",
        &[
            "domain",
            "geo",
            "error",
            "db",
            "auth",
            "policy",
            "placement",
            "grievances",
            "visits",
        ],
    ),
    (
        "sync",
        &[
            "domain",
            "error",
            "db",
            "auth",
            "policy",
            "accounts",
            "grievances",
            "visits",
            "households",
        ],
    ),
    (
        "routes",
        &[
            "domain",
            "geo",
            "error",
            "db",
            "http",
            "auth",
            "policy",
            "placement",
            "privacy",
            "accounts",
            "grievances",
            "visits",
            "photos",
            "households",
            "reports",
            "sync",
            "webhooks",
        ],
    ),
    (
        "demo",
        &[
            "domain",
            "geo",
            "error",
            "db",
            "auth",
            "placement",
            "privacy",
            "grievances",
            "visits",
        ],
    ),
    (
        "console",
        &[
            "domain",
            "geo",
            "error",
            "db",
            "http",
            "auth",
            "policy",
            "grievances",
            "visits",
            "photos",
            "reports",
            "households",
            "privacy",
            "routes",
            "audit_anchor",
            "webhooks",
        ],
    ),
    ("openapi", &["error"]),
    (
        "server",
        &[
            "domain",
            "geo",
            "config",
            "error",
            "db",
            "http",
            "auth",
            "privacy",
            "audit_anchor",
            "accounts",
            "grievances",
            "visits",
            "photos",
            "reports",
            "sync",
            "webhooks",
            "routes",
            "console",
            "openapi",
            "private_files",
            "telemetry",
        ],
    ),
];

/// A module's source files: `src/<name>.rs` or everything under `src/<name>/`.
fn files_of(src: &Path, module: &str) -> Vec<PathBuf> {
    let file = src.join(format!("{module}.rs"));
    if file.is_file() {
        return vec![file];
    }
    let mut files = Vec::new();
    let mut folders = vec![src.join(module)];
    while let Some(folder) = folders.pop() {
        for entry in fs::read_dir(&folder).unwrap().map(Result::unwrap) {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}

/// The crate modules a file's code names (`crate::x`, `$crate::x`, `crate::{x, y::z}`,
/// a group running over several lines too), each with its line number. Comments are
/// skipped; `use super::` stays inside a module, so it never crosses a layer.
fn named_modules(code: &str) -> Vec<(usize, String)> {
    let code: String = code
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut names = Vec::new();
    let mut offset = 0;
    while let Some(at) = code[offset..].find("crate::") {
        let start = offset + at + "crate::".len();
        let line = code[..start].matches('\n').count() + 1;
        let rest = &code[start..];
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level names of the group: at brace depth zero, before any `::`.
            let mut depth = 0;
            let mut current = String::new();
            let mut in_path = false;
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.push((line, std::mem::take(&mut current)));
                        in_path = false;
                    }
                    ':' if depth == 0 => in_path = true,
                    c if depth == 0 && !in_path && (c.is_alphanumeric() || c == '_') => {
                        current.push(c)
                    }
                    _ => {}
                }
            }
            names.push((line, current));
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            names.push((line, name));
        }
        offset = start;
    }
    names.retain(|(_, name)| !name.is_empty());
    names
}

#[test]
fn top_level_modules_import_only_the_layers_below_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let allowed: BTreeMap<&str, BTreeSet<&str>> = LAYERS
        .iter()
        .map(|(module, imports)| (*module, imports.iter().copied().collect()))
        .collect();
    // Items the crate root holds for everyone: `#[macro_export]` macros.
    let roots: BTreeSet<&str> = ["natively", "scoped", "after_key"].into_iter().collect();
    let mut violations = Vec::new();
    for (module, imports) in &allowed {
        for file in files_of(&src, module) {
            let text = fs::read_to_string(&file).unwrap();
            // A module's tests (at its end, by habit) may reach higher, to test it whole.
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            for (line, name) in named_modules(code) {
                let name = name.as_str();
                if name != *module
                    && !imports.contains(name)
                    && !roots.contains(name)
                    && allowed.contains_key(name)
                {
                    violations.push(format!(
                        "{}:{line}: {module} imports {name}",
                        file.strip_prefix(&src).unwrap().display(),
                    ));
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "imports against ARCHITECTURE.md's layers:\n{}",
        violations.join("\n")
    );
}

#[test]
fn every_top_level_module_has_a_layer_and_the_layers_have_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let listed: BTreeSet<&str> = LAYERS.iter().map(|(module, _)| *module).collect();
    for entry in fs::read_dir(&src).unwrap().map(Result::unwrap) {
        let name = entry
            .file_name()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if ["lib", "main", "macros"].contains(&name.as_str()) {
            continue;
        }
        assert!(listed.contains(name.as_str()), "src/{name} has no layer");
    }
    // Each module imports only modules listed before it: the order is a topological one.
    let mut seen = BTreeSet::new();
    for (module, imports) in LAYERS {
        for import in *imports {
            assert!(
                seen.contains(import),
                "{module} imports {import}, which is not below it"
            );
        }
        seen.insert(*module);
    }
}
