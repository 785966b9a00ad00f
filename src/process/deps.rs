//! The start-dependency graph, pure (issue 14): which processes a `depends_on` entry names,
//! whether a dependency has reached its condition, the configuration's errors (unknown
//! names, cycles) and each process's depth (dependencies stop after their dependents).

use crate::config::beyond::{Condition, Dependency};
use crate::states::ProcessState;

/// One process as the graph sees it.
#[derive(Debug, Clone, Copy)]
pub struct Node<'a> {
    pub group: &'a str,
    pub name: &'a str,
    /// The section's program name (numprocs members share it).
    pub program: &'a str,
    pub depends_on: &'a [Dependency],
}

/// The indices of the processes `target` names: `group:*` (or `group:`) every member of a
/// group, `group:name` one process, `name` every process of program `name` (all numprocs
/// members), else every member of group `name`. Empty when nothing matches.
pub fn resolve(nodes: &[Node], target: &str) -> Vec<usize> {
    let pick = |f: &dyn Fn(&Node) -> bool| -> Vec<usize> {
        nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| f(n))
            .map(|(i, _)| i)
            .collect()
    };
    match target.split_once(':') {
        Some((g, "" | "*")) => pick(&|n| n.group == g),
        Some((g, name)) => pick(&|n| n.group == g && n.name == name),
        None => {
            let by_program = pick(&|n| n.program == target);
            if by_program.is_empty() {
                pick(&|n| n.group == target)
            } else {
                by_program
            }
        }
    }
}

/// Whether a dependency in `state` has reached `condition`: `running` once it is up
/// (STARTING with its ready check pending, or RUNNING), `ready` once RUNNING (its ready
/// check passed), `exited` once EXITED with an expected code.
pub fn reached(condition: Condition, state: ProcessState, exited_expected: bool) -> bool {
    match condition {
        Condition::Running => matches!(state, ProcessState::Starting | ProcessState::Running),
        Condition::Ready => state == ProcessState::Running,
        Condition::Exited => state == ProcessState::Exited && exited_expected,
    }
}

/// The configuration's dependency errors: a name that matches nothing, or a cycle.
///
/// # Errors
/// The first problem, naming the processes involved.
pub fn check(nodes: &[Node]) -> Result<(), String> {
    let mut edges: Vec<Vec<usize>> = Vec::with_capacity(nodes.len());
    for n in nodes {
        let mut out = Vec::new();
        for dep in n.depends_on {
            let found = resolve(nodes, &dep.target);
            if found.is_empty() {
                return Err(format!(
                    "{}: depends_on names unknown program or group {}",
                    spec(n),
                    dep.target
                ));
            }
            out.extend(found);
        }
        edges.push(out);
    }
    depths_of(nodes, &edges).map(|_| ())
}

/// Each process's depth: 0 without dependencies, else one more than its deepest one.
///
/// # Errors
/// A cycle, or an unknown name, as [`check`].
pub fn depths(nodes: &[Node]) -> Result<Vec<u32>, String> {
    let edges: Vec<Vec<usize>> = nodes
        .iter()
        .map(|n| {
            n.depends_on
                .iter()
                .flat_map(|d| resolve(nodes, &d.target))
                .collect()
        })
        .collect();
    depths_of(nodes, &edges)
}

fn spec(n: &Node) -> String {
    if n.group == n.name {
        n.name.to_string()
    } else {
        format!("{}:{}", n.group, n.name)
    }
}

