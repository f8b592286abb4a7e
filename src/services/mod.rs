//! One module per AWS service: the only code that calls `aws-sdk-*`.

pub mod ec2;
pub mod sns;
pub mod sts;
pub mod tags;
