//! What ships beside the code: the CI templates in `examples/ci/`, the
//! release workflow, the Dockerfile, the pre-commit hooks and the
//! `rust-version` in Cargo.toml. Each file is parsed and held to the rules
//! its consumer applies, and the templates' shell steps are run against a
//! policy repository made from `examples/` with the binary under test.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(rel: &str) -> String {
    fs::read_to_string(Path::new(ROOT).join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn yaml(rel: &str) -> Yaml {
    let mut docs =
        YamlLoader::load_from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel} is not YAML: {e}"));
    assert_eq!(docs.len(), 1, "{rel}: one document");
    docs.remove(0)
}

fn hash(y: &Yaml) -> Vec<(String, &Yaml)> {
    y.as_hash()
        .map(|h| {
            h.iter()
                .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), v))
                .collect()
        })
        .unwrap_or_default()
}

fn str_of(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The `package.repository` and `package.rust-version` of Cargo.toml.
fn manifest_field(name: &str) -> String {
    read("Cargo.toml")
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == name).then(|| v.trim().trim_matches('"').to_string())
        })
        .unwrap_or_else(|| panic!("Cargo.toml has no {name}"))
}

// ---------------------------------------------------------------- GitHub

/// The structural rules GitHub applies to a workflow, and ours: every
/// action pinned to a version, no `${{ }}` expansion inside a shell script
/// (values reach scripts through `env:`), `needs` and `steps.ID` naming
/// what exists.
fn lint_github_workflow(rel: &str) -> Yaml {
    let wf = yaml(rel);
    assert!(!wf["name"].is_badvalue(), "{rel}: name");
    assert!(!wf["on"].is_badvalue(), "{rel}: on");
    let jobs = hash(&wf["jobs"]);
    assert!(!jobs.is_empty(), "{rel}: jobs");
    let names: BTreeSet<&str> = jobs.iter().map(|(n, _)| n.as_str()).collect();
    for (name, job) in &jobs {
        let at = format!("{rel}: job {name}");
        assert!(job["runs-on"].as_str().is_some(), "{at}: runs-on");
        let needs: Vec<String> = match &job["needs"] {
            Yaml::BadValue => vec![],
            Yaml::String(s) => vec![s.clone()],
            Yaml::Array(a) => a.iter().filter_map(str_of).collect(),
            other => panic!("{at}: needs {other:?}"),
        };
        for n in needs {
            assert!(names.contains(n.as_str()), "{at}: needs unknown job {n}");
        }
        let steps = job["steps"]
            .as_vec()
            .unwrap_or_else(|| panic!("{at}: steps"));
        assert!(!steps.is_empty(), "{at}: steps");
        let ids: BTreeSet<String> = steps.iter().filter_map(|s| str_of(&s["id"])).collect();
        for (i, step) in steps.iter().enumerate() {
            let at = format!("{at}, step {i}");
            for (key, _) in hash(step) {
                assert!(
                    [
                        "name",
                        "id",
                        "if",
                        "uses",
                        "run",
                        "with",
                        "env",
                        "shell",
                        "working-directory",
                        "continue-on-error",
                        "timeout-minutes"
                    ]
                    .contains(&key.as_str()),
                    "{at}: unknown key {key}"
                );
            }
            match (step["uses"].as_str(), step["run"].as_str()) {
                (Some(uses), None) => {
                    let (action, version) = uses
                        .split_once('@')
                        .unwrap_or_else(|| panic!("{at}: {uses} is not pinned"));
                    assert!(action.contains('/'), "{at}: {uses}");
                    assert!(
                        !version.is_empty() && !["main", "master", "latest"].contains(&version),
                        "{at}: {uses} is not pinned to a version"
                    );
                }
                (None, Some(run)) => {
                    assert!(
                        !run.contains("${{"),
                        "{at}: pass values to the script through env:, not ${{{{ }}}}"
                    );
                }
                _ => panic!("{at}: exactly one of uses and run"),
            }
            let cond = str_of(&step["if"]).unwrap_or_default();
            for part in cond.split("steps.").skip(1) {
                let id = part.split('.').next().unwrap_or_default();
                assert!(ids.contains(id), "{at}: `if` names unknown step {id}");
            }
        }
    }
    wf
}

