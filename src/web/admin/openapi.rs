//! The OpenAPI 3.1 document of the admin API, built from the route table in `api.rs` and the
//! JSON Schemas derived from the request and response types (schemars). Nothing is written by
//! hand twice: a route that exists is documented, with the permission it needs.

use std::any::TypeId;

use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::JsonSchema;
use serde_json::{json, Map, Value};

use crate::admin::Permission;

/// One API operation, as declared in the route table.
pub struct Operation {
    pub method: &'static str,
    pub path: &'static str,
    pub handler: &'static str,
    /// None for the public document itself.
    pub permission: Option<Permission>,
    pub status: u16,
    pub summary: &'static str,
    pub body: fn(&mut SchemaGenerator) -> Option<Value>,
    pub response: fn(&mut SchemaGenerator) -> Option<Value>,
}

/// Schema helpers for the route table.
pub struct Schema;

impl Schema {
    /// The schema (usually a `$ref`) of `T`, or None for `()` (no body).
    pub fn of<T: JsonSchema + 'static>(generator: &mut SchemaGenerator) -> Option<Value> {
        if TypeId::of::<T>() == TypeId::of::<()>() {
            return None;
        }
        Some(generator.subschema_for::<T>().to_value())
    }
}

fn path_parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } })
        })
        .collect()
}

fn query_parameters(op: &Operation) -> Vec<Value> {
    let names: &[&str] = match op.handler {
        "list_clients" | "list_roles" | "list_keys" => &["limit", "after"],
        "search_accounts" => &["email", "limit", "after", "reveal_reason"],
        "get_account" | "account_consents" => &["reveal_reason"],
        "list_audit" => &["actor", "action", "from", "to", "limit", "after"],
        "export_audit" => &["actor", "action", "from", "to"],
        "list_customers" => &["limit", "after", "reveal_reason"],
        "list_imports" => &["limit", "after"],
        "get_customer" | "duplicate_accounts" => &["reveal_reason"],
        "start_import" => &["dry_run", "on_conflict"],
        _ => &[],
    };
    names
        .iter()
        .map(|name| {
            let schema = match *name {
                "limit" => {
                    json!({ "type": "integer", "minimum": 1, "maximum": crate::admin::MAX_PAGE })
                }
                "from" | "to" => json!({ "type": "integer", "description": "Unix seconds" }),
                "dry_run" => json!({ "type": "boolean" }),
                "on_conflict" => json!({ "enum": ["newest", "first", "skip"] }),
                _ => json!({ "type": "string" }),
            };
            json!({ "name": name, "in": "query", "required": false, "schema": schema })
        })
        .collect()
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    })
}

/// The whole document for one tenant's issuer.
/// The OpenAPI document of `operations`, served under `server` (the API's base URL).
pub fn document(server: &str, operations: &[Operation]) -> Value {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
        })
        .into_generator();
    let mut paths = Map::new();
    for op in operations {
        let mut operation = Map::new();
        operation.insert("operationId".into(), json!(op.handler));
        operation.insert("summary".into(), json!(op.summary));
        let mut parameters = path_parameters(op.path);
        parameters.extend(query_parameters(op));
        if !parameters.is_empty() {
            operation.insert("parameters".into(), Value::Array(parameters));
        }
        if let Some(schema) = (op.body)(&mut generator) {
            // Rotation without a body rotates every algorithm.
            let required = op.handler != "rotate_keys";
            // An import is uploaded as the file it is: one JSON record per line.
            let body_media = if op.handler == "start_import" {
                "application/x-ndjson"
            } else {
                "application/json"
            };
            operation.insert(
                "requestBody".into(),
                json!({ "required": required, "content": { body_media: { "schema": schema } } }),
            );
        }
        let media = if op.handler == "export_audit" {
            "application/x-ndjson"
        } else {
            "application/json"
        };
        let success = match (op.response)(&mut generator) {
            Some(schema) => {
                json!({ "description": "Success", "content": { media: { "schema": schema } } })
            }
            None => json!({ "description": "Success, no body" }),
        };
        let mut responses = Map::new();
        responses.insert(op.status.to_string(), success);
        match op.permission {
            Some(permission) => {
                operation.insert("security".into(), json!([{ "bearer": [] }]));
                operation.insert("x-permission".into(), json!(permission.as_str()));
                responses.insert(
                    "401".into(),
                    error_response("No valid access token of this tenant"),
                );
                responses.insert(
                    "403".into(),
                    error_response(&format!(
                        "Needs {} or tenant:admin (forbidden); a user's token also needs the {} scope (insufficient_scope)",
                        permission.as_str(),
                        crate::admin::ADMIN_SCOPE
                    )),
                );
                responses.insert("400".into(), error_response("Invalid input"));
                if op.path.contains('{') {
                    responses.insert(
                        "404".into(),
                        error_response("No such object in this tenant"),
                    );
                }
                if op.method != "get" {
                    responses.insert(
                        "409".into(),
                        error_response("Conflicts with the current state (exists already, key still active, account not suspended, …)"),
                    );
                }
            }
            None => {
                operation.insert("security".into(), json!([]));
            }
        }
        operation.insert("responses".into(), Value::Object(responses));
        let item = paths
            .entry(op.path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(item) = item {
            item.insert(op.method.to_owned(), Value::Object(operation));
        }
    }
    let mut schemas: Map<String, Value> = generator.take_definitions(true).into_iter().collect();
    schemas.insert(
        "Error".into(),
        json!({
            "type": "object",
            "required": ["error", "message"],
            "properties": {
                "error": { "type": "string", "enum": ["unauthorized", "forbidden", "insufficient_scope", "not_found", "invalid_request", "conflict", "server_error"] },
                "message": { "type": "string" }
            }
        }),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Tessera admin API",
            "version": "1",
            "description": "Tenant administration. Authenticate with an access token of this tenant: a user's, issued with the tessera:admin scope (the user's profile permissions apply), or a client's own from client_credentials (the client's roles apply). Each operation names the permission it needs in x-permission; tenant:admin grants all, and an area's write grants its read.",
        },
        "servers": [{ "url": server }],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" } }
        }
    })
}
