//! Tool and action metadata: access class, description, input schema, and the `actions!` macro
//! that defines a tool's action enum together with its typed per-action inputs.

use std::{future::Future, pin::Pin};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::{
    aws::AwsPool, dispatch::Dispatcher, error::ToolError, guardrails::Caller, output::Output,
};

/// What an action may do to AWS. Decided per action by an exhaustive `match` in its tool.
// Variants carry no doc comments: schemars would turn the enum into a `oneOf`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    // Reads only; allowed in read-only mode.
    Read,
    // Creates or changes resources.
    Write,
    // Deletes or terminates resources; needs confirmation or approval.
    Destructive,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::Destructive => "destructive",
        }
    }
}

/// One action of a tool, as the registry and the schema generator see it.
#[derive(Debug, Clone)]
pub struct ActionSpec {
    pub name: &'static str,
    pub access: Access,
    pub description: &'static str,
    /// The JSON schema of the action's own input struct (flat, cleaned).
    pub input_schema: fn() -> Value,
}

/// What a call needs at execution time besides its typed input.
pub struct ExecCtx<'a> {
    pub aws: &'a AwsPool,
    /// The dispatcher, for tools that evaluate other calls (the guardrails tool).
    pub dispatcher: &'a Dispatcher,
    pub caller: &'a Caller,
    /// The region of this call (per-call `region`, else the session's).
    pub region: Option<String>,
    /// Ask AWS to validate the call without making it (EC2 `DryRun`).
    pub dry_run: bool,
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A resource a call acts on: for plans, the environment lookup by tags, and audit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Target {
    /// The AWS service that owns it, as in ARNs: "ec2", "s3", "elasticloadbalancing", ...
    pub service: &'static str,
    /// The resource type, e.g. "instance", "image", "key-pair", "bucket".
    pub kind: &'static str,
    /// Its id or name, as the service's APIs take it.
    pub id: String,
}

impl Target {
    pub fn new(service: &'static str, kind: &'static str, id: impl Into<String>) -> Self {
        Self {
            service,
            kind,
            id: id.into(),
        }
    }
}

/// A parsed call, ready to run.
pub trait Prepared: Send + Sync {
    /// The resources the call names (empty for calls that name none, such as most lists).
    fn targets(&self) -> Vec<Target>;

    /// Whether `execute` honours `ExecCtx::dry_run` with the service's own validation (EC2
    /// `DryRun`). When false, the dispatcher answers a dry run with the computed plan and never
    /// executes the call.
    fn native_dry_run(&self) -> bool;

    /// Why this call is riskier than its action's access class says (e.g. it opens a port to
    /// the whole internet). The guardrails treat a flagged call as high risk.
    fn risk_flags(&self) -> Vec<String> {
        Vec::new()
    }

    /// The environment the call changes when it is not a resource's (the guardrails tool's
    /// own settings); it takes precedence over tags and configuration.
    fn environment(&self) -> Option<crate::guardrails::environment::Environment> {
        None
    }

    fn execute<'a>(
        self: Box<Self>,
        ctx: &'a ExecCtx<'a>,
    ) -> BoxFuture<'a, Result<Output, ToolError>>;
}

/// Parses one action's arguments into a typed, validated call.
pub type PrepareFn = fn(&str, Map<String, Value>) -> Result<Box<dyn Prepared>, ToolError>;

/// A tool as the server registers it.
pub struct ToolDef {
    pub name: &'static str,
    pub toolset: &'static str,
    pub description: &'static str,
    pub actions: fn() -> Vec<ActionSpec>,
    /// Parses an action's arguments (common fields already removed) into a typed call.
    pub prepare: PrepareFn,
}

impl ToolDef {
    pub fn action(&self, name: &str) -> Option<ActionSpec> {
        (self.actions)().into_iter().find(|a| a.name == name)
    }
}

/// Parses `args` into `T`, turning serde's message into one that names what the action accepts.
pub fn parse_input<T: serde::de::DeserializeOwned>(
    action: &str,
    args: Map<String, Value>,
    schema: fn() -> Value,
) -> Result<T, ToolError> {
    serde_json::from_value(Value::Object(args)).map_err(|e| {
        let schema = schema();
        let fields = crate::schema::describe_fields(&schema);
        ToolError::invalid(format!("invalid arguments for {action}: {e}; {fields}"))
    })
}

/// Defines a tool's action enum, its typed request enum, names, descriptions and parsing.
///
/// The access class is not part of the macro on purpose: each tool writes it as an exhaustive
/// `match` so that an unclassified action does not compile.
#[macro_export]
macro_rules! actions {
    (
        $action:ident, $request:ident;
        $( $variant:ident ( $name:literal, $input:ty ) : $desc:literal ; )+
    ) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $action { $( $variant ),+ }

        #[derive(Debug)]
        pub enum $request { $( $variant($input) ),+ }

        impl $action {
            pub const ALL: &'static [$action] = &[ $( $action::$variant ),+ ];

            pub fn name(self) -> &'static str {
                match self { $( $action::$variant => $name ),+ }
            }

            pub fn description(self) -> &'static str {
                match self { $( $action::$variant => $desc ),+ }
            }

            pub fn from_name(name: &str) -> Option<Self> {
                match name { $( $name => Some($action::$variant), )+ _ => None }
            }

            pub fn input_schema(self) -> fn() -> serde_json::Value {
                match self {
                    $( $action::$variant => || $crate::schema::action_schema::<$input>() ),+
                }
            }

            pub fn specs() -> Vec<$crate::registry::ActionSpec> {
                Self::ALL
                    .iter()
                    .map(|a| $crate::registry::ActionSpec {
                        name: a.name(),
                        access: a.access(),
                        description: a.description(),
                        input_schema: a.input_schema(),
                    })
                    .collect()
            }
        }

        impl $request {
            pub fn parse(
                action: $action,
                args: serde_json::Map<String, serde_json::Value>,
            ) -> Result<Self, $crate::error::ToolError> {
                let schema = action.input_schema();
                Ok(match action {
                    $( $action::$variant => $request::$variant(
                        $crate::registry::parse_input(action.name(), args, schema)?
                    ), )+
                })
            }

            pub fn action(&self) -> $action {
                match self { $( $request::$variant(_) => $action::$variant ),+ }
            }
        }
    };
}
