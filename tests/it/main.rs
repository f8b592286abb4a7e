//! The one integration-test binary (DESIGN §6): every module shares one moto server.

mod approvals;
mod audit;
mod cloudfront;
mod dry_runs;
mod e2e;
mod ec2;
mod fail_closed;
mod faults;
mod guardrails;
mod harness;
mod layers;
mod lost_responses;
mod mcp;
mod mocked;
mod model;
mod network;
mod network_mocked;
mod perf;
mod ratelimit;
mod resolution;
mod s3;
mod s3_mocked;
mod scaling;
mod schemas;
mod startup;
mod surface;
