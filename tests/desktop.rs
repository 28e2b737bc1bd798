//! Desktop integration without the package: `scripts/install-desktop.sh` (the menu entry
//! for a `cargo install` build), the shell completions the binary prints, used by a real
//! bash, and the desktop entry agreeing with the window's app id. The package itself is
//! checked end to end by `scripts/e2e-package.sh` (CI).
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected input")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SIZES: [u32; 9] = [16, 22, 24, 32, 48, 64, 128, 256, 512];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run install-desktop.sh with its own `HOME`, `XDG_DATA_HOME` and `CARGO_HOME`.
fn install_desktop(home: &Path, args: &[&str]) -> Output {
    Command::new("bash")
        .arg(repo().join("scripts/install-desktop.sh"))
        .args(args)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("CARGO_HOME", home.join("cargo"))
        .output()
        .unwrap()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn install_desktop_refuses_without_the_binary_and_installs_nothing() {
    let home = tempfile::tempdir().unwrap();
    let out = install_desktop(home.path(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cargo install --path ."), "{stderr}");
    assert!(stderr.contains("nothing installed"), "{stderr}");
    let made = files_under(&home.path().join("data"));
    assert!(made.is_empty(), "installed anyway: {made:?}");
}

#[test]
fn install_desktop_points_the_entry_at_the_binary_and_uninstalls() {
    let home = tempfile::tempdir().unwrap();
    let bin_dir = home.path().join("cargo/bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let binary = bin_dir.join("pollscope");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_pollscope"), &binary).unwrap();

    let out = install_desktop(home.path(), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let data = home.path().join("data");
    let entry_path = data.join("applications/pollscope.desktop");
    let entry = std::fs::read_to_string(&entry_path).unwrap();
    assert!(
        entry.contains(&format!("\nExec=\"{}\"\n", binary.display())),
        "{entry}"
    );
    assert!(
        entry.contains(&format!("\nTryExec={}\n", binary.display())),
        "{entry}"
    );
    // The rest is the packaged entry, unchanged.
    let packaged = std::fs::read_to_string(repo().join("assets/pollscope.desktop")).unwrap();
    let strip = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| !l.starts_with("Exec=") && !l.starts_with("TryExec="))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(strip(&entry), strip(&packaged));
    for n in SIZES {
        let icon = data.join(format!("icons/hicolor/{n}x{n}/apps/pollscope.png"));
        assert!(icon.is_file(), "no {}", icon.display());
    }
    assert!(
        data.join("icons/hicolor/scalable/apps/pollscope.svg")
            .is_file()
    );
    match Command::new("desktop-file-validate")
        .arg(&entry_path)
        .output()
    {
        Ok(v) => assert!(
            v.status.success() && v.stdout.is_empty(),
            "desktop-file-validate: {}",
            String::from_utf8_lossy(&v.stdout)
        ),
        Err(e) if std::env::var_os("POLLSCOPE_REQUIRE_SERVERS").is_some() => {
            panic!("desktop-file-validate: {e} (scripts/install-package-tools.sh installs it)")
        }
        Err(e) => eprintln!(
            "desktop-file-validate: {e} (apt-get install desktop-file-utils): entry not validated"
        ),
    }

    let out = install_desktop(home.path(), &["--uninstall"]);
    assert!(out.status.success());
    // update-desktop-database's and gtk-update-icon-cache's indexes stay (they index
    // whatever is there, now nothing of ours).
    let left: Vec<PathBuf> = files_under(&data)
        .into_iter()
        .filter(|p| p.extension().is_none_or(|e| e != "cache"))
        .collect();
    assert!(left.is_empty(), "left after --uninstall: {left:?}");
}

/// The completions the binary prints, loaded into a real bash and asked what a Tab
/// after `pollscope wat` and `pollscope watch --no-k` offers.
#[test]
fn bash_completes_subcommands_and_flags_from_pollscope_completions() {
    let script = r#"
        source <("$POLLSCOPE" completions bash) || exit 3
        fn=$(complete -p pollscope | sed -n 's/.*-F \([^ ]*\).*/\1/p')
        [ -n "$fn" ] || exit 4
        COMP_WORDS=(pollscope wat); COMP_CWORD=1
        "$fn" pollscope wat pollscope; echo "subcommands: ${COMPREPLY[*]}"
        COMP_WORDS=(pollscope watch --no-k); COMP_CWORD=2
        "$fn" pollscope --no-k watch; echo "flags: ${COMPREPLY[*]}"
        COMP_WORDS=(pollscope completions ''); COMP_CWORD=2
        "$fn" pollscope '' completions; echo "shells: ${COMPREPLY[*]}"
    "#;
    let out = Command::new("bash")
        .args(["--norc", "-c", script])
        .env("POLLSCOPE", env!("CARGO_BIN_EXE_pollscope"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("subcommands: watch\n"), "{stdout}");
    assert!(stdout.contains("flags: --no-keep-alive\n"), "{stdout}");
    for shell in ["bash", "zsh", "fish"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with("shells:") && l.contains(shell)),
            "{stdout}"
        );
    }
}

#[test]
fn completions_for_an_unknown_shell_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_pollscope"))
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invalid value 'tcsh'"), "{stderr}");
    assert!(stderr.contains("bash"), "{stderr}");
}

/// The window's app id is what the desktop entry says the window's class is and what
/// its file and icon are called; otherwise docks show a second, unnamed icon.
#[test]
fn the_desktop_entry_agrees_with_the_app_id() {
    let entry = std::fs::read_to_string(repo().join("assets/pollscope.desktop")).unwrap();
    let key = |k: &str| {
        entry
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("no {k}= in the entry"))
            .to_owned()
    };
    let app_id = pollscope::ui::APP_ID;
    assert_eq!(key("StartupWMClass"), app_id);
    assert_eq!(key("Icon"), app_id);
    assert_eq!(key("Exec"), env!("CARGO_PKG_NAME"));
    assert_eq!(key("TryExec"), env!("CARGO_PKG_NAME"));
    assert_eq!(key("Categories"), "Network;Monitor;");
    let metainfo =
        std::fs::read_to_string(repo().join("assets/io.github.pollscope.pollscope.metainfo.xml"))
            .unwrap();
    assert!(metainfo.contains(&format!(
        "<launchable type=\"desktop-id\">{app_id}.desktop</launchable>"
    )));
    assert!(metainfo.contains(&format!(
        "<release version=\"{}\"",
        env!("CARGO_PKG_VERSION")
    )));
}
