//! The one integration-test binary (DESIGN §6): every module shares one moto server.

mod cloudfront;
mod e2e;
mod ec2;
mod guardrails;
mod harness;
mod mcp;
mod mocked;
mod perf;
mod s3;
mod s3_mocked;
mod schemas;
mod startup;
