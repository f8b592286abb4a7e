//! CIDR notation: a small IPv4 parser (what VPC and subnet ranges need) and the checks that
//! network calls run before anything is sent to AWS. IPv6 blocks are only recognised, not
//! computed on: VPC subnet planning here is IPv4.

use std::{fmt, net::Ipv4Addr, str::FromStr};

/// An IPv4 block in CIDR notation whose address is the block's first address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ipv4Cidr {
    addr: u32,
    prefix: u8,
}

impl Ipv4Cidr {
    /// The prefix length (the number after the slash).
    pub fn prefix(self) -> u8 {
        self.prefix
    }

    /// The first address of the block.
    pub fn first(self) -> u32 {
        self.addr
    }

    /// The last address of the block.
    pub fn last(self) -> u32 {
        self.addr | !mask(self.prefix)
    }

    /// Whether `other` lies wholly inside this block.
    pub fn contains(self, other: Ipv4Cidr) -> bool {
        other.first() >= self.first() && other.last() <= self.last()
    }

    /// Whether the two blocks share any address.
    pub fn overlaps(self, other: Ipv4Cidr) -> bool {
        self.first() <= other.last() && other.first() <= self.last()
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.addr), self.prefix)
    }
}

impl FromStr for Ipv4Cidr {
    type Err = String;

    /// Parses `a.b.c.d/n`. An address with host bits set is refused with the block it belongs
    /// to, since AWS refuses it too and the caller most likely meant that block.
    fn from_str(s: &str) -> Result<Self, String> {
        let (ip, prefix) = s
            .trim()
            .split_once('/')
            .ok_or_else(|| format!("'{s}' is not in CIDR notation (e.g. 10.0.0.0/16)"))?;
        let ip: Ipv4Addr = ip
            .parse()
            .map_err(|_| format!("'{s}' does not start with an IPv4 address"))?;
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= 32)
            .ok_or_else(|| format!("'{s}' has a prefix length outside 0-32"))?;
        let addr = u32::from(ip);
        let network = addr & mask(prefix);
        if network != addr {
            let meant = Ipv4Cidr {
                addr: network,
                prefix,
            };
            return Err(format!(
                "'{s}' has host bits set; the block that address belongs to is {meant}"
            ));
        }
        Ok(Ipv4Cidr { addr, prefix })
    }
}

fn mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    }
}

/// A CIDR given for a rule or route: IPv4 (parsed) or IPv6 (checked for shape only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnyCidr {
    V4(Ipv4Cidr),
    V6(String),
}

impl AnyCidr {
    /// Parses an IPv4 or IPv6 block; IPv6 is recognised by its colon.
    pub fn parse(s: &str) -> Result<Self, String> {
        if !s.contains(':') {
            return s.parse().map(AnyCidr::V4);
        }
        let (ip, prefix) = s
            .trim()
            .split_once('/')
            .ok_or_else(|| format!("'{s}' is not in CIDR notation (e.g. ::/0, 2001:db8::/56)"))?;
        ip.parse::<std::net::Ipv6Addr>()
            .map_err(|_| format!("'{s}' does not start with an IPv6 address"))?;
        prefix
            .parse::<u8>()
            .ok()
            .filter(|p| *p <= 128)
            .ok_or_else(|| format!("'{s}' has a prefix length outside 0-128"))?;
        Ok(AnyCidr::V6(s.trim().to_string()))
    }

    /// Whether the block is the whole internet (0.0.0.0/0 or ::/0).
    pub fn is_whole_internet(&self) -> bool {
        match self {
            AnyCidr::V4(c) => c.prefix() == 0,
            AnyCidr::V6(s) => s.ends_with("/0"),
        }
    }
}

/// Checks a VPC or subnet block: valid notation and a size AWS accepts (/16 to /28).
pub fn vpc_block(field: &str, s: &str) -> Result<Ipv4Cidr, String> {
    let c: Ipv4Cidr = s.parse().map_err(|e| format!("{field}: {e}"))?;
    if !(16..=28).contains(&c.prefix()) {
        return Err(format!(
            "{field}: {c} is /{}; AWS accepts blocks from /16 (65,536 addresses) to /28 (16)",
            c.prefix()
        ));
    }
    Ok(c)
}

/// Where a planned subnet block does not fit its VPC: outside every VPC block, or overlapping
/// existing subnets (given as (subnet id, block)).
pub fn subnet_fit(
    want: Ipv4Cidr,
    vpc_id: &str,
    vpc_blocks: &[Ipv4Cidr],
    subnets: &[(String, Ipv4Cidr)],
) -> Result<(), String> {
    if !vpc_blocks.iter().any(|b| b.contains(want)) {
        let blocks: Vec<String> = vpc_blocks.iter().map(ToString::to_string).collect();
        return Err(format!(
            "{want} is not inside {vpc_id}'s range ({}); pick a block inside it",
            blocks.join(", ")
        ));
    }
    let clashes: Vec<String> = subnets
        .iter()
        .filter(|(_, c)| c.overlaps(want))
        .map(|(id, c)| format!("{id} ({c})"))
        .collect();
    if !clashes.is_empty() {
        let free = free_block(want.prefix(), vpc_blocks, subnets)
            .map(|c| format!("; {c} is free"))
            .unwrap_or_default();
        return Err(format!(
            "{want} overlaps existing subnet(s) {} in {vpc_id}{free}",
            clashes.join(", ")
        ));
    }
    Ok(())
}

