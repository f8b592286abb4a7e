//! Signed votes: an approver signs the canonical text of an approval request with their SSH key
//! (the SSHSIG format of `ssh-keygen -Y sign` and git's SSH commit signing, namespace
//! `espada-aws-approval`), and the guardrails verify it in-process against the `allowed_signers`
//! file (git's format) pinned for the request's environment. Only a signature from a key listed
//! there, over exactly this request's text, counts as that principal's vote.

use std::{
    io::Write,
    path::Path,
    process::{Command, Stdio},
};

use ssh_key::{HashAlg, LineEnding, PrivateKey, PublicKey, SshSig};

/// The SSHSIG namespace of approval signatures: a signature made for anything else (a git
/// commit, a file) does not verify as a vote.
pub const NAMESPACE: &str = "espada-aws-approval";

/// One `allowed_signers` line: the principals it names and their public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedSigner {
    pub principals: Vec<String>,
    pub key: PublicKey,
}

/// A verified signature: who made it, with which key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub principal: String,
    /// `SHA256:…`, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
}

/// An `allowed_signers` file (git's `gpg.ssh.allowedSignersFile` format): per line,
/// comma-separated principals, optional options, then the key type and base64 key; `#` starts
/// a comment. Lines whose `namespaces=` option leaves out `espada-aws-approval` are skipped;
/// certificate authorities and principal patterns are refused, since each approver must be one
/// listed key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedSigners {
    pub signers: Vec<AllowedSigner>,
}

impl AllowedSigners {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut signers = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (principals, rest) = line
                .split_once(char::is_whitespace)
                .ok_or_else(|| format!("line {}: expected principals and a key", n + 1))?;
            let rest = rest.trim_start();
            // Options (namespaces="…", valid-after=…, cert-authority) come before the key type.
            let key_start = ["ssh-", "ecdsa-", "sk-"]
                .iter()
                .filter_map(|p| rest.find(p))
                .min()
                .ok_or_else(|| format!("line {}: no public key", n + 1))?;
            let options = rest[..key_start].trim();
            if options.contains("cert-authority") {
                return Err(format!(
                    "line {}: cert-authority entries are not supported; list each approver's key",
                    n + 1
                ));
            }
            if let Some(ns) = option(options, "namespaces")
                && !ns.split(',').any(|n| n.trim() == NAMESPACE)
            {
                continue; // this key may not sign approvals
            }
            let principals: Vec<String> = principals
                .split(',')
                .map(|p| p.trim().trim_matches('"').to_string())
                .filter(|p| !p.is_empty())
                .collect();
            if principals.iter().any(|p| p.contains(['*', '?', '!'])) {
                return Err(format!(
                    "line {}: principal patterns are not supported; name each approver",
                    n + 1
                ));
            }
            let key = PublicKey::from_openssh(rest[key_start..].trim())
                .map_err(|e| format!("line {}: {e}", n + 1))?;
            if principals.is_empty() {
                return Err(format!("line {}: no principal", n + 1));
            }
            signers.push(AllowedSigner { principals, key });
        }
        Ok(Self { signers })
    }

    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read allowed_signers {}: {e}", path.display()))?;
        Self::parse(&text)
    }

    /// Every principal the file names, in order.
    pub fn principals(&self) -> Vec<String> {
        self.signers
            .iter()
            .flat_map(|s| s.principals.iter().cloned())
            .collect()
    }

    /// The principal whose key made `signature` over `message`, when it verifies.
    pub fn verify(&self, message: &[u8], signature: &str) -> Result<Verified, String> {
        let (sig, fingerprint) = check(message, signature)?;
        let signer = self
            .signers
            .iter()
            .find(|s| s.key.key_data() == sig.public_key())
            .ok_or_else(|| {
                format!("the signing key {fingerprint} is not in the approvers' allowed_signers")
            })?;
        Ok(Verified {
            principal: signer.principals[0].clone(),
            fingerprint,
        })
    }
}

/// Checks that `signature` is an approval signature over `message` by the key it carries, and
/// returns it with that key's fingerprint. Whether the key belongs to an approver is the
/// caller's question ([`AllowedSigners::verify`]).
pub fn check(message: &[u8], signature: &str) -> Result<(SshSig, String), String> {
    let sig = SshSig::from_pem(signature.trim())
        .map_err(|e| format!("not an SSH signature (-----BEGIN SSH SIGNATURE-----): {e}"))?;
    if sig.namespace() != NAMESPACE {
        return Err(format!(
            "the signature is for namespace '{}', not '{NAMESPACE}'",
            sig.namespace()
        ));
    }
    let key = PublicKey::from(sig.public_key().clone());
    key.verify(NAMESPACE, message, &sig)
        .map_err(|_| "the signature does not match this request's text".to_string())?;
    let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
    Ok((sig, fingerprint))
}

