//! The one integration-test binary (DESIGN §6): every module shares one moto server.

mod approvals;
// mod cloudfront; (converted on its own branch)
mod e2e;
mod ec2;
mod guardrails;
mod harness;
mod mcp;
mod mocked;
mod network;
mod network_mocked;
mod perf;
// mod s3; (converted on its own branch)
// mod s3_mocked; (converted on its own branch)
mod scaling;
mod schemas;
mod startup;
