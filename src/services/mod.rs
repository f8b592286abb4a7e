//! One module per AWS service: the only code that calls `aws-sdk-*`.

pub mod autoscaling;
pub mod ec2;
pub mod elbv2;
pub mod network;
pub mod s3;
pub mod sns;
pub mod sts;
pub mod tags;
