//! The error bodies of the real service. There are three families and a client has to parse
//! all of them, so the simulator reproduces each where the service uses it:
//! - the Citrix Cloud gateway's camelCase `{type, detail, parameters}` (auth, 403, 406, 429,
//!   bad input), whose `parameters` is sometimes an array and sometimes an object;
//! - the CVAD orchestration `ErrorData` `{ErrorMessage, SdkErrorId, ...}` for business errors;
//! - odd ones out: the `CWSAuthException` 401, the `{activityId, message, statusCode}` 500, and
//!   the token service's OAuth `{error, error_description}`.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Map, Value};

use crate::http;

/// How a gateway error renders its `parameters`. The docs show both shapes for the same error,
/// so the simulator alternates between them (see `State::next_params_shape`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamsShape {
    /// `[{"name":"reason","value":"invalid"}]`
    Array,
    /// `{"reason":"invalid"}`
    Object,
}

fn params(shape: ParamsShape, pairs: &[(&str, &str)]) -> Value {
    match shape {
        ParamsShape::Array => Value::Array(
            pairs
                .iter()
                .map(|(name, value)| json!({ "name": name, "value": value }))
                .collect(),
        ),
        ParamsShape::Object => Value::Object(
            pairs
                .iter()
                .map(|(name, value)| ((*name).to_owned(), Value::from(*value)))
                .collect::<Map<String, Value>>(),
        ),
    }
}

fn gateway(
    status: StatusCode,
    kind: &str,
    detail: &str,
    shape: ParamsShape,
    pairs: &[(&str, &str)],
) -> Response {
    http::json(
        status,
        &json!({
            "type": format!("https://errors-api.cloud.com/common/{kind}"),
            "detail": detail,
            "parameters": params(shape, pairs),
        }),
    )
}

/// 401 when the `Authorization` header is missing or not `CWSAuth bearer=...`.
pub fn cws_auth_header() -> Response {
    http::json(
        StatusCode::UNAUTHORIZED,
        &json!({"Error": {"Message": "Missing or invalid CWSAuth header.", "Type": "CWSAuthException"}}),
    )
}

/// 401 for an unknown, expired or revoked token.
pub fn token_rejected(shape: ParamsShape) -> Response {
    gateway(
        StatusCode::UNAUTHORIZED,
        "authentication",
        "Missing or invalid authentication details",
        shape,
        &[("reason", "invalid")],
    )
}

/// 403 for a valid token without access to what was asked (wrong customer).
pub fn access_denied(shape: ParamsShape, customer_id: &str) -> Response {
    gateway(
        StatusCode::FORBIDDEN,
        "authorization",
        "Access denied",
        shape,
        &[("customerId", customer_id)],
    )
}

/// 403 the gateway gives when the account lives in another region.
pub fn wrong_region(shape: ParamsShape) -> Response {
    gateway(
        StatusCode::FORBIDDEN,
        "authorization",
        "Access denied",
        shape,
        &[(
            "message",
            "User is not authenticated for the specified resource",
        )],
    )
}

/// 406 when `Accept` is anything but exactly `application/json`. Always the object form: that
/// is the only form the docs show for this error.
pub fn not_acceptable() -> Response {
    gateway(
        StatusCode::NOT_ACCEPTABLE,
        "notAcceptable",
        "Must accept application/json media type",
        ParamsShape::Object,
        &[("contentType", "application/json")],
    )
}

/// 500 the CVAD service answers when `Citrix-CustomerId` is missing: a bare internal error, not a
/// helpful 400, which is why clients must always send the header.
pub fn missing_customer() -> Response {
    http::json(
        StatusCode::INTERNAL_SERVER_ERROR,
        &json!({
            "activityId": uuid::Uuid::new_v4().to_string(),
            "message": "Internal server error",
            "statusCode": 500,
        }),
    )
}

/// An orchestration `ErrorData` body.
pub fn error_data(status: StatusCode, message: &str, sdk_error_id: &str) -> Response {
    http::json(
        status,
        &json!({ "ErrorMessage": message, "SdkErrorId": sdk_error_id }),
    )
}

pub fn unknown_session() -> Response {
    error_data(StatusCode::NOT_FOUND, "Session not found", "UnknownSession")
}

/// What the broker reports when a recording operation is refused (session not Active or not HDX).
pub fn session_operation_failed() -> Response {
    error_data(
        StatusCode::BAD_REQUEST,
        SESSION_OPERATION_FAILED,
        "SessionOperationFailed",
    )
}

pub const SESSION_OPERATION_FAILED: &str =
    "Session operation error - attempted:1, failed:1, succeeded:0";

/// 400 for a value outside an enum of the spec (search property, operator, sort direction).
pub fn invalid_enum(field: &str, value: &str) -> Response {
    gateway(
        StatusCode::BAD_REQUEST,
        "invalidEnum",
        &format!("The value '{value}' is not valid for {field}."),
        ParamsShape::Array,
        &[("name", field), ("value", value)],
    )
}

/// 400 for a search operator the service does not accept on a property: `ErrorData` naming both,
/// in words and as data.
pub fn operator_not_supported(property: &str, operator: &str) -> Response {
    let message =
        format!("The search operator '{operator}' is not supported for the property '{property}'.");
    http::json(
        StatusCode::BAD_REQUEST,
        &json!({
            "ErrorMessage": message,
            "SdkErrorId": "InvalidSearchFilter",
            "ErrorReport": {
                "CitrixErrorId": "InvalidSearchFilter",
                "ComponentName": "Orchestration",
                "ErrorData": { "Property": property, "Operator": operator },
            },
        }),
    )
}

/// 400 for a body that is not JSON or not of the expected shape.
pub fn invalid_json(detail: &str) -> Response {
    gateway(
        StatusCode::BAD_REQUEST,
        "invalidJson",
        detail,
        ParamsShape::Array,
        &[],
    )
}

/// 415 for a body that is not `application/json` (UTF-8).
pub fn unsupported_media_type() -> Response {
    gateway(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupportedMediaType",
        "Request body must be application/json in UTF-8",
        ParamsShape::Array,
        &[("contentType", "application/json")],
    )
}

/// 404 for a path the API does not have.
pub fn no_such_route() -> Response {
    gateway(
        StatusCode::NOT_FOUND,
        "notFound",
        "The requested resource does not exist",
        ParamsShape::Array,
        &[],
    )
}

pub fn method_not_allowed() -> Response {
    gateway(
        StatusCode::METHOD_NOT_ALLOWED,
        "methodNotAllowed",
        "The HTTP method is not allowed for this resource",
        ParamsShape::Array,
        &[],
    )
}

/// The token service's OAuth error body.
pub fn oauth(status: StatusCode, error: &str, description: &str) -> Response {
    http::json(
        status,
        &json!({ "error": error, "error_description": description }),
    )
}