/// Signs `message` with the key at `path`: by `ssh-keygen -Y sign` where it is installed (so
/// ssh-agent, passphrases and keys that need a touch work), else in-process from an
/// unencrypted OpenSSH key file.
pub fn sign(path: &Path, message: &[u8]) -> Result<String, String> {
    match sign_with_ssh_keygen(path, message) {
        Err(SshKeygen::Missing) => sign_with_key_file(path, message),
        Err(SshKeygen::Failed(why)) => Err(why),
        Ok(sig) => Ok(sig),
    }
}

enum SshKeygen {
    Missing,
    Failed(String),
}

fn sign_with_ssh_keygen(path: &Path, message: &[u8]) -> Result<String, SshKeygen> {
    let mut child = match Command::new("ssh-keygen")
        .args(["-q", "-Y", "sign", "-n", NAMESPACE, "-f"])
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(SshKeygen::Missing),
        Err(e) => return Err(SshKeygen::Failed(format!("cannot run ssh-keygen: {e}"))),
    };
    let mut stdin = child.stdin.take().expect("piped stdin");
    let written = stdin.write_all(message);
    drop(stdin);
    let out = child
        .wait_with_output()
        .map_err(|e| SshKeygen::Failed(format!("ssh-keygen failed: {e}")))?;
    written.map_err(|e| SshKeygen::Failed(format!("ssh-keygen failed: {e}")))?;
    if !out.status.success() {
        return Err(SshKeygen::Failed(format!(
            "ssh-keygen -Y sign with {} failed ({})",
            path.display(),
            out.status
        )));
    }
    String::from_utf8(out.stdout)
        .map_err(|_| SshKeygen::Failed("ssh-keygen printed no signature".into()))
}

/// Signs `message` in-process with an unencrypted OpenSSH private key file.
pub fn sign_with_key_file(path: &Path, message: &[u8]) -> Result<String, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read key {}: {e}", path.display()))?;
    let key = PrivateKey::from_openssh(&text).map_err(|e| format!("not an OpenSSH key: {e}"))?;
    if key.is_encrypted() {
        return Err(
            "the key is encrypted and ssh-keygen is not installed; install OpenSSH's ssh-keygen \
             to sign with it"
                .into(),
        );
    }
    key.sign(NAMESPACE, HashAlg::Sha512, message)
        .and_then(|s| s.to_pem(LineEnding::LF))
        .map_err(|e| format!("signing failed: {e}"))
}

fn option<'a>(options: &'a str, name: &str) -> Option<&'a str> {
    let start = options.find(&format!("{name}="))? + name.len() + 1;
    let value = &options[start..];
    Some(match value.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next().unwrap_or(""),
        None => value.split([',', ' ']).next().unwrap_or(""),
    })
}

#[cfg(test)]
mod tests {
    use ssh_key::{Algorithm, rand_core::OsRng};

    use super::*;

    fn key() -> PrivateKey {
        PrivateKey::random(&mut OsRng, Algorithm::Ed25519).unwrap()
    }

    fn line(principal: &str, key: &PrivateKey) -> String {
        format!("{principal} {}\n", key.public_key().to_openssh().unwrap())
    }

    #[test]
    fn a_listed_key_verifies_and_names_its_principal() {
        let (alice, mallory) = (key(), key());
        let file = AllowedSigners::parse(&format!(
            "# approvers\n{}bob namespaces=\"git\" {}",
            line("alice@example.com,al", &alice),
            mallory.public_key().to_openssh().unwrap()
        ))
        .unwrap();
        assert_eq!(file.principals(), ["alice@example.com", "al"]);
        let msg = b"request: apr-1\n";
        let sig = alice
            .sign(NAMESPACE, HashAlg::Sha512, msg)
            .unwrap()
            .to_pem(LineEnding::LF)
            .unwrap();
        assert_eq!(
            file.verify(msg, &sig).unwrap().principal,
            "alice@example.com"
        );
        assert!(file.verify(b"request: apr-2\n", &sig).is_err());
        // bob's line does not allow this namespace, so his key is not an approver.
        let forged = mallory
            .sign(NAMESPACE, HashAlg::Sha512, msg)
            .unwrap()
            .to_pem(LineEnding::LF)
            .unwrap();
        assert!(file.verify(msg, &forged).unwrap_err().contains("not in"));
        let other_ns = alice
            .sign("git", HashAlg::Sha512, msg)
            .unwrap()
            .to_pem(LineEnding::LF)
            .unwrap();
        assert!(
            file.verify(msg, &other_ns)
                .unwrap_err()
                .contains("namespace")
        );
    }

    #[test]
    fn patterns_and_authorities_are_refused() {
        let k = key();
        assert!(AllowedSigners::parse(&line("*@example.com", &k)).is_err());
        let ca = format!(
            "alice cert-authority {}",
            k.public_key().to_openssh().unwrap()
        );
        assert!(AllowedSigners::parse(&ca).is_err());
    }
}