/// The first block of the given size inside the VPC that no subnet uses, if any.
pub fn free_block(
    prefix: u8,
    vpc_blocks: &[Ipv4Cidr],
    subnets: &[(String, Ipv4Cidr)],
) -> Option<Ipv4Cidr> {
    let step = 1u64 << (32 - prefix as u64);
    for b in vpc_blocks.iter().filter(|b| b.prefix() <= prefix) {
        let mut at = b.first() as u64;
        while at + step - 1 <= b.last() as u64 {
            let c = Ipv4Cidr {
                addr: at as u32,
                prefix,
            };
            if !subnets.iter().any(|(_, s)| s.overlaps(c)) {
                return Some(c);
            }
            at += step;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Ipv4Cidr {
        s.parse().unwrap()
    }

    #[test]
    fn parses_and_prints() {
        assert_eq!(c("10.0.0.0/16").to_string(), "10.0.0.0/16");
        assert_eq!(c("0.0.0.0/0").prefix(), 0);
        assert_eq!(c("192.168.1.7/32").first(), c("192.168.1.7/32").last());
        assert_eq!(
            c("10.0.0.0/24").last(),
            u32::from(Ipv4Addr::new(10, 0, 0, 255))
        );
    }

    #[test]
    fn refuses_bad_notation() {
        for bad in [
            "10.0.0.0",
            "10.0.0/16",
            "10.0.0.0/33",
            "10.0.0.0/x",
            "a.b.c.d/8",
            "",
        ] {
            assert!(bad.parse::<Ipv4Cidr>().is_err(), "{bad}");
        }
        let e = "10.0.1.5/16".parse::<Ipv4Cidr>().unwrap_err();
        assert!(e.contains("10.0.0.0/16"), "{e}");
    }

    #[test]
    fn containment_and_overlap() {
        assert!(c("10.0.0.0/16").contains(c("10.0.255.0/24")));
        assert!(!c("10.0.0.0/16").contains(c("10.1.0.0/24")));
        assert!(!c("10.0.0.0/24").contains(c("10.0.0.0/16")));
        assert!(c("10.0.0.0/24").overlaps(c("10.0.0.128/25")));
        assert!(c("10.0.0.128/25").overlaps(c("10.0.0.0/16")));
        assert!(!c("10.0.0.0/25").overlaps(c("10.0.0.128/25")));
    }

    #[test]
    fn vpc_block_sizes() {
        assert!(vpc_block("cidr_block", "10.0.0.0/16").is_ok());
        assert!(vpc_block("cidr_block", "10.0.0.0/28").is_ok());
        let e = vpc_block("cidr_block", "10.0.0.0/8").unwrap_err();
        assert!(e.contains("/16") && e.starts_with("cidr_block"), "{e}");
        assert!(vpc_block("cidr_block", "10.0.0.0/29").is_err());
    }

    #[test]
    fn subnet_fit_explains_the_clash() {
        let vpc = [c("10.0.0.0/16")];
        let subnets = vec![("subnet-a".to_string(), c("10.0.0.0/24"))];
        assert!(subnet_fit(c("10.0.1.0/24"), "vpc-1", &vpc, &subnets).is_ok());
        let e = subnet_fit(c("10.0.0.128/25"), "vpc-1", &vpc, &subnets).unwrap_err();
        assert!(e.contains("subnet-a (10.0.0.0/24)"), "{e}");
        assert!(e.contains("10.0.1.0/25 is free"), "{e}");
        let e = subnet_fit(c("10.1.0.0/24"), "vpc-1", &vpc, &subnets).unwrap_err();
        assert!(e.contains("not inside vpc-1's range (10.0.0.0/16)"), "{e}");
    }

    #[test]
    fn free_block_skips_used_space() {
        let vpc = [c("10.0.0.0/24")];
        let used = vec![
            ("a".to_string(), c("10.0.0.0/26")),
            ("b".to_string(), c("10.0.0.64/26")),
        ];
        assert_eq!(free_block(26, &vpc, &used), Some(c("10.0.0.128/26")));
        assert_eq!(free_block(24, &vpc, &used), None);
    }

    #[test]
    fn whole_internet() {
        assert!(AnyCidr::parse("0.0.0.0/0").unwrap().is_whole_internet());
        assert!(AnyCidr::parse("::/0").unwrap().is_whole_internet());
        assert!(!AnyCidr::parse("10.0.0.0/8").unwrap().is_whole_internet());
        assert!(!AnyCidr::parse("2001:db8::/56").unwrap().is_whole_internet());
        assert!(AnyCidr::parse("2001:db8::/129").is_err());
        assert!(AnyCidr::parse("2001:zz8::/56").is_err());
    }
}