/// Depth-first search without recursion; a node met again on the current path is a cycle.
fn depths_of(nodes: &[Node], edges: &[Vec<usize>]) -> Result<Vec<u32>, String> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    let mut mark = vec![Mark::New; nodes.len()];
    let mut depth = vec![0u32; nodes.len()];
    for root in 0..nodes.len() {
        if mark.get(root) != Some(&Mark::New) {
            continue;
        }
        // (node, next edge to look at)
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        if let Some(m) = mark.get_mut(root) {
            *m = Mark::OnPath;
        }
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let child = edges.get(node).and_then(|e| e.get(*next)).copied();
            *next = next.saturating_add(1);
            match child {
                Some(c) => match mark.get(c).copied() {
                    Some(Mark::New) => {
                        if let Some(m) = mark.get_mut(c) {
                            *m = Mark::OnPath;
                        }
                        stack.push((c, 0));
                    }
                    Some(Mark::OnPath) => {
                        let from = stack.iter().position(|(n, _)| *n == c).unwrap_or(0);
                        let mut names: Vec<String> = stack
                            .iter()
                            .skip(from)
                            .filter_map(|(n, _)| nodes.get(*n).map(spec))
                            .collect();
                        names.push(nodes.get(c).map(spec).unwrap_or_default());
                        return Err(format!("dependency cycle: {}", names.join(" -> ")));
                    }
                    _ => {}
                },
                None => {
                    let d = edges
                        .get(node)
                        .into_iter()
                        .flatten()
                        .filter_map(|c| depth.get(*c))
                        .map(|d| d.saturating_add(1))
                        .max()
                        .unwrap_or(0);
                    if let Some(slot) = depth.get_mut(node) {
                        *slot = d;
                    }
                    if let Some(m) = mark.get_mut(node) {
                        *m = Mark::Done;
                    }
                    stack.pop();
                }
            }
        }
    }
    Ok(depth)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dep(t: &str) -> Dependency {
        Dependency {
            target: t.into(),
            condition: Condition::Ready,
        }
    }

    struct G {
        rows: Vec<(String, String, String, Vec<Dependency>)>,
    }

    impl G {
        fn new(rows: &[(&str, &str, &str, &[&str])]) -> G {
            G {
                rows: rows
                    .iter()
                    .map(|(g, n, p, d)| {
                        (
                            g.to_string(),
                            n.to_string(),
                            p.to_string(),
                            d.iter().map(|t| dep(t)).collect(),
                        )
                    })
                    .collect(),
            }
        }

        fn nodes(&self) -> Vec<Node<'_>> {
            self.rows
                .iter()
                .map(|(g, n, p, d)| Node {
                    group: g,
                    name: n,
                    program: p,
                    depends_on: d,
                })
                .collect()
        }
    }

    #[test]
    fn names_resolve_to_programs_groups_and_members() {
        let g = G::new(&[
            ("db", "db", "db", &[]),
            ("web", "web_0", "web", &[]),
            ("web", "web_1", "web", &[]),
            ("tools", "cron", "cron", &[]),
            ("tools", "mail", "mail", &[]),
        ]);
        let n = g.nodes();
        assert_eq!(resolve(&n, "db"), [0]);
        assert_eq!(resolve(&n, "web"), [1, 2], "every numprocs member");
        assert_eq!(resolve(&n, "web:web_1"), [2]);
        assert_eq!(resolve(&n, "tools:*"), [3, 4]);
        assert_eq!(resolve(&n, "tools:"), [3, 4]);
        assert_eq!(resolve(&n, "tools"), [3, 4], "a group by its name");
        assert_eq!(resolve(&n, "mail"), [4], "a program inside a group");
        assert!(resolve(&n, "nope").is_empty());
        assert!(resolve(&n, "tools:nope").is_empty());
    }

    #[test]
    fn depths_put_dependencies_first() {
        let g = G::new(&[
            ("app", "app", "app", &["cache", "db"]),
            ("cache", "cache", "cache", &["db"]),
            ("db", "db", "db", &[]),
            ("web", "web_0", "web", &["app"]),
            ("web", "web_1", "web", &["app"]),
        ]);
        assert_eq!(depths(&g.nodes()), Ok(vec![2, 1, 0, 3, 3]));
        assert_eq!(check(&g.nodes()), Ok(()));
    }

    #[test]
    fn unknown_names_and_cycles_are_errors() {
        let g = G::new(&[("a", "a", "a", &["b"])]);
        assert_eq!(
            check(&g.nodes()),
            Err("a: depends_on names unknown program or group b".into())
        );
        let g = G::new(&[
            ("a", "a", "a", &["b"]),
            ("b", "b", "b", &["c"]),
            ("c", "c", "c", &["a"]),
        ]);
        assert_eq!(
            check(&g.nodes()),
            Err("dependency cycle: a -> b -> c -> a".into())
        );
        let g = G::new(&[("g", "w_0", "w", &["w"]), ("g", "w_1", "w", &[])]);
        assert_eq!(
            check(&g.nodes()),
            Err("dependency cycle: g:w_0 -> g:w_0".into()),
            "a numprocs program depending on itself"
        );
        let g = G::new(&[("g", "x", "x", &["g:*"])]);
        assert!(check(&g.nodes())
            .unwrap_err()
            .starts_with("dependency cycle"));
    }

    #[test]
    fn conditions() {
        use ProcessState as S;
        assert!(reached(Condition::Running, S::Starting, false));
        assert!(reached(Condition::Running, S::Running, false));
        assert!(!reached(Condition::Running, S::Backoff, false));
        assert!(!reached(Condition::Ready, S::Starting, false));
        assert!(reached(Condition::Ready, S::Running, false));
        assert!(!reached(Condition::Exited, S::Exited, false));
        assert!(reached(Condition::Exited, S::Exited, true));
        assert!(!reached(Condition::Exited, S::Stopped, true));
    }
}
