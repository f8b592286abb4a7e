use std::{path::Path, process::ExitCode, sync::Arc};

use clap::Parser;
use espada_aws::{
    cli::{self, Cli, Command},
    dispatch::Dispatcher,
    server::EspadaServer,
};
use rmcp::ServiceExt;
use tracing::{Level, Metadata};
use tracing_subscriber::{
    EnvFilter, Layer,
    filter::{FilterExt, filter_fn},
    layer::SubscriberExt,
    util::SubscriberInitExt,
};

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    // stdout is the MCP channel: every log line goes to stderr, and never a payload.
    let filter =
        EnvFilter::try_new(&cli.global.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(false)
                .with_filter(filter_fn(no_payloads).and(filter)),
        )
        .init();
    let mut settings = cli.global.settings();
    if let Some(sets) = &settings.toolsets {
        espada_aws::tools::check_toolsets(sets).map_err(anyhow::Error::msg)?;
    }
    if matches!(
        cli.command,
        Some(Command::Schemas { .. } | Command::Tools { .. })
    ) {
        // Listing tools needs no guardrails state.
        settings.state = Some(":memory:".into());
    }
    if matches!(cli.command, Some(Command::Schemas { .. })) {
        // Snapshots describe the full surface, whatever the environment says.
        settings.read_only = false;
        settings.toolsets = None;
    }
    let dispatcher = Arc::new(Dispatcher::new(&settings)?);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            if let Some(auto) = cli.global.auto_anchor.auto_anchor()? {
                tracing::info!(
                    bucket = %auto.place.bucket,
                    records = ?auto.records,
                    every = ?auto.every,
                    "anchoring the audit log while serving"
                );
                let d = dispatcher.clone();
                tokio::spawn(espada_aws::guardrails::anchor::keep_anchoring(
                    dispatcher.guardrails.store.clone(),
                    move || {
                        let d = d.clone();
                        async move {
                            d.aws
                                .client::<aws_sdk_s3::Client>(Default::default(), None)
                                .await
                        }
                    },
                    auto,
                ));
            }
            tracing::info!(
                read_only = settings.read_only,
                tools = dispatcher.tools().len(),
                "espada-aws serving MCP on stdio"
            );
            let service = EspadaServer::new(dispatcher)
                .serve(espada_aws::server::transport())
                .await?;
            service.waiting().await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Call { tool, args } => Ok(exit(cli::call(dispatcher, &tool, &args).await?)),
        Command::Approvals { command } => Ok(exit(cli::approvals(&dispatcher, command).await?)),
        Command::Approvers { command } => Ok(exit(cli::approvers(&dispatcher, command)?)),
        Command::Audit { command } => Ok(exit(cli::audit(&dispatcher, command).await?)),
        Command::Tools { markdown } => {
            print!("{}", cli::tools_text(&dispatcher, markdown));
            Ok(ExitCode::SUCCESS)
        }
        Command::Schemas { write, check } => {
            if let Some(dir) = write {
                let n = cli::write_snapshots(&dispatcher, Path::new(&dir))?;
                eprintln!("wrote {n} schema snapshot(s) to {dir}");
                return Ok(ExitCode::SUCCESS);
            }
            let dir = check.unwrap_or_else(|| "tool-schemas".into());
            let stale = cli::stale_snapshots(&dispatcher, Path::new(&dir));
            if stale.is_empty() {
                eprintln!("schema snapshots in {dir} are up to date");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!(
                    "stale or missing snapshots in {dir}: {}; run `espada-aws schemas --write {dir}`",
                    stale.join(", ")
                );
                Ok(ExitCode::FAILURE)
            }
        }
    }
}

fn exit(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Keeps request and response bodies out of stderr at every log level: rmcp logs whole
/// messages at info and debug (tool arguments and results: private keys, user data, object
/// bodies), and other crates' trace output can carry HTTP bodies. Our own events never do.
fn no_payloads(meta: &Metadata<'_>) -> bool {
    let target = meta.target();
    if target.starts_with("espada_aws") {
        return true;
    }
    if target.starts_with("rmcp") {
        let carries_message = ["request", "result", "notification", "evt", "params"]
            .iter()
            .any(|f| meta.fields().field(f).is_some());
        return *meta.level() <= Level::WARN && !carries_message;
    }
    *meta.level() <= Level::DEBUG
}