#[test]
fn github_workflows_are_well_formed() {
    let wf = lint_github_workflow("examples/ci/github-actions.yml");
    lint_github_workflow(".github/workflows/release.yml");

    // One variable pair names the source; Cargo.toml names the same.
    let repository = manifest_field("repository");
    assert_eq!(
        wf["env"]["CONDUITC_GIT"].as_str(),
        Some(repository.as_str())
    );
    let tag = wf["env"]["CONDUITC_REF"].as_str().unwrap();
    assert!(tag.starts_with('v'), "{tag}");
    assert_eq!(&tag[1..], manifest_field("version"));

    // Built in one job, cached by the tag; every other job needs it.
    let mut installs = 0;
    for (name, job) in hash(&wf["jobs"]) {
        let steps = job["steps"].as_vec().unwrap();
        let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
        if runs.iter().any(|r| r.contains("cargo install")) {
            installs += 1;
            assert!(runs.iter().any(|r| r.contains(
                "cargo install --locked --git \"$CONDUITC_GIT\" --tag \"$CONDUITC_REF\""
            )));
            let cache = steps
                .iter()
                .find(|s| s["uses"].as_str() == Some("actions/cache@v4"))
                .unwrap_or_else(|| panic!("{name}: no cache"));
            assert!(cache["with"]["key"]
                .as_str()
                .unwrap()
                .contains("env.CONDUITC_REF"));
            assert!(steps.iter().any(|s| s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/upload-artifact@"))));
        } else {
            let needs = format!("{:?}", job["needs"]);
            assert!(needs.contains("\"conduitc\""), "{name} needs conduitc");
            assert!(steps.iter().any(|s| s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/download-artifact@"))));
        }
    }
    assert_eq!(installs, 1, "conduitc is built once per pipeline");
}

#[test]
fn release_workflow_builds_static_binaries_with_checksums() {
    let wf = lint_github_workflow(".github/workflows/release.yml");
    assert!(format!("{:?}", wf["on"]["push"]["tags"]).contains("v*"));
    let targets: Vec<String> = wf["jobs"]["binaries"]["strategy"]["matrix"]["include"]
        .as_vec()
        .unwrap()
        .iter()
        .filter_map(|m| str_of(&m["target"]))
        .collect();
    assert_eq!(
        targets,
        ["x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl"]
    );
    let text = read(".github/workflows/release.yml");
    for needed in [
        "cargo build --release --locked",
        "static-pie linked",
        "sha256sum",
        "SHA256SUMS",
        "sha256sum --check",
        "gh release create",
    ] {
        assert!(text.contains(needed), "release.yml: {needed}");
    }
}

// ---------------------------------------------------------------- GitLab

const GITLAB_KEYWORDS: [&str; 7] = [
    "stages",
    "workflow",
    "variables",
    "default",
    "include",
    "image",
    "cache",
];

fn gitlab_jobs(ci: &Yaml) -> Vec<(String, &Yaml)> {
    hash(ci)
        .into_iter()
        .filter(|(k, _)| !k.starts_with('.') && !GITLAB_KEYWORDS.contains(&k.as_str()))
        .collect()
}

/// A script key as GitLab reads it: a list of strings (anchors already
/// resolved, nested lists flattened).
fn script_lines(y: &Yaml) -> Vec<String> {
    match y {
        Yaml::BadValue => vec![],
        Yaml::String(s) => vec![s.clone()],
        Yaml::Array(a) => a.iter().flat_map(script_lines).collect(),
        other => panic!("script entry {other:?}"),
    }
}

#[test]
fn gitlab_template_is_well_formed() {
    let ci = yaml("examples/ci/gitlab-ci.yml");
    let stages: Vec<String> = ci["stages"]
        .as_vec()
        .unwrap()
        .iter()
        .filter_map(str_of)
        .collect();
    assert_eq!(stages.first().map(String::as_str), Some("install"));
    let jobs = gitlab_jobs(&ci);
    let names: BTreeSet<&str> = jobs.iter().map(|(n, _)| n.as_str()).collect();
    let mut installs = 0;
    for (name, job) in &jobs {
        let stage = job["stage"].as_str().unwrap_or("test");
        assert!(stages.iter().any(|s| s == stage), "{name}: stage {stage}");
        let script = script_lines(&job["script"]);
        assert!(!script.is_empty(), "{name}: script");
        if let Some(needs) = job["needs"].as_vec() {
            for n in needs.iter().filter_map(str_of) {
                assert!(names.contains(n.as_str()), "{name}: needs unknown {n}");
            }
            // `needs` limits the artifacts to those jobs': the binary too.
            assert!(
                needs.iter().any(|n| n.as_str() == Some("conduitc")),
                "{name}"
            );
        }
        if script.iter().any(|l| l.contains("cargo install")) {
            installs += 1;
            assert_eq!(stage, "install");
            assert!(script.iter().any(|l| l.contains(
                "cargo install --locked --git \"$CONDUITC_GIT\" --tag \"$CONDUITC_REF\""
            )));
            assert_eq!(job["cache"]["key"].as_str(), Some("conduitc-$CONDUITC_REF"));
            assert!(format!("{:?}", job["artifacts"]["paths"]).contains(".conduitc/bin/conduitc"));
        }
    }
    assert_eq!(installs, 1, "conduitc is built once per pipeline");
    assert_eq!(
        ci["variables"]["CONDUITC_GIT"].as_str(),
        Some(manifest_field("repository").as_str())
    );
    assert_eq!(
        ci["variables"]["CONDUITC_REF"].as_str(),
        Some(format!("v{}", manifest_field("version")).as_str())
    );
}

// ---------------------------------------------------------------- running the templates

/// A policy repository as a user would have it: `policy/` holds the
/// bottling plant and its assertions, committed on `main` and cloned from
/// a bare origin, so `origin/main` exists as in a CI checkout.
struct Repo {
    _dir: tempfile::TempDir,
    origin: PathBuf,
    root: PathBuf,
    shims: PathBuf,
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let seed = dir.path().join("seed");
        fs::create_dir_all(seed.join("policy")).unwrap();
        for f in ["bottling-plant.conduit", "bottling-plant.conduit-test"] {
            fs::copy(
                Path::new(ROOT).join("examples").join(f),
                seed.join("policy").join(f),
            )
            .unwrap();
        }
        git(&seed, &["init", "-q", "-b", "main"]);
        git(&seed, &["add", "-A"]);
        git(&seed, &["commit", "-q", "-m", "policy"]);
        let origin = dir.path().join("origin.git");
        git(dir.path(), &["clone", "-q", "--bare", "seed", "origin.git"]);
        // `date +%F` in the templates: the day the example is checked for.
        let shims = dir.path().join("shims");
        fs::create_dir(&shims).unwrap();
        let date = shims.join("date");
        fs::write(&date, "#!/bin/sh\necho 2026-12-01\n").unwrap();
        chmod_x(&date);
        settle_script(&date);
        Repo {
            root: dir.path().to_path_buf(),
            origin,
            shims,
            _dir: dir,
        }
    }

    /// A fresh checkout for one job, with the conduitc binary under test
    /// where the pipeline's install job leaves it (`bin`, relative).
    fn checkout(&self, job: &str, bin: &str) -> PathBuf {
        let ws = self.root.join(format!("job-{job}"));
        git(
            &self.root,
            &[
                "clone",
                "-q",
                self.origin.to_str().unwrap(),
                ws.to_str().unwrap(),
            ],
        );
        let dest = ws.join(bin);
        fs::create_dir_all(&dest).unwrap();
        let copy = dest.join("conduitc");
        fs::copy(env!("CARGO_BIN_EXE_conduitc"), &copy).unwrap();
        settle(&copy);
        ws
    }

    fn path_env(&self) -> String {
        format!(
            "{}:{}",
            self.shims.display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }
}

/// Waits until a freshly written executable can be run: a process forked
/// by another test thread while the copy was open for writing holds that
/// descriptor until it execs, and until then running the copy fails with
/// "Text file busy". Once one run succeeds, no writer is left.
fn settle(exe: &Path) {
    for _ in 0..200 {
        match Command::new(exe).arg("--version").output() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(e) => panic!("{}: {e}", exe.display()),
            Ok(out) => {
                assert!(out.status.success(), "{} --version", exe.display());
                return;
            }
        }
    }
    panic!("{} stays busy", exe.display());
}

/// [`settle`] for a script that takes no `--version`.
fn settle_script(exe: &Path) {
    for _ in 0..200 {
        match Command::new(exe).output() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            _ => return,
        }
    }
    panic!("{} stays busy", exe.display());
}

fn chmod_x(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// Steps that talk to a forge's API or install packages are outside this
/// test: it runs what calls conduitc and the shell.
fn external(script: &str) -> bool {
    ["gh api", "curl ", "apt-get "]
        .iter()
        .any(|w| script.contains(w))
}

fn break_policy(ws: &Path) {
    let file = ws.join("policy/bottling-plant.conduit");
    let mut text = fs::read_to_string(&file).unwrap();
    // Out of layout (for `fmt --check`) and naming an undeclared owner.
    text.push_str("\nzone broken {\n      level 1\n  owner nobody\n}\n");
    fs::write(file, text).unwrap();
}

/// `steps.ID.outputs.NAME` of the steps run so far.
type Outputs = BTreeMap<String, BTreeMap<String, String>>;

fn output_of(expr: &str, outputs: &Outputs) -> String {
    let rest = expr
        .trim()
        .strip_prefix("steps.")
        .unwrap_or_else(|| panic!("unsupported expression {expr}"));
    let (id, name) = rest
        .split_once(".outputs.")
        .unwrap_or_else(|| panic!("unsupported expression {expr}"));
    outputs
        .get(id)
        .and_then(|o| o.get(name))
        .cloned()
        .unwrap_or_default()
}

/// The step conditions the templates use: `always()` and comparisons of
/// a step output with a string. Anything else fails the test, so the
/// templates stay within what is exercised here.
fn condition(cond: &str, outputs: &Outputs, failed: bool) -> bool {
    let cond = cond.trim();
    if cond.is_empty() {
        return !failed;
    }
    if cond == "always()" {
        return true;
    }
    let (lhs, rhs, equal) = if let Some((l, r)) = cond.split_once("!=") {
        (l, r, false)
    } else if let Some((l, r)) = cond.split_once("==") {
        (l, r, true)
    } else {
        panic!("unsupported condition {cond}")
    };
    let value = output_of(lhs, outputs);
    let want = rhs.trim().trim_matches('\'');
    !failed && ((value == want) == equal)
}

/// Runs the `run:` steps of one GitHub job as the runner does (`bash -e
/// -o pipefail`, `$GITHUB_OUTPUT`, `$GITHUB_ENV`, `$GITHUB_PATH`); the
/// `uses:` steps are the actions' business and are skipped. Returns
/// whether the job succeeded.
fn run_github_job(repo: &Repo, wf: &Yaml, name: &str, job: &Yaml, broken: bool) -> bool {
    let steps = job["steps"].as_vec().unwrap();
    let bin = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/download-artifact@"))
        })
        .and_then(|s| s["with"]["path"].as_str())
        .unwrap_or_else(|| panic!("{name}: no download of conduitc"));
    let ws = repo.checkout(name, bin);
    if broken {
        break_policy(&ws);
    }
    let files = ws.join(".runner");
    fs::create_dir(&files).unwrap();
    let mut env: BTreeMap<String, String> = hash(&wf["env"])
        .into_iter()
        .filter_map(|(k, v)| Some((k, str_of(v)?)))
        .collect();
    let mut path = repo.path_env();
    let mut outputs = Outputs::new();
    let mut failed = false;
    for (i, step) in steps.iter().enumerate() {
        let Some(script) = step["run"].as_str() else {
            continue;
        };
        if script.contains("cargo install") || external(script) {
            continue;
        }
        if !condition(&str_of(&step["if"]).unwrap_or_default(), &outputs, failed) {
            continue;
        }
        let (out_file, env_file, path_file) = (
            files.join(format!("output-{i}")),
            files.join(format!("env-{i}")),
            files.join(format!("path-{i}")),
        );
        for f in [&out_file, &env_file, &path_file] {
            fs::write(f, "").unwrap();
        }
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
            .current_dir(&ws)
            .env("PATH", &path)
            .env("NO_COLOR", "1")
            .env("GITHUB_OUTPUT", &out_file)
            .env("GITHUB_ENV", &env_file)
            .env("GITHUB_PATH", &path_file)
            .envs(&env);
        for (k, v) in hash(&step["env"]) {
            let v = str_of(v).unwrap_or_default();
            let v = match v.strip_prefix("${{").and_then(|r| r.strip_suffix("}}")) {
                Some(expr) => output_of(expr, &outputs),
                None => v,
            };
            cmd.env(k, v);
        }
        let out = cmd.output().expect("bash");
        if !out.status.success() {
            failed = true;
        }
        if let Some(id) = str_of(&step["id"]) {
            let text = fs::read_to_string(&out_file).unwrap();
            let map = text
                .lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            outputs.insert(id, map);
        }
        for line in fs::read_to_string(&env_file).unwrap().lines() {
            if let Some((k, v)) = line.split_once('=') {
                env.insert(k.to_string(), v.to_string());
            }
        }
        for line in fs::read_to_string(&path_file).unwrap().lines() {
            path = format!("{line}:{path}");
        }
    }
    if !broken && name == "check" {
        let sarif = fs::read_to_string(ws.join("conduitc.sarif")).unwrap();
        assert!(sarif.contains("2.1.0"), "{sarif}");
    }
    if !broken && name == "build" {
        assert!(ws.join("firewall-configs/manifest.json").is_file());
    }
    !failed
}

#[test]
fn github_template_steps_pass_on_the_example_and_fail_on_a_broken_policy() {
    let wf = yaml("examples/ci/github-actions.yml");
    let repo = Repo::new();
    let mut ran = Vec::new();
    for (name, job) in hash(&wf["jobs"]) {
        if name == "conduitc" {
            continue; // the install job
        }
        assert!(
            run_github_job(&repo, &wf, &name, job, false),
            "job {name} fails on the example policy"
        );
        ran.push(name);
    }
    assert_eq!(ran, ["check", "diff", "approvals", "build"]);
    let check = &wf["jobs"]["check"];
    assert!(
        !run_github_job(&repo, &wf, "check-broken", check, true),
        "the check job passes a broken policy"
    );
}

/// Runs one GitLab job's `before_script` and `script` as the runner does:
/// one shell, stopping at the first failing line.
fn run_gitlab_job(repo: &Repo, ci: &Yaml, name: &str, job: &Yaml, broken: bool) -> bool {
    let root = ci["variables"]["CONDUITC_ROOT"].as_str().unwrap();
    let bin = format!(
        "{}/bin",
        root.strip_prefix("$CI_PROJECT_DIR/")
            .unwrap_or_else(|| panic!("CONDUITC_ROOT {root}"))
    );
    let ws = repo.checkout(name, &bin);
    if broken {
        break_policy(&ws);
    }
    let before = if job["before_script"].is_badvalue() {
        script_lines(&ci["default"]["before_script"])
    } else {
        script_lines(&job["before_script"])
    };
    let mut shell = String::new();
    for (k, v) in hash(&ci["variables"]) {
        shell.push_str(&format!("export {k}=\"{}\"\n", str_of(v).unwrap()));
    }
    for line in before.iter().chain(&script_lines(&job["script"])) {
        if !external(line) {
            shell.push_str(line);
            shell.push('\n');
        }
    }
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &shell])
        .current_dir(&ws)
        .env("PATH", repo.path_env())
        .env("NO_COLOR", "1")
        .env("CI_PROJECT_DIR", &ws)
        .output()
        .expect("bash");
    if !broken && !out.status.success() {
        eprintln!(
            "{name}:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out.status.success()
}

#[test]
fn gitlab_template_scripts_pass_on_the_example_and_fail_on_a_broken_policy() {
    let ci = yaml("examples/ci/gitlab-ci.yml");
    let repo = Repo::new();
    let mut ran = Vec::new();
    for (name, job) in gitlab_jobs(&ci) {
        if name == "conduitc" {
            continue; // the install job
        }
        assert!(
            run_gitlab_job(&repo, &ci, &name, job, false),
            "job {name} fails on the example policy"
        );
        ran.push(name);
    }
    assert_eq!(
        ran,
        [
            "conduitc-check",
            "conduitc-test",
            "conduitc-diff",
            "conduitc-approvals",
            "conduitc-build"
        ]
    );
    for name in ["conduitc-check", "conduitc-test", "conduitc-build"] {
        assert!(
            !run_gitlab_job(&repo, &ci, &format!("{name}-broken"), &ci[name], true),
            "{name} passes a broken policy"
        );
    }
}

// ---------------------------------------------------------------- pre-commit

#[test]
fn pre_commit_hooks_run_fmt_check_and_check() {
    let hooks = yaml(".pre-commit-hooks.yaml");
    let hooks = hooks.as_vec().unwrap();
    let ids: Vec<&str> = hooks.iter().filter_map(|h| h["id"].as_str()).collect();
    assert_eq!(ids, ["conduitc-fmt", "conduitc-check"]);
    let repo = Repo::new();
    for hook in hooks {
        let id = hook["id"].as_str().unwrap();
        for key in ["name", "entry", "language", "files"] {
            assert!(hook[key].as_str().is_some(), "{id}: {key}");
        }
        assert_eq!(hook["language"].as_str(), Some("rust"), "{id}");
        // `files` is a Python regex; these two cases read the same in bash.
        let files = hook["files"].as_str().unwrap();
        assert_eq!(files, "\\.conduit$");
        // Run the hook as pre-commit does: entry, args, then the file names
        // unless pass_filenames is false.
        let run = |broken: bool| {
            let ws = repo.checkout(&format!("{id}-{broken}"), ".bin");
            let path = format!("{}:{}", ws.join(".bin").display(), repo.path_env());
            if broken {
                break_policy(&ws);
            }
            let mut argv: Vec<String> = hook["entry"]
                .as_str()
                .unwrap()
                .split_whitespace()
                .map(str::to_string)
                .collect();
            if let Some(args) = hook["args"].as_vec() {
                argv.extend(args.iter().filter_map(str_of));
            }
            if hook["pass_filenames"].as_bool() != Some(false) {
                argv.push("policy/bottling-plant.conduit".into());
            }
            Command::new(&argv[0])
                .args(&argv[1..])
                .current_dir(&ws)
                .env("PATH", &path)
                .env("NO_COLOR", "1")
                .output()
                .expect("hook")
                .status
                .success()
        };
        assert!(run(false), "{id} fails on the example");
        assert!(!run(true), "{id} passes a broken policy");
    }
}

// ---------------------------------------------------------------- Dockerfile

const DOCKER_INSTRUCTIONS: [&str; 18] = [
    "FROM",
    "RUN",
    "CMD",
    "LABEL",
    "EXPOSE",
    "ENV",
    "ADD",
    "COPY",
    "ENTRYPOINT",
    "VOLUME",
    "USER",
    "WORKDIR",
    "ARG",
    "ONBUILD",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "SHELL",
    "MAINTAINER",
];

#[test]
fn dockerfile_is_a_multi_stage_build_ending_in_conduitc() {
    let text = read("Dockerfile");
    // Join continuation lines, drop comments and blank lines.
    let mut instructions: Vec<(String, String)> = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let t = line.trim();
        if current.is_empty() && (t.is_empty() || t.starts_with('#')) {
            continue;
        }
        if let Some(part) = t.strip_suffix('\\') {
            current.push_str(part);
            current.push(' ');
            continue;
        }
        current.push_str(t);
        let (op, rest) = current.split_once(' ').unwrap_or((&current, ""));
        instructions.push((op.to_string(), rest.trim().to_string()));
        current.clear();
    }
    assert!(current.is_empty(), "a continuation line ends the file");
    let mut stages: Vec<String> = Vec::new();
    let mut last_stage_start = 0;
    for (i, (op, rest)) in instructions.iter().enumerate() {
        assert!(
            DOCKER_INSTRUCTIONS.contains(&op.as_str()),
            "unknown instruction {op}"
        );
        if op == "FROM" {
            let words: Vec<&str> = rest.split_whitespace().collect();
            let image = words[0];
            assert!(
                image == "scratch" || (image.contains(':') && !image.ends_with(":latest")),
                "{image}: pin a tag"
            );
            if image.starts_with("rust:") {
                assert!(
                    image.starts_with(&format!("rust:{}", manifest_field("rust-version"))),
                    "{image}: the builder is the rust-version of Cargo.toml"
                );
            }
            if words.len() == 3 {
                assert_eq!(words[1].to_ascii_uppercase(), "AS");
                stages.push(words[2].to_string());
            }
            last_stage_start = i;
        }
        if op == "COPY" {
            if let Some(from) = rest
                .split_whitespace()
                .find_map(|w| w.strip_prefix("--from="))
            {
                assert!(stages.iter().any(|s| s == from), "COPY --from={from}");
            }
        }
    }
    assert!(!stages.is_empty(), "multi-stage: a named build stage");
    let last = &instructions[last_stage_start..];
    assert!(last.len() < instructions.len(), "more than one stage");
    let entry = last
        .iter()
        .find(|(op, _)| op == "ENTRYPOINT")
        .map(|(_, r)| r.clone())
        .expect("the final stage has an ENTRYPOINT");
    let words: Vec<String> = serde_json::from_str(&entry).expect("ENTRYPOINT in exec form");
    assert!(words[0].ends_with("conduitc"), "{words:?}");
    assert!(
        last.iter()
            .any(|(op, r)| op == "COPY" && r.contains("conduitc")),
        "the final stage copies the binary in"
    );
    let ignore = read(".dockerignore");
    assert!(ignore.lines().any(|l| l.trim() == "target/"));
}

