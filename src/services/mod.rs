//! One module per AWS service: the only code that calls `aws-sdk-*`.

pub mod ec2;
pub mod s3;
