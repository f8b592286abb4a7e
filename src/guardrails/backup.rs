//! Pre-operation backups: taken and recorded before a destructive call runs where its
//! environment requires it. If a backup fails, the call does not run.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::store::{Result, Store, new_id, now, rfc3339};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backup {
    pub id: String,
    /// What the backup protects against, e.g. "aws_ec2 terminate_instances".
    pub reason: String,
    pub resource_id: String,
    /// "ebs-snapshot", "ami", …
    pub kind: String,
    /// The AWS id of the backup (snapshot id, image id).
    pub backup_id: String,
    pub region: Option<String>,
    pub created_at: String,
}

impl Store {
    pub fn record_backup(&self, mut b: Backup) -> Result<Backup> {
        let t = now();
        b.id = new_id("bak");
        b.created_at = rfc3339(t);
        let body = serde_json::to_string(&b).expect("backup serialises");
        self.write(|tx| {
            tx.execute(
                "INSERT INTO backups (id, body, created_at) VALUES (?1, ?2, ?3)",
                params![b.id, body, t],
            )
        })?;
        Ok(b)
    }

    /// Recorded backups, newest first, optionally for one resource.
    pub fn backups(&self, resource_id: Option<&str>, limit: usize) -> Result<Vec<Backup>> {
        let bodies: Vec<String> = self.read(|c| {
            let mut stmt = c.prepare("SELECT body FROM backups ORDER BY created_at DESC, id")?;
            stmt.query_map([], |r| r.get(0))?.collect()
        })?;
        Ok(bodies
            .iter()
            .filter_map(|b| serde_json::from_str::<Backup>(b).ok())
            .filter(|b| resource_id.is_none_or(|r| b.resource_id == r))
            .take(limit)
            .collect())
    }
}