// ---------------------------------------------------------------- Cargo.toml

/// `rust-version` is what the locked dependencies need: the highest
/// `rust-version` among the packages in Cargo.lock.
#[test]
fn rust_version_is_what_the_locked_dependencies_need() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // Only the packages built for this machine: the others (Windows, UEFI)
    // are not downloaded by a build here, and the test must not need the
    // network.
    let rustc = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc -vV");
    let host = String::from_utf8_lossy(&rustc.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .expect("rustc -vV names the host");
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .args(["--filter-platform", &host])
        .current_dir(ROOT)
        .output()
        .expect("cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let parse = |v: &str| -> Vec<u32> { v.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    let norm = |mut v: Vec<u32>| {
        v.resize(3, 0);
        v
    };
    // The packages conduitc builds with, its dev-dependencies included:
    // other members of the workspace (the tree-sitter grammar crate) declare
    // their own rust-version.
    let root = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "conduitc")
        .and_then(|p| p["id"].as_str())
        .unwrap()
        .to_string();
    let nodes: std::collections::HashMap<&str, Vec<&str>> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| {
            let deps = n["deps"].as_array()?;
            Some((
                n["id"].as_str()?,
                deps.iter().filter_map(|d| d["pkg"].as_str()).collect(),
            ))
        })
        .collect();
    let mut reached = std::collections::HashSet::from([root.as_str()]);
    let mut todo = vec![root.as_str()];
    while let Some(id) = todo.pop() {
        for &d in nodes.get(id).into_iter().flatten() {
            if reached.insert(d) {
                todo.push(d);
            }
        }
    }
    let (need, who) = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] != "conduitc")
        .filter(|p| p["id"].as_str().is_some_and(|id| reached.contains(id)))
        .filter_map(|p| {
            Some((
                norm(parse(p["rust_version"].as_str()?)),
                p["name"].as_str()?.to_string(),
            ))
        })
        .max()
        .unwrap();
    let declared = norm(parse(&manifest_field("rust-version")));
    assert_eq!(declared, need, "rust-version: {who} needs {need:?}");
}
