//! The one integration-test binary (DESIGN §6): every module shares one moto server.

mod approvals;
mod e2e;
mod ec2;
mod guardrails;
mod harness;
mod mcp;
mod mocked;
mod network;
mod perf;
mod scaling;
mod schemas;
mod startup;
