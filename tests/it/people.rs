//! People for approval tests: SSH keys generated here (ssh-key), an `allowed_signers` file
//! pinned as an environment's approvers, signed votes through the CLI, and unsigned votes typed
//! at a pseudo-terminal.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use espada_aws::guardrails::{
    approvals::{ApproversChange, Ballot, Proof},
    environment::Environment,
    store::Store,
};
use ssh_key::{Algorithm, LineEnding, PrivateKey, rand_core::OsRng};

use crate::harness::{cli, python, temp_state};

/// A person with an ed25519 key in a private file.
pub struct Person {
    pub name: String,
    pub key: PrivateKey,
    pub key_path: PathBuf,
}

impl Person {
    pub fn new(name: &str) -> Self {
        let key = PrivateKey::random(&mut OsRng, Algorithm::Ed25519).unwrap();
        let key_path = temp_state().with_extension(format!("{name}.key"));
        key.write_openssh_file(&key_path, LineEnding::LF).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        Self {
            name: name.to_string(),
            key,
            key_path,
        }
    }

    /// This person's `allowed_signers` line.
    pub fn line(&self) -> String {
        format!(
            "{} {}\n",
            self.name,
            self.key.public_key().to_openssh().unwrap()
        )
    }

    /// Approves (or rejects) `id` with this person's key through the CLI, without a terminal.
    pub fn vote(&self, state: &Path, id: &str, approve: bool) -> (bool, String) {
        let key = self.key_path.to_str().unwrap();
        let verb = if approve { "approve" } else { "reject" };
        cli(state, &["approvals", verb, id, "--key", key])
    }

    pub fn approve(&self, state: &Path, id: &str) -> String {
        let (okay, out) = self.vote(state, id, true);
        assert!(okay, "{} could not approve {id}: {out}", self.name);
        out
    }
}

/// An `allowed_signers` file listing `people`.
pub fn allowed_signers(people: &[&Person]) -> PathBuf {
    let path = temp_state().with_extension("allowed_signers");
    let text: String = people.iter().map(|p| p.line()).collect();
    std::fs::write(&path, text).unwrap();
    path
}

/// Pins `people` as the approvers of `env`, as the person who sets them up the first time
/// would (the CLI asks that person at a terminal; see `approvers_are_set_at_a_terminal`).
pub fn approvers(state: &Path, env: Environment, people: &[&Person]) {
    let file = allowed_signers(people);
    let text = std::fs::read_to_string(&file).unwrap();
    let store = Store::open(state).unwrap();
    let done = store
        .change_approvers(env, file.to_str().unwrap(), &text, "setup", None, true)
        .unwrap()
        .unwrap();
    assert!(matches!(done, ApproversChange::Bootstrapped(_)), "{done:?}");
}

/// An unsigned vote by an OS user, as the CLI records one after the code was typed back at a
/// terminal (tests need several distinct people; they share one OS account).
pub fn ballot(user: &str, approve: bool) -> Ballot {
    Ballot {
        proof: Proof::Terminal { user: user.into() },
        approve,
        display_name: None,
        comment: None,
    }
}

/// Runs the CLI with `args` on `state` under a pseudo-terminal; `answer` decides what is typed
/// at the prompt, given everything shown so far (`None`: type the code shown). Returns the exit
/// status and what the terminal showed.
pub fn at_terminal(state: &Path, args: &[&str], answer: Option<&str>) -> (bool, String) {
    const DRIVER: &str = r#"
import os, pty, re, sys, select, time
argv, answer = sys.argv[3:], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.environ["ESPADA_LOG"] = "warn"
    os.execv(sys.argv[1], [sys.argv[1]] + argv)
out, typed, deadline = b"", False, time.time() + 60
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    if not typed and b"press Enter" in out:
        m = re.search(rb"type the code ([A-Z0-9]+)", out)
        text = answer if answer != "-" else m.group(1).decode()
        os.write(fd, (text + "\n").encode())
        typed = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(0 if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 else 1)
"#;
    let mut full = vec!["--state", state.to_str().unwrap()];
    full.extend_from_slice(args);
    let out = Command::new(python())
        .arg("-c")
        .arg(DRIVER)
        .arg(env!("CARGO_BIN_EXE_espada-aws"))
        .arg(answer.unwrap_or("-"))
        .args(&full)
        .output()
        .expect("run the pty driver");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}
